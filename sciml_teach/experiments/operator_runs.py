"""Losses and errors for operator learning with a DeepONet, data-driven or physics-informed.

``train(model, loss_fn, ...)`` (sciml_teach.training) wants ``loss_fn(model) -> scalar``; these
factories build one from a problem, its sampled input functions and points. Each loss also takes a
new batch of input functions at call time, ``loss_fn(model, branch)``, for loops that draw one per
step (``TrainStep(model, loss_fn)(branch)``; see docs/custom_loop.md). The physics-informed
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

LossFn = Callable[..., torch.Tensor]  # loss_fn(model) with the bound batch, or loss_fn(model, branch)


def _batch(given: torch.Tensor | None, bound: torch.Tensor | None, name: str,
           shape: str) -> torch.Tensor:
    """The batch passed at call time, else the one bound when the loss was built."""
    if given is not None:
        return given
    if bound is None:
        raise ValueError(f"this loss was built without {name}: call it as loss_fn(model, {name}) "
                         f"with {name} of shape {shape}, or build it with one")
    return bound


def residual_loss(problem, strategy: str | DerivativeStrategy, branch: torch.Tensor | None,
                  points: torch.Tensor) -> LossFn:
    """Mean squared PDE residual over all (function, point) pairs.

    The returned ``loss_fn(model, branch=None)`` uses the batch of input functions given at call
    time, (M, m), or else the ``branch`` it was built with (pass ``None`` to build it without one:
    then every call needs a batch). Drawing a fresh batch each step needs no rebuilding.
    """
    strategy, bound = get_strategy(strategy), branch

    def loss_fn(model, branch: torch.Tensor | None = None):
        v = _batch(branch, bound, "branch", "(M, m)")
        v, x = to_model(model, v, points)                              # (M, m), (N, D)
        fields = strategy.fields(model, v, x, problem.requests)       # {request: (M, N)}
        return upcast(problem.residual(fields, v, x)).square().mean()
    return loss_fn


def physics_loss(problem, strategy: str | DerivativeStrategy, branch: torch.Tensor | None,
                 points: torch.Tensor, boundary_weight: float = 1.0) -> LossFn:
    """PI-DeepONet loss: residual loss + ``boundary_weight`` * boundary/initial loss.

    Called as ``loss_fn(model, branch=None)``, with the same rule as :func:`residual_loss`: a batch
    (M, m) given at call time wins over the one bound here (``None`` binds none).
    """
    strategy, bound = get_strategy(strategy), branch
    residual = residual_loss(problem, strategy, bound, points)

    def loss_fn(model, branch: torch.Tensor | None = None):
        (v,) = to_model(model, _batch(branch, bound, "branch", "(M, m)"))  # (M, m)
        return residual(model, v) + boundary_weight * upcast(problem.boundary_loss(model, strategy, v))
    return loss_fn


def data_loss(branch: torch.Tensor | None, points: torch.Tensor,
              target: torch.Tensor | None) -> LossFn:
    """Mean squared error against reference values ``target`` (M, N): supervised DeepONet.

    Called as ``loss_fn(model, branch=None, target=None)``: a batch given at call time (both
    ``branch`` (M, m) and its ``target`` (M, N)) wins over the one bound here (``None`` binds none).
    """
    bound_branch, bound_target = branch, target

    def loss_fn(model, branch: torch.Tensor | None = None, target: torch.Tensor | None = None):
        if (branch is None) != (target is None):
            raise ValueError("pass a new branch batch together with its target: "
                             "loss_fn(model, branch (M, m), target (M, N))")
        v = _batch(branch, bound_branch, "branch", "(M, m)")
        u = _batch(target, bound_target, "target", "(M, N)")
        v, x, u = to_model(model, v, points, u)
        return upcast(model(v, x) - u).square().mean()                # over (M, N)
    return loss_fn


def relative_error(branch: torch.Tensor, points: torch.Tensor,
                   target: torch.Tensor) -> Callable[[torch.nn.Module], float]:
    """Relative L2 error ||u - u_ref|| / ||u_ref|| over all functions and points, in float64."""
    def error_fn(model):
        v, x = to_model(model, branch, points)
        return relative_l2(model(v, x), target)                        # over all (M, N) values
    return error_fn
