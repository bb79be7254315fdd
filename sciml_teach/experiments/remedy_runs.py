"""Rescuing a stalled pure-bfloat16 PINN without float32 master weights.

Lesson 02 ends with pure half precision stalling: most of Adam's updates are smaller than half an
ulp of the 16-bit weights and round away. Here the same PINN trains, seed by seed, in float32, in
plain pure bfloat16 (torch's Adam on bfloat16 parameters) and in pure bfloat16 with the update
computed in float32 and added by a :mod:`sciml_teach.half_updates` remedy -- Kahan compensation or
stochastic rounding (Zamirai et al. 2020, arXiv:2010.06192) -- the weights staying 16-bit.
Introduced at the end of notebooks/02_float16_divergence.ipynb.
"""
from __future__ import annotations

import dataclasses
import statistics
from typing import Callable, Mapping, Sequence

import torch

from ..half_updates import REMEDIES
from ..precision import get_policy
from ..problems import Poisson1D
from ..quick import pick
from ..training import Callback, History, TrainConfig
from .pinn_runs import final_errors, train_pinn


def remedy_optimizer(remedy: str, lr: float, eps: float, seed: int = 0
                     ) -> Callable[[torch.nn.Module], torch.optim.Optimizer]:
    """``make_optimizer(model)``: Adam wrapped in the named remedy ("nearest", "kahan",
    "stochastic"; ``seed`` fixes stochastic rounding's random bits)."""
    if remedy not in REMEDIES:
        raise ValueError(f"unknown remedy {remedy!r}; valid names: {', '.join(REMEDIES)}")

    def make(model: torch.nn.Module):
        adam = torch.optim.Adam(model.parameters(), lr=lr, eps=eps)
        return REMEDIES[remedy](adam, seed=seed) if remedy == "stochastic" else REMEDIES[remedy](adam)
    return make


def train_pinn_remedies(problem=None, policy: str = "bf16", remedies: Sequence[str] = ("kahan", "stochastic"),
                        references: Sequence[str] = ("fp32",), seeds: Sequence[int] = (0, 1, 2),
                        steps: int | None = None, lr: float = 1e-3,
                        adam_eps: float = 1e-8, width: int = 32, depth: int = 3,
                        device: str = "auto",
                        callbacks_for: Callable[[str, int], Sequence[Callback]] | None = None
                        ) -> dict[str, list[History]]:
    """``{label: [History per seed]}``: each policy in ``references`` (float32 first; add
    ``"amp-bf16"`` to see what float32 master weights achieve with the same 16-bit compute), the
    plain ``policy`` run and ``"<policy> + <remedy>"`` per remedy. Every label starts from the same
    initial weights per seed; all use Adam with ``lr`` and ``adam_eps``.

    ``problem`` defaults to lesson 02's 1-D Poisson PINN; ``steps`` to 500 in quick mode (float32
    is still improving, plain bfloat16 has long stalled) and 2000 in full. Longer runs bring
    float32 below what 16-bit *compute* can resolve (AMP-bfloat16 stops there too), so compare the
    remedies with ``"amp-bf16"`` then. With ``policy="fp16"`` pass ``adam_eps=1e-4`` (1e-8 is 0 in
    float16). Read the result with :func:`seed_table` or :func:`remedy_ratios`.
    """
    problem = problem if problem is not None else Poisson1D()
    steps = steps if steps is not None else pick(500, 2000)
    name = get_policy(policy).name
    for remedy in remedies:
        remedy_optimizer(remedy, lr, adam_eps)  # a clear ValueError for a typo, before any run
    base = TrainConfig(steps=steps, lr=lr, adam_eps=adam_eps, policy=name, device=device,
                       error_every=max(steps // 10, 1), diagnose_every=max(steps // 20, 1))
    labels = [get_policy(r).name for r in references] + [name] + [f"{name} + {r}" for r in remedies]
    runs: dict[str, list[History]] = {label: [] for label in labels}  # a repeated label runs once
    for seed in seeds:
        for label in runs:
            policy_name, _, remedy = label.partition(" + ")
            config = dataclasses.replace(base, policy=policy_name)
            make = remedy_optimizer(remedy, lr, adam_eps, seed) if remedy else None
            callbacks = callbacks_for(label, seed) if callbacks_for else ()
            runs[label].append(train_pinn(problem, config, callbacks, width=width, depth=depth,
                                          seed=seed, make_optimizer=make))
    return runs


def remedy_ratios(runs: Mapping[str, Sequence[History]], reference: str = "fp32") -> dict[str, float]:
    """Median final error over the seeds of each label, divided by the median of ``reference``."""
    med = {label: statistics.median(errors) for label, errors in final_errors(runs).items()}
    return {label: m / med[reference] for label, m in med.items()}
