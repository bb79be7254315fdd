"""Viscous Burgers' equation, the PINN benchmark of Raissi et al. 2019 and Hayford et al. 2024 (Sec. 4.1):

    u_t + u u_x = nu u_xx,   x in [-1, 1], t in [0, 1],   nu = 0.01 / pi,
    u(x, 0) = -sin(pi x),    u(-1, t) = u(1, t) = 0.

The reference solution comes from the Cole-Hopf transform: u = -2 nu (log phi)_x turns the PDE into
the heat equation, whose solution is a Gaussian convolution, evaluated here by Gauss-Hermite
quadrature in float64. Introduced in notebooks/02_float16_divergence.ipynb.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..models.mlp import MLP
from ..metrics import relative_l2
from ..placement import to_model
from .pinn import grad, predict

NU = 0.01 / math.pi


def cole_hopf(x: np.ndarray, t: np.ndarray, nu: float = NU, n_nodes: int = 160) -> np.ndarray:
    """Exact u(x, t) for u(x, 0) = -sin(pi x), by Gauss-Hermite quadrature (float64, any shapes).

    u(x, t) = -int sin(pi (x - y)) f(x - y) G(y) dy / int f(x - y) G(y) dy with
    f(s) = exp(-cos(pi s) / (2 pi nu)) and G the heat kernel; y = 2 sqrt(nu t) z maps G to e^{-z^2}.
    """
    if not 2 <= n_nodes <= 200:  # numpy's hermgauss overflows above ~250 nodes
        raise ValueError(f"n_nodes must be between 2 and 200, got {n_nodes}")
    x, t = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(t, np.float64))
    z, w = np.polynomial.hermite.hermgauss(n_nodes)                       # (Q,), (Q,)
    s = x[..., None] - 2.0 * np.sqrt(nu * t[..., None]) * z               # (..., Q)
    log_f = -np.cos(np.pi * s) / (2 * np.pi * nu)                         # up to +-50: stabilise
    weights = w * np.exp(log_f - log_f.max(axis=-1, keepdims=True))      # (..., Q)
    u = -(weights * np.sin(np.pi * s)).sum(-1) / weights.sum(-1)
    return np.where(t > 0, u, -np.sin(np.pi * x))


class BurgersPINN:
    name = "burgers"

    def __init__(self, n_collocation: int = 2048, n_initial: int = 256, n_boundary: int = 256,
                 nu: float = NU, n_test_x: int = 256, n_test_t: int = 101, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        self.nu, self.n_collocation = nu, n_collocation
        # Collocation points, uniform at random in the space-time box: (N, 2) columns (x, t).
        self.xt = torch.cat([2 * torch.rand(n_collocation, 1, generator=g, dtype=torch.float64) - 1,
                             torch.rand(n_collocation, 1, generator=g, dtype=torch.float64)], 1)
        x0 = torch.linspace(-1, 1, n_initial, dtype=torch.float64)[:, None]
        self.xt_initial = torch.cat([x0, torch.zeros_like(x0)], 1)        # (N0, 2)
        self.u_initial = -torch.sin(math.pi * x0)                         # (N0, 1)
        tb = torch.rand(n_boundary, 1, generator=g, dtype=torch.float64)
        side = torch.where(torch.arange(n_boundary)[:, None] % 2 == 0, -1.0, 1.0).double()
        self.xt_boundary = torch.cat([side, tb], 1)                        # (Nb, 2)
        x, t = np.meshgrid(np.linspace(-1, 1, n_test_x), np.linspace(0, 1, n_test_t), indexing="ij")
        self.xt_test = torch.tensor(np.stack([x.ravel(), t.ravel()], 1))  # (T, 2)
        self.u_test = torch.tensor(cole_hopf(x.ravel(), t.ravel(), nu))    # (T,)

    def residual(self, model: torch.nn.Module, xt: torch.Tensor) -> torch.Tensor:
        """u_t + u u_x - nu u_xx at the points ``xt`` (N, 2) -> (N, 1)."""
        xt = to_model(model, xt)[0].detach().requires_grad_(True)  # a leaf of its own
        u = model(xt)                                                      # (N, 1)
        du = grad(u, xt)                                                   # (N, 2): u_x, u_t
        u_x, u_t = du[:, :1], du[:, 1:]
        u_xx = grad(u_x, xt)[:, :1]
        return u_t + u * u_x - self.nu * u_xx

    def loss(self, model: torch.nn.Module) -> torch.Tensor:
        """PDE residual + initial condition + boundary condition, each a mean of squares."""
        r = self.residual(model, self.xt)
        xt_initial, u_initial, xt_boundary = to_model(model, self.xt_initial, self.u_initial,
                                                      self.xt_boundary)
        ic = model(xt_initial) - u_initial                                 # (N0, 1)
        bc = model(xt_boundary)                                            # (Nb, 1)
        return r.square().mean() + ic.square().mean() + bc.square().mean()

    def relative_l2_error(self, model: torch.nn.Module) -> float:
        return relative_l2(predict(model, self.xt_test), self.u_test)

    def make_model(self, width: int = 32, depth: int = 3) -> MLP:
        """The paper's FNN 2-32-32-32-1 with tanh."""
        return MLP([2] + [width] * depth + [1], activation="tanh")
