"""``python -m sciml_teach.bench precision``: Hayford et al. 2024, Table 2, on your hardware.

Trains the Burgers PINN (FNN 2-32-32-32-1, tanh, 2048 collocation points, Adam lr 1e-3) under every
precision policy and reports relative L2 error, step time and memory. ``--quick`` trains the 1-D
Poisson PINN instead (Burgers needs >10k steps to get below 10% error); the ``problem`` column says
which. Pure float16 runs twice: with Adam's default eps = 1e-8 (which is 0 in float16) and with the
authors' eps = 1e-4.
"""
from __future__ import annotations

import argparse
import math

import torch

from ..precision import POLICIES
from ..problems.burgers_pinn import BurgersPINN
from ..problems.pinn import train_pinn
from ..problems.poisson1d import Poisson1D
from ..quick import is_quick
from ..training import TrainConfig

DESCRIPTION = "PINN training under each precision policy: error, step time, memory (Hayford et al. 2024)"
COLUMNS = ["problem", "policy", "adam_eps", "status", "rel_l2_error", "error_vs_fp32",
           "step_time_s", "memory_bytes", "memory_vs_fp32", "steps"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=int, default=None,
                        help="training steps per run (default: 1000 quick, 20000 full)")
    parser.add_argument("--policies", default=",".join(POLICIES),
                        help="comma-separated policies (default: all)")


def _runs(policies: list[str]) -> list[tuple[str, float]]:
    runs = [(p, 1e-8) for p in policies]
    if "fp16" in policies:  # the authors' fix for eps underflow, next to the default
        runs.insert(policies.index("fp16") + 1, ("fp16", 1e-4))
    return runs


def run(args: argparse.Namespace, device: torch.device) -> list[dict]:
    quick = is_quick()
    problem = Poisson1D() if quick else BurgersPINN()
    steps = args.steps or (1000 if quick else 20_000)
    policies = [p.strip() for p in args.policies.split(",") if p.strip()]
    rows = []
    for policy, eps in _runs(policies):
        config = TrainConfig(steps=steps, lr=1e-3, adam_eps=eps, policy=policy, device=str(device),
                             error_every=max(steps // 10, 1))
        history = train_pinn(problem, config)
        rows.append({"problem": problem.name, "policy": policy, "adam_eps": eps,
                     "status": history.status, "rel_l2_error": history.final_error,
                     "step_time_s": history.median_step_time_s,
                     "memory_bytes": max(history.memory_bytes), "steps": history.steps,
                     "reason": history.reason})
    fp32 = next((r for r in rows if r["policy"] == "fp32"), None)
    for r in rows:
        if fp32 is not None:
            r["error_vs_fp32"] = r["rel_l2_error"] / fp32["rel_l2_error"]
            r["memory_vs_fp32"] = r["memory_bytes"] / fp32["memory_bytes"]
        else:
            r["error_vs_fp32"] = r["memory_vs_fp32"] = math.nan
    return rows
