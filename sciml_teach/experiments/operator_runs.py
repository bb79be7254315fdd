"""Losses and errors for operator learning with a DeepONet, data-driven or physics-informed.

``train(model, loss_fn, ...)`` (sciml_teach.training) wants ``loss_fn(model) -> scalar``; these
factories build one from a problem, its sampled input functions and points. The physics-informed
loss is PI-DeepONet's (Wang et al. 2021): mean squared PDE residual, with derivatives from any
strategy of sciml_teach.derivatives (Leng et al. 2024), plus the boundary/initial loss.
Every loss moves its data to the model's device and dtype and is reduced in at least float32.
Introduced in notebooks/04_deeponet_amp.ipynb.
"""
from __future__ import annotations

from typing import Callable

import torch

from ..derivatives import DerivativeStrategy, get_strategy
from ..metrics import relative_l2
from ..placement import to_model, upcast

LossFn = Callable[[torch.nn.Module], torch.Tensor]


def residual_loss(problem, strategy: str | DerivativeStrategy, branch: torch.Tensor,
                  points: torch.Tensor) -> LossFn:
    """Mean squared PDE residual over all (function, point) pairs."""
    strategy = get_strategy(strategy)

    def loss_fn(model):
        v, x = to_model(model, branch, points)                         # (M, m), (N, D)
        fields = strategy.fields(model, v, x, problem.requests)       # {request: (M, N)}
        return upcast(problem.residual(fields, v, x)).square().mean()
    return loss_fn


def physics_loss(problem, strategy: str | DerivativeStrategy, branch: torch.Tensor,
                 points: torch.Tensor, boundary_weight: float = 1.0) -> LossFn:
    """PI-DeepONet loss: residual loss + ``boundary_weight`` * boundary/initial loss."""
    strategy = get_strategy(strategy)
    residual = residual_loss(problem, strategy, branch, points)

    def loss_fn(model):
        (v,) = to_model(model, branch)                                 # (M, m)
        return residual(model) + boundary_weight * upcast(problem.boundary_loss(model, strategy, v))
    return loss_fn


def data_loss(branch: torch.Tensor, points: torch.Tensor, target: torch.Tensor) -> LossFn:
    """Mean squared error against reference values ``target`` (M, N): supervised DeepONet."""
    def loss_fn(model):
        v, x, u = to_model(model, branch, points, target)
        return upcast(model(v, x) - u).square().mean()                # over (M, N)
    return loss_fn


def relative_error(branch: torch.Tensor, points: torch.Tensor,
                   target: torch.Tensor) -> Callable[[torch.nn.Module], float]:
    """Relative L2 error ||u - u_ref|| / ||u_ref|| over all functions and points, in float64."""
    def error_fn(model):
        v, x = to_model(model, branch, points)
        return relative_l2(model(v, x), target)                        # over all (M, N) values
    return error_fn
