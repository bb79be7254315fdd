"""What every PINN problem shares: derivatives by autograd and predictions on the model's device.

Kept apart from the PDEs so each problem file reads like its equation.
"""
from __future__ import annotations

import torch

from ..placement import to_model


def grad(u: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """du/dx for every point, keeping the graph so the result can be differentiated again.

    ``u`` (N, 1) depends pointwise on ``x`` (N, D); returns (N, D).
    """
    return torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True)[0]


def predict(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The model at points ``x`` (N, D) -> (N,), in the model's own dtype, without gradients."""
    with torch.no_grad():
        return model(*to_model(model, x)).reshape(-1)
