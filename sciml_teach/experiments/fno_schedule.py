"""The precision schedule and zero-shot super-resolution of a mixed-precision FNO.

Tu et al. 2024 (arXiv:2307.15034) train the FNO's spectral layers first in half precision, then
mixed, then full. In the authors' training code a ``precision_schedule`` of two epochs switches
the Fourier layers from half (forward FFT, contraction and inverse FFT in half, tanh stabiliser,
autocast on) to mixed (forward FFT in full precision) at the first, and to full precision with
autocast off at the second; their Navier-Stokes run scripts switch at 25% and 75% of training
(epochs 125 and 375 of 500). :data:`SCHEDULE` does the same over training steps. The paper
reports that mixed precision keeps the FNO's zero-shot super-resolution (trained at one
resolution, evaluated at a finer one without retraining) when trained with this schedule; we
measure the error at n, 2n and 4n of a full-precision and a mixed+tanh FNO trained at n, on
Navier-Stokes flows solved at 4n. Lesson 06's Navier-Stokes section and
``python -m sciml_teach.bench fno --parts schedule,superres`` run these functions.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch

from ..metrics import mean_relative_l2
from ..models import FNO
from ..models.fno import set_spectral_precision
from ..placement import resolve_device, to_model
from ..precision import get_policy
from ..problems import NavierStokesConfig, navier_stokes_dataset
from ..quick import pick
from ..training import TrainConfig, train
from .fno_settings import (FNOSetting, fno_model, loss_and_error, policy_name, train_fno_setting)

# (spectral precision, fraction of the steps, autocast on): the authors' half -> mixed -> full
SCHEDULE = (("half", 0.25, True), ("mixed", 0.5, True), ("full", 0.25, False))
# constant-precision baselines the schedule is measured against (settings of fno_settings)
CONSTANT = {"full-fp32": FNOSetting("full", "none", False),
            "mixed-tanh": FNOSetting("mixed", "tanh", True),
            "half-tanh": FNOSetting("half", "tanh", True)}
SUPERRES = ("full-fp32", "mixed-tanh")   # the two FNOs whose super-resolution is compared
SCALES = (1, 2, 4)                       # evaluated at n, 2n and 4n points per side


def phase_steps(steps: int, schedule=SCHEDULE) -> list[int]:
    """Steps per phase: the fractions of ``steps`` rounded, the last phase takes the rest."""
    counts = [max(1, round(fraction * steps)) for _, fraction, _ in schedule[:-1]]
    return counts + [max(1, steps - sum(counts))]


def train_schedule(data: dict, device: torch.device | str = "auto", steps: int | None = None,
                   seed: int = 0, width: int | None = None, batch: int | None = None,
                   memory: str = "autograd_saved", schedule=SCHEDULE) -> tuple[dict, FNO]:
    """Train one FNO (tanh stabiliser) through the ``schedule``'s phases with one Adam optimizer,
    its state carried across the switches. Returns its row -- the final test error, the largest
    memory of any phase, the training time (sum over phases of median step time x steps) -- and
    the model."""
    device = resolve_device(device)
    width, batch, steps = width or pick(24, 32), batch or pick(16, 32), steps or pick(150, 2000)
    model = fno_model(FNOSetting(schedule[0][0], "tanh", True), data, width, seed).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn, error_fn = loss_and_error(data, 1.0, batch, device, seed)
    seconds, memory_bytes, history = 0.0, 0, None
    for (precision, _, amp), count in zip(schedule, phase_steps(steps, schedule)):
        set_spectral_precision(model, precision)
        policy = policy_name(FNOSetting(precision, "tanh", amp), device)
        history = train(model, loss_fn, TrainConfig(steps=count, lr=3e-3, policy=policy,
                                                    device=str(device), memory_kind=memory,
                                                    error_every=count, seed=None),
                        error_fn=error_fn, make_optimizer=lambda m: optimizer)
        seconds += history.median_step_time_s * history.steps
        memory_bytes = max(memory_bytes, max(history.memory_bytes))
        if history.status == "diverged":
            break
    name = "->".join(p for p, _, _ in schedule)
    return {"part": "schedule", "schedule": name, "seed": seed, "steps": steps,
            "status": history.status, "rel_l2_error": history.final_error,
            "train_seconds": seconds, "memory_bytes": memory_bytes}, model


def schedule_rows(data: dict, device: torch.device | str = "auto", steps: int | None = None,
                  seeds: Sequence[int] = (0, 1, 2), width: int | None = None,
                  batch: int | None = None, memory: str = "autograd_saved") -> list[dict]:
    """The schedule against each constant precision of :data:`CONSTANT`, for each seed: final
    test error, memory and training time (rows with ``part="schedule"``)."""
    rows = []
    steps = steps or pick(150, 2000)
    for seed in seeds:
        for name, setting in CONSTANT.items():
            row, _ = train_fno_setting(setting, data, device, steps, memory=memory, seed=seed,
                                       width=width, batch=batch)
            rows.append({"part": "schedule", "schedule": name, "seed": seed, "steps": steps,
                         "status": row["status"], "rel_l2_error": row["rel_l2_error"],
                         "train_seconds": steps * row["batch"] / row["throughput"]
                         if row["throughput"] == row["throughput"] else math.nan,
                         "memory_bytes": row["memory_bytes"]})
        rows.append(train_schedule(data, device, steps, seed, width, batch, memory)[0])
    return rows


def superres_data(data: dict, n_test: int | None = None, seed: int = 1) -> dict[int, tuple]:
    """Test flows solved at 4n, sampled at n, 2n and 4n and normalised as ``data`` (a
    Navier-Stokes :func:`~sciml_teach.experiments.fno_settings.fno_data`): {n: (a, u)}."""
    if data["problem"] != "navier-stokes":
        raise ValueError(f"super-resolution is measured on navier-stokes data, got {data['problem']!r}")
    n, count = data["resolution"], n_test or pick(16, 64)
    out = {}
    for scale in SCALES:
        config = NavierStokesConfig(resolution=scale * n, solver_resolution=max(SCALES) * n)
        flows = navier_stokes_dataset(count, config, seed=seed)
        a = (flows["w0"][:, None] - data["a_mean"]) / data["a_std"]     # (M, 1, sn, sn)
        out[scale * n] = (a, flows["w1"][:, None] / data["u_std"])
    return out


def evaluate(model: FNO, policy: str, a: torch.Tensor, u: torch.Tensor) -> float:
    """Mean relative L2 error of ``model`` on (a, u) under ``policy``'s autocast, no gradients."""
    device = next(model.parameters()).device
    with torch.no_grad(), get_policy(policy).autocast_context(device):
        return mean_relative_l2(model(*to_model(model, a.to(device))), u)


def superres_rows(data: dict, device: torch.device | str = "auto", steps: int | None = None,
                  seed: int = 0, width: int | None = None, batch: int | None = None,
                  n_test: int | None = None, trained: dict | None = None) -> list[dict]:
    """Each FNO of :data:`SUPERRES` trained at n, its test error at n, 2n and 4n on ``n_test``
    flows (rows with ``part="superres"``; ``error_vs_train_res``: the error over that at n).
    ``trained`` ({name: (row, model)} from :func:`train_fno_setting`) skips the training."""
    device = resolve_device(device)
    tests, rows = superres_data(data, n_test), []
    for name in SUPERRES:
        row, model = (trained or {}).get(name) or train_fno_setting(
            CONSTANT[name], data, device, steps, seed=seed, width=width, batch=batch)
        errors = {n: evaluate(model, row["policy"], a, u) for n, (a, u) in tests.items()}
        base = errors[data["resolution"]]
        rows += [{"part": "superres", "schedule": name, "seed": row["seed"], "status": row["status"],
                  "train_resolution": data["resolution"], "eval_resolution": n,
                  "rel_l2_error": e, "error_vs_train_res": e / base} for n, e in errors.items()]
    return rows
