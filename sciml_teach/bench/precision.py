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
COLUMNS = ["problem", "width", "points", "policy", "adam_eps", "status", "rel_l2_error",
           "error_vs_fp32", "step_time_s", "diagnostics_s", "memory_bytes", "memory_vs_fp32", "steps"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=int, default=None,
                        help="training steps per run (default: 1000 quick, 20000 full)")
    parser.add_argument("--policies", default=",".join(POLICIES),
                        help="comma-separated policies (default: all)")
    parser.add_argument("--problem", choices=["burgers", "poisson1d"], default=None,
                        help="default: poisson1d with --quick, else the paper's Burgers PINN")
    parser.add_argument("--width", type=int, default=32, help="hidden width of the MLP (paper: 32)")
    parser.add_argument("--depth", type=int, default=3, help="hidden layers (paper: 3)")
    parser.add_argument("--collocation", type=int, default=None,
                        help="collocation points (default: 2048 Burgers, 128 Poisson)")
    parser.add_argument("--diagnose-every", type=int, default=1,
                        help="gradient statistics and frozen weights every this many steps "
                             "(outside the timed step either way)")


def run(args: argparse.Namespace, device: torch.device) -> list[dict]:
    quick = is_quick()
    name = args.problem or ("poisson1d" if quick else "burgers")
    make = Poisson1D if name == "poisson1d" else BurgersPINN
    problem = make(n_collocation=args.collocation) if args.collocation else make()
    steps = args.steps or (1000 if quick else 20_000)
    policies = [p.strip() for p in args.policies.split(",") if p.strip()]
    return policy_table_rows(problem, steps, policies, device, args.width, args.depth,
                             args.diagnose_every)
