"""Float16 gradients drifting away from float32 gradients: Hayford et al.'s "gradient divergence".

Hayford et al. 2024 (arXiv:2401.16645) say pure float16 fails partly "because of gradient
divergence at the start of training". Their analysis (lu-group/mixed-precision-sciml,
``training-phases-plots/Gradient_analysis.py``) trains a float32 and a float16 copy of one network
(x sin 5x regression, FNN 1-10-10-1, Adam lr 1e-3, 10,000 steps) from the same initial weights
and compares, at every step, the two runs' gradients -- each taken at its own run's weights --
by their cosine similarity and the distance ||g16 - g32|| (also the norms of both).

Two measures, both with relative distance ||g16 - g32|| / ||g32|| and cosine against the step:

* :func:`gradient_drift` -- **at the same weights** along one float32 run: the float16 gradient
  is the float32 model and its inputs cast to float16 (as pure float16 training computes it).
  This isolates what float16 arithmetic does to one gradient; it grows as the loss falls, because
  a PINN residual is a small difference of large terms that float16 rounds.
* :func:`trajectory_drift` -- the authors' measure: a float32 and a pure-float16 run from the same
  initial weights, each gradient at its own run's weights, so the gap also holds the two runs'
  different paths (lost updates, a different Adam). We divide the distance by ||g32||; the
  authors plot it undivided.

Introduced in notebooks/02_float16_divergence.ipynb ("Diagnosis 4"). Every run takes
``device="auto"``; data follows the model (the problem's loss moves its points to the model's
device and dtype); the recorded numbers are Python floats.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable

import torch

from ..formats import get_dtype
from ..placement import resolve_device

LossFn = Callable[[torch.nn.Module], torch.Tensor]


@dataclass
class GradientDrift:
    dtype: str                                          # the half format compared with float32
    steps: list[int] = field(default_factory=list)      # steps at which both gradients were taken
    loss: list[float] = field(default_factory=list)     # the float32 run's loss at those steps
    norm32: list[float] = field(default_factory=list)   # ||g32||
    norm16: list[float] = field(default_factory=list)   # ||g16|| (g16: the half-precision gradient)
    distance: list[float] = field(default_factory=list)  # ||g16 - g32|| / ||g32||
    cosine: list[float] = field(default_factory=list)   # g16 . g32 / (||g16|| ||g32||)


def _loss_and_gradient(model: torch.nn.Module, loss_fn: LossFn) -> tuple[float, torch.Tensor]:
    loss = loss_fn(model)
    grads = torch.autograd.grad(loss, [p for p in model.parameters()])
    return loss.item(), torch.cat([g.reshape(-1) for g in grads]).detach().double().cpu()  # (P,)


def flat_gradient(model: torch.nn.Module, loss_fn: LossFn) -> torch.Tensor:
    """d loss_fn(model) / d weights, all parameters flattened into one float64 CPU vector (P,)."""
    return _loss_and_gradient(model, loss_fn)[1]


def half_gradient(model: torch.nn.Module, loss_fn: LossFn, dtype: str | torch.dtype = "float16"
                  ) -> torch.Tensor:
    """The gradient pure half-precision training would compute at ``model``'s weights: a copy of
    the model cast to ``dtype`` (the loss casts its inputs to follow it), flattened as float64."""
    return flat_gradient(copy.deepcopy(model).to(get_dtype(dtype)), loss_fn)


def gradient_gap(g16: torch.Tensor, g32: torch.Tensor) -> tuple[float, float]:
    """(||g16 - g32|| / ||g32||, cosine of the angle between them), computed in float64."""
    if g16.shape != g32.shape:
        raise ValueError(f"the two gradients must have one shape, got {tuple(g16.shape)} and "
                         f"{tuple(g32.shape)}")
    g16, g32 = g16.double(), g32.double()
    distance = ((g16 - g32).norm() / g32.norm()).item()
    cosine = (g16 @ g32 / (g16.norm() * g32.norm())).item()
    return distance, cosine


def _record(drift: GradientDrift, step: int, loss: float, g16: torch.Tensor, g32: torch.Tensor):
    distance, cosine = gradient_gap(g16, g32)
    drift.steps.append(step)
    drift.loss.append(loss)
    drift.norm32.append(g32.norm().item())
    drift.norm16.append(g16.norm().item())
    drift.distance.append(distance)
    drift.cosine.append(cosine)


def _check_steps(steps: int, every: int) -> None:
    for name, value in [("steps", steps), ("every", every)]:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")


def _adam_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer, loss_fn: LossFn) -> None:
    optimizer.zero_grad(set_to_none=True)
    loss_fn(model).backward()
    optimizer.step()


def gradient_drift(problem, steps: int, every: int, dtype: str | torch.dtype = "float16",
                   lr: float = 1e-3, width: int = 32, depth: int = 3, seed: int = 0,
                   device: str | torch.device = "auto") -> GradientDrift:
    """Train ``problem``'s MLP in float32 with Adam for ``steps`` steps; at step 0 and every
    ``every`` steps, take the float32 gradient and the ``dtype`` gradient at the *same* weights
    and record their relative distance and cosine (lesson 02, "Diagnosis 4")."""
    _check_steps(steps, every)
    torch.manual_seed(seed)
    model = problem.make_model(width=width, depth=depth).to(resolve_device(device))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    drift = GradientDrift(dtype=str(get_dtype(dtype)).replace("torch.", ""))
    for step in range(steps + 1):
        if step % every == 0 or step == steps:
            loss, g32 = _loss_and_gradient(model, problem.loss)
            _record(drift, step, loss, half_gradient(model, problem.loss, dtype), g32)
        if step < steps:
            _adam_step(model, optimizer, problem.loss)
    return drift


def trajectory_drift(problem, steps: int, every: int, dtype: str | torch.dtype = "float16",
                     lr: float = 1e-3, half_eps: float = 1e-4, width: int = 32, depth: int = 3,
                     seed: int = 0, device: str | torch.device = "auto") -> GradientDrift:
    """The authors' measure: a float32 run (Adam, eps 1e-8) and a pure-``dtype`` run (Adam with
    ``half_eps``; 1e-8 is 0 in float16) from the same initial weights; every ``every`` steps, each
    run's gradient at its own weights. ``loss`` is the float32 run's."""
    _check_steps(steps, every)
    torch.manual_seed(seed)
    model32 = problem.make_model(width=width, depth=depth).to(resolve_device(device))
    model16 = copy.deepcopy(model32).to(get_dtype(dtype))
    opt32 = torch.optim.Adam(model32.parameters(), lr=lr)
    opt16 = torch.optim.Adam(model16.parameters(), lr=lr, eps=half_eps)
    drift = GradientDrift(dtype=str(get_dtype(dtype)).replace("torch.", ""))
    for step in range(steps + 1):
        if step % every == 0 or step == steps:
            loss, g32 = _loss_and_gradient(model32, problem.loss)
            _record(drift, step, loss, flat_gradient(model16, problem.loss), g32)
        if step < steps:
            _adam_step(model32, opt32, problem.loss)
            _adam_step(model16, opt16, problem.loss)
    return drift
