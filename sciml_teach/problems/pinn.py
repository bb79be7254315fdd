"""What every PINN problem shares: derivatives by autograd and the relative L2 error.

Kept apart from the PDEs so each problem file reads like its equation.
"""
from __future__ import annotations

import statistics
from typing import Callable, Mapping, Sequence

import torch

from ..training import Callback, History, TrainConfig, param_dtype, train


def grad(u: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """du/dx for every point, keeping the graph so the result can be differentiated again.

    ``u`` (N, 1) depends pointwise on ``x`` (N, D); returns (N, D).
    """
    return torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True)[0]


def relative_l2(prediction: torch.Tensor, reference: torch.Tensor) -> float:
    """||prediction - reference|| / ||reference||, computed in float64."""
    p, r = prediction.detach().double().reshape(-1), reference.detach().double().reshape(-1)
    if p.shape != r.shape:
        raise ValueError(f"prediction has {p.numel()} values, reference {r.numel()}")
    return (torch.linalg.vector_norm(p - r) / torch.linalg.vector_norm(r)).item()


def predict(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The model at points ``x`` (N, D) -> (N,), in the model's own dtype, without gradients."""
    with torch.no_grad():
        return model(x.to(param_dtype(model))).reshape(-1)


def train_pinn(problem, config, callbacks=(), loss_weight: float = 1.0, width: int = 32,
               depth: int = 3, seed: int = 0, model: torch.nn.Module | None = None):
    """Train ``model`` (default: the problem's MLP built from ``seed``) on ``loss_weight * loss``.

    The same seed gives every policy the same initial weights, so runs compare like for like.
    Pass your own ``model`` to keep a handle on the trained network (it is trained in place).
    ``loss_weight`` < 1 mimics a loss in small physical units: harmless in float32 (Adam does not
    care about the loss's scale), fatal in float16 without loss scaling (lesson 03).
    """
    if model is None:
        torch.manual_seed(seed)
        model = problem.make_model(width=width, depth=depth)
    return train(model, lambda m: loss_weight * problem.loss(m), config,
                 error_fn=problem.relative_l2_error, callbacks=callbacks)


def train_pinn_seeds(problem, configs: Mapping[str, TrainConfig], seeds: Sequence[int],
                     loss_weight: float = 1.0,
                     callbacks_for: Callable[[str, int], Sequence[Callback]] | None = None
                     ) -> dict[str, list[History]]:
    """Train every labelled config once per seed: ``{label: [History per seed]}``.

    One seed is one draw of the initial weights; float32's own final error varies several times
    between draws, so a claim like "AMP matches float32" compares the distributions over seeds,
    never one pair of runs. ``callbacks_for(label, seed)`` gives the callbacks of one run (e.g. a
    live plot for the first seed only). Introduced in notebooks/03_amp_recovery.ipynb.
    """
    runs: dict[str, list[History]] = {label: [] for label in configs}
    for seed in seeds:
        for label, config in configs.items():
            callbacks = callbacks_for(label, seed) if callbacks_for else ()
            runs[label].append(train_pinn(problem, config, callbacks, loss_weight, seed=seed))
    return runs


def final_errors(runs: Mapping[str, Sequence[History]]) -> dict[str, list[float]]:
    """``{label: [final error per seed]}`` of :func:`train_pinn_seeds`' runs."""
    return {label: [h.final_error for h in histories] for label, histories in runs.items()}


def seed_table(runs: Mapping[str, Sequence[History]]) -> str:
    """Median, smallest and largest final error over the seeds, and how many runs ended ok."""
    lines = [f"{'run':<22}{'seeds':>6}{'ok':>4}{'median error':>14}{'min':>11}{'max':>11}"]
    for label, histories in runs.items():
        errors = [h.final_error for h in histories]
        ok = sum(h.status == "ok" for h in histories)
        lines.append(f"{label:<22}{len(errors):>6}{ok:>4}{statistics.median(errors):>14.2e}"
                     f"{min(errors):>11.2e}{max(errors):>11.2e}")
    return "\n".join(lines)
