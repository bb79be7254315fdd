"""A PINN trained under one precision policy: the run lessons 00-03 repeat per policy.

Hayford et al. 2024 (arXiv:2401.16645), Sec. 4.1 / Table 2: the same network, the same data and
the same initial weights under float32, pure float16 and AMP. Introduced in
notebooks/02_float16_divergence.ipynb and notebooks/03_amp_recovery.ipynb.
"""
from __future__ import annotations

import math
import statistics
from typing import Callable, Mapping, Sequence

import torch

from ..placement import resolve_device
from ..progress import progress
from ..training import Callback, History, TrainConfig, train
from .memory_runs import pinn_step_account


def train_pinn(problem, config: TrainConfig, callbacks: Sequence[Callback] = (),
               loss_weight: float = 1.0, width: int = 32, depth: int = 3, seed: int = 0,
               model: torch.nn.Module | None = None,
               make_optimizer: Callable[[torch.nn.Module], torch.optim.Optimizer] | None = None
               ) -> History:
    """Train ``model`` (default: the problem's MLP built from ``seed``) on ``loss_weight * loss``.

    The same seed gives every policy the same initial weights, so runs compare like for like.
    Pass your own ``model`` to keep a handle on the trained network (it is trained in place).
    ``loss_weight`` < 1 mimics a loss in small physical units: harmless in float32 (Adam does not
    care about the loss's scale), fatal in float16 without loss scaling (lesson 03). The device is
    ``config.device``. ``make_optimizer(model)`` replaces the default Adam (see :func:`train`).
    """
    if model is None:
        torch.manual_seed(seed)
        model = problem.make_model(width=width, depth=depth)
    return train(model, lambda m: loss_weight * problem.loss(m), config,
                 error_fn=problem.relative_l2_error, callbacks=callbacks, make_optimizer=make_optimizer)


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
    for seed in progress(seeds, "seeds"):
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


def policy_runs(policies: Sequence[str]) -> list[tuple[str, float]]:
    """(policy, Adam eps) pairs: each policy with eps = 1e-8, and pure float16 once more with
    eps = 1e-4 (1e-8 is 0 in float16). 1e-4 is our choice for the comparison; Hayford et al.'s
    Burgers notebook sets eps = 1e-5 for every run, float32 included."""
    runs = [(p, 1e-8) for p in policies]
    if "fp16" in policies:  # a representable eps, next to the default that underflows
        runs.insert(list(policies).index("fp16") + 1, ("fp16", 1e-4))
    return runs


def steady_memory(measured: Sequence[int]) -> int:
    """The largest memory of the steps measured after the first, or the first when it is all.

    Step 0 can hold one-time allocations of the process rather than of the step: on a GPU the
    first matrix product creates cuBLAS's workspace (tens of MiB) in the allocator, so whichever
    policy runs first looked ~10x heavier (float64 "10.2x" float32 on the H100 of
    docs/results/)."""
    return max(measured[1:]) if len(measured) > 1 else measured[0]


def policy_table_rows(problem, steps: int, policies: Sequence[str],
                      device: str | torch.device = "auto", width: int = 32, depth: int = 3,
                      diagnose_every: int = 1,
                      on_row: Callable[[dict], None] | None = None) -> list[dict]:
    """One row per run of :func:`policy_runs`: status, error, step time and memory, with error
    and memory relative to float32 (Hayford et al. 2024, Table 2), and the whole memory account
    of one step of a fresh model (``param_bytes``, ``grad_bytes``, ``optimizer_bytes``,
    ``weight_copy_bytes``, ``activation_bytes``, ``total_bytes``, ``cuda_peak_bytes``).

    ``step_time_s`` is the lean step (forward, backward, update); ``diagnostics_s`` is what the
    diagnostics beside it cost per step, every ``diagnose_every`` steps. ``on_row(row)`` is
    called as each row is finished (the ratios to float32 are added to the returned rows).
    """
    if not list(policies):
        raise ValueError("policies must name at least one precision policy, e.g. ['fp32']")
    rows = []
    for policy, eps in progress(policy_runs(policies), "policies"):
        config = TrainConfig(steps=steps, lr=1e-3, adam_eps=eps, policy=policy, memory_kind="auto",
                             device=str(resolve_device(device)), error_every=max(steps // 10, 1),
                             diagnose_every=diagnose_every)
        history = train_pinn(problem, config, width=width, depth=depth)
        rows.append({"problem": problem.name, "width": width, "depth": depth,
                     "points": problem.n_collocation,
                     "policy": policy, "adam_eps": eps,
                     "status": history.status, "rel_l2_error": history.final_error,
                     "step_time_s": history.median_step_time_s,
                     "diagnostics_s": statistics.median(history.diagnostics_time_s),
                     "memory_bytes": steady_memory(history.memory_bytes), "steps": history.steps,
                     "reason": history.reason,
                     **pinn_step_account(problem, policy, width, depth, eps, device=device).as_row()})
        if on_row is not None:
            on_row(rows[-1])
    fp32 = next((r for r in rows if r["policy"] == "fp32"), None)
    for r in rows:
        if fp32 is not None:
            r["error_vs_fp32"] = r["rel_l2_error"] / fp32["rel_l2_error"]
            r["memory_vs_fp32"] = r["memory_bytes"] / fp32["memory_bytes"]
        else:
            r["error_vs_fp32"] = r["memory_vs_fp32"] = math.nan
    return rows
