"""``python -m sciml_teach.bench precision``: Hayford et al. 2024, Table 2, on your hardware.

Trains the Burgers PINN (FNN 2-32-32-32-1, tanh, 2048 collocation points, Adam lr 1e-3) under every
precision policy and reports relative L2 error, step time and memory. ``--quick`` trains the 1-D
Poisson PINN instead (Burgers needs >10k steps to get below 10% error); the ``problem`` column says
which. Pure float16 runs twice: with Adam's default eps = 1e-8 (which is 0 in float16) and with
eps = 1e-4 (our choice; the authors' Burgers notebook sets eps = 1e-5 for every run). The runs are
:func:`sciml_teach.experiments.pinn_runs.policy_table_rows`.
"""
from __future__ import annotations

import argparse
from typing import Callable

import torch

from ..experiments.pinn_runs import policy_table_rows
from ..precision import POLICIES
from ..problems import BurgersPINN, Poisson1D
from ..quick import is_quick
from .args import MAX_STEPS, int_in, name_list

DESCRIPTION = "PINN training under each precision policy: error, step time, memory (Hayford et al. 2024)"
COLUMNS = ["problem", "width", "points", "policy", "adam_eps", "status", "rel_l2_error",
           "error_vs_fp32", "step_time_s", "diagnostics_s", "memory_bytes", "memory_vs_fp32", "steps"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=int_in(1, MAX_STEPS), default=None,
                        help="training steps per run (default: 1000 quick, 20000 full)")
    parser.add_argument("--policies", type=name_list(POLICIES), default=list(POLICIES),
                        help="comma-separated policies (default: all)")
    parser.add_argument("--problem", choices=["burgers", "poisson1d"], default=None,
                        help="default: poisson1d with --quick, else the paper's Burgers PINN")
    parser.add_argument("--width", type=int_in(1, 65536), default=32,
                        help="hidden width of the MLP (paper: 32)")
    parser.add_argument("--depth", type=int_in(1, 64), default=3, help="hidden layers (paper: 3)")
    parser.add_argument("--collocation", type=int_in(1, 10_000_000), default=None,
                        help="collocation points (default: 2048 Burgers, 128 Poisson)")
    parser.add_argument("--diagnose-every", type=int_in(1, MAX_STEPS), default=1,
                        help="gradient statistics and frozen weights every this many steps "
                             "(outside the timed step either way)")


def run(args: argparse.Namespace, device: torch.device,
        on_row: Callable[[dict], None] | None = None) -> list[dict]:
    quick = is_quick()
    name = args.problem or ("poisson1d" if quick else "burgers")
    make = Poisson1D if name == "poisson1d" else BurgersPINN
    problem = make(n_collocation=args.collocation) if args.collocation else make()
    steps = args.steps or (1000 if quick else 20_000)
    return policy_table_rows(problem, steps, args.policies, device, args.width, args.depth,
                             args.diagnose_every, on_row=on_row)
