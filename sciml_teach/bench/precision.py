"""``python -m sciml_teach.bench precision``: Hayford et al. 2024, Table 2, on your hardware.

Trains the Burgers PINN (FNN 2-32-32-32-1, tanh, 2048 collocation points, Adam lr 1e-3) under every
precision policy and reports relative L2 error, step time and memory. ``--quick`` trains the 1-D
Poisson PINN instead (Burgers needs >10k steps to get below 10% error); the ``problem`` column says
which. Pure float16 runs twice: with Adam's default eps = 1e-8 (which is 0 in float16) and with the
authors' eps = 1e-4. The runs are
:func:`sciml_teach.experiments.pinn_runs.policy_table_rows`.
"""
from __future__ import annotations

import argparse

import torch

from ..experiments.pinn_runs import policy_table_rows
from ..precision import POLICIES
from ..problems import BurgersPINN, Poisson1D
from ..quick import is_quick

DESCRIPTION = "PINN training under each precision policy: error, step time, memory (Hayford et al. 2024)"
COLUMNS = ["problem", "policy", "adam_eps", "status", "rel_l2_error", "error_vs_fp32",
           "step_time_s", "memory_bytes", "memory_vs_fp32", "steps"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=int, default=None,
                        help="training steps per run (default: 1000 quick, 20000 full)")
    parser.add_argument("--policies", default=",".join(POLICIES),
                        help="comma-separated policies (default: all)")


def run(args: argparse.Namespace, device: torch.device) -> list[dict]:
    quick = is_quick()
    problem = Poisson1D() if quick else BurgersPINN()
    steps = args.steps or (1000 if quick else 20_000)
    policies = [p.strip() for p in args.policies.split(",") if p.strip()]
    return policy_table_rows(problem, steps, policies, device)
