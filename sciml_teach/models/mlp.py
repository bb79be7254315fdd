"""The fully connected network of a PINN (Raissi et al. 2019; Hayford et al. 2024 use 2-32-32-32-1).

Introduced in notebooks/02_float16_divergence.ipynb.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..checks import check_int, check_tensor

ACTIVATIONS = {"tanh": nn.Tanh, "sin": None, "relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU}


class Sine(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(x)


def _activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; valid names: {', '.join(ACTIVATIONS)}")
    return Sine() if name == "sin" else ACTIVATIONS[name]()


class MLP(nn.Module):
    """``layer_sizes = [2, 32, 32, 32, 1]``: inputs, hidden widths, outputs; activation between layers.

    Weights use Glorot (Xavier) normal initialisation and zero biases, as in the PINN literature.
    """

    def __init__(self, layer_sizes: Sequence[int], activation: str = "tanh",
                 final_activation: bool = False):
        super().__init__()
        if len(layer_sizes) < 2:
            raise ValueError(f"layer_sizes must list >= 2 positive widths, got {list(layer_sizes)}")
        for i, n in enumerate(layer_sizes):
            check_int(f"layer_sizes[{i}]", n, minimum=1)
        self.layer_sizes = list(layer_sizes)
        layers: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:])):
            linear = nn.Linear(n_in, n_out)
            nn.init.xavier_normal_(linear.weight)
            nn.init.zeros_(linear.bias)
            layers.append(linear)
            if i < len(layer_sizes) - 2 or final_activation:
                layers.append(_activation(activation))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor("x", x, like=self.net[0].weight, shape_hint=f" (..., {self.layer_sizes[0]})")
        if x.ndim == 0 or x.shape[-1] != self.layer_sizes[0]:
            raise ValueError(f"MLP expects inputs of shape (..., {self.layer_sizes[0]}), "
                             f"got {tuple(x.shape)}")
        return self.net(x)  # (..., layer_sizes[-1])
