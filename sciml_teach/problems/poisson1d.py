"""A 1-D Poisson problem that trains in seconds: the lab bench for the float-format lessons.

    -u''(x) = A (k pi)^2 sin(k pi x)  on (0, 1),   u(0) = u(1) = 0,   exact u(x) = A sin(k pi x).

A small amplitude A (say 1e-3) makes the loss and every gradient small: in float16 they flush to
zero unless the loss is scaled up first -- the set-up that shows why AMP needs a GradScaler.

Small enough that even emulated float16 runs quickly on a CPU; used in lessons 02-03 and by
``python -m sciml_teach.bench precision --quick``.
"""
from __future__ import annotations

import math

import torch

from ..models.mlp import MLP
from ..metrics import relative_l2
from ..placement import to_model
from .pinn import grad, predict


class Poisson1D:
    name = "poisson1d"

    def __init__(self, n_collocation: int = 128, frequency: int = 1, amplitude: float = 1.0,
                 n_test: int = 512):
        if n_collocation < 2:
            raise ValueError(f"n_collocation must be >= 2, got {n_collocation}")
        self.k, self.amplitude = frequency, amplitude
        self.n_collocation = n_collocation
        self.x = torch.linspace(0, 1, n_collocation + 2, dtype=torch.float64)[1:-1, None]  # (N, 1)
        self.x_boundary = torch.tensor([[0.0], [1.0]], dtype=torch.float64)               # (2, 1)
        self.x_test = torch.linspace(0, 1, n_test, dtype=torch.float64)[:, None]          # (T, 1)

    def exact(self, x: torch.Tensor) -> torch.Tensor:
        return self.amplitude * torch.sin(self.k * math.pi * x)

    def source(self, x: torch.Tensor) -> torch.Tensor:
        return self.amplitude * (self.k * math.pi) ** 2 * torch.sin(self.k * math.pi * x)

    def residual(self, model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        """-u'' - f at the points ``x`` (N, 1) -> (N, 1)."""
        x = to_model(model, x)[0].detach().requires_grad_(True)  # a leaf of its own
        u = model(x)
        u_xx = grad(grad(u, x), x)
        return -u_xx - self.source(x)

    def loss(self, model: torch.nn.Module) -> torch.Tensor:
        """Mean squared residual plus the mean squared boundary values."""
        r = self.residual(model, self.x)
        u_b = model(*to_model(model, self.x_boundary))                     # (2, 1)
        return r.square().mean() + u_b.square().mean()

    def relative_l2_error(self, model: torch.nn.Module) -> float:
        return relative_l2(predict(model, self.x_test), self.exact(self.x_test))

    def make_model(self, width: int = 32, depth: int = 3) -> MLP:
        return MLP([1] + [width] * depth + [1], activation="tanh")
