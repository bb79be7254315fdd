"""Losses and errors for operator learning with a DeepONet, data-driven or physics-informed.

``train(model, loss_fn, ...)`` (sciml_teach.training) wants ``loss_fn(model) -> scalar``; these
factories build one from a problem, its sampled input functions and points. The physics-informed
loss is PI-DeepONet's (Wang et al. 2021): mean squared PDE residual, with derivatives from any
strategy of sciml_teach.derivatives (Leng et al. 2024), plus the boundary/initial loss.
Introduced in notebooks/04_deeponet_amp.ipynb.
"""
from __future__ import annotations

from typing import Callable

import torch

from ..derivatives import DerivativeStrategy, get_strategy
from ..training import param_dtype
from .burgers_periodic import BurgersPeriodic
from .pinn import relative_l2
from .plate import KirchhoffLovePlate
from .reaction_diffusion import ReactionDiffusion

OPERATOR_PROBLEMS = {"reaction_diffusion": ReactionDiffusion, "burgers": BurgersPeriodic,
                     "plate": KirchhoffLovePlate}

LossFn = Callable[[torch.nn.Module], torch.Tensor]


def get_operator_problem(name: str):
    """A problem with default parameters by name; ValueError lists the valid names."""
    if name not in OPERATOR_PROBLEMS:
        raise ValueError(f"unknown operator problem {name!r}; valid names: "
                         f"{', '.join(OPERATOR_PROBLEMS)}")
    return OPERATOR_PROBLEMS[name]()


def collocation_points(n_points: int, dims: int = 2,
                       generator: torch.Generator | None = None) -> torch.Tensor:
    """Uniform random points in [0, 1]^dims, (N, D), float64, shared by all functions."""
    return torch.rand(n_points, dims, generator=generator, dtype=torch.float64)


def _cast(model: torch.nn.Module, *tensors: torch.Tensor):
    p = next(model.parameters())
    return [t.to(device=p.device, dtype=param_dtype(model)) for t in tensors]


def residual_loss(problem, strategy: str | DerivativeStrategy, branch: torch.Tensor,
                  points: torch.Tensor) -> LossFn:
    """Mean squared PDE residual over all (function, point) pairs."""
    strategy = get_strategy(strategy)

    def loss_fn(model):
        v, x = _cast(model, branch, points)
        fields = strategy.fields(model, v, x, problem.requests)       # {request: (M, N)}
        return problem.residual(fields, v, x).float().square().mean()
    return loss_fn


def physics_loss(problem, strategy: str | DerivativeStrategy, branch: torch.Tensor,
                 points: torch.Tensor, boundary_weight: float = 1.0) -> LossFn:
    """PI-DeepONet loss: residual loss + ``boundary_weight`` * boundary/initial loss."""
    strategy = get_strategy(strategy)
    residual = residual_loss(problem, strategy, branch, points)

    def loss_fn(model):
        (v,) = _cast(model, branch)
        return residual(model) + boundary_weight * problem.boundary_loss(model, strategy, v).float()
    return loss_fn


def data_loss(branch: torch.Tensor, points: torch.Tensor, target: torch.Tensor) -> LossFn:
    """Mean squared error against reference values ``target`` (M, N): supervised DeepONet."""
    def loss_fn(model):
        v, x, u = _cast(model, branch, points, target)
        return (model(v, x) - u).float().square().mean()
    return loss_fn


def relative_error(branch: torch.Tensor, points: torch.Tensor,
                   target: torch.Tensor) -> Callable[[torch.nn.Module], float]:
    """Relative L2 error ||u - u_ref|| / ||u_ref|| over all functions and points, in float64."""
    def error_fn(model):
        v, x = _cast(model, branch, points)
        return relative_l2(model(v, x).cpu(), target)                 # over all (M, N) values
    return error_fn
