"""``python -m sciml_teach.bench zcs``: the strategy sweep of Leng et al. 2024 as a command.

Arguments, the progress lines and the table only; the sweep itself is
:func:`sciml_teach.experiments.strategy_runs.strategy_sweep`, the one lesson 05 runs.
"""
from __future__ import annotations

import argparse
from typing import Callable

import torch

from ..derivatives import STRATEGIES
from ..experiments.strategy_runs import default_cases, strategy_sweep
from ..experiments.strategy_training import default_trained_cases, order_sweep, trained_accuracy
from ..experiments.stokes_runs import stokes_bench_rows
from ..precision import POLICIES
from ..problems import OPERATOR_PROBLEMS
from ..quick import pick
from ..threads import use_threads
from .args import MAX_THREADS, byte_size, int_in, name_list, parse_bytes

DESCRIPTION = ("ZCS vs FuncLoop, DataVect and forward mode: time, memory and agreement of one "
               "physics-informed DeepONet training step, errors after training with each, and "
               "cost against PDE order (Leng et al. 2024)")
PROBLEMS = (*OPERATOR_PROBLEMS, "stokes")  # stokes: a PDE system, rows from stokes_runs.py
PARTS = ("sweep", "trained", "orders")  # rows carry "part": "sweep", "trained" or "order"
COLUMNS = ["part", "problem", "order", "n_functions", "n_points", "strategy", "status",
           "step_time_s", "memory_bytes", "max_rel_diff", "rel_l2_error", "error_vs_reference"]
__all__ = ["COLUMNS", "DESCRIPTION", "add_arguments", "parse_bytes", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strategies", type=name_list(STRATEGIES), default=list(STRATEGIES),
                        help=f"comma-separated, from {', '.join(STRATEGIES)}")
    parser.add_argument("--problems", type=name_list(PROBLEMS), default=list(PROBLEMS),
                        help=f"comma-separated, from {', '.join(PROBLEMS)} (stokes: u, v, p)")
    parser.add_argument("--parts", type=name_list(PARTS), default=["sweep"],
                        help="comma-separated, from sweep (one step over M and N; the default), "
                             "trained (each strategy trained: final errors, Leng et al.'s Table 1), "
                             "orders (one step's cost against PDE order 1-8)")
    parser.add_argument("--policy", choices=list(POLICIES), default="fp32",
                        help="precision policy (default fp32)")
    parser.add_argument("--memory-budget", type=byte_size, default=None,
                        help="skip configurations predicted to need more (e.g. 4GiB); default: "
                             "half the free GPU memory or a quarter of the available RAM")
    parser.add_argument("--width", type=int_in(1, 65536), default=128,
                        help="DeepONet width and features K")
    parser.add_argument("--threads", type=int_in(1, MAX_THREADS), default=None,
                        help="CPU threads for torch; default as the lessons choose: 1 on machines "
                             "with at most 2 cores (steady on a shared laptop, where spinning "
                             "threads wait for each other), torch's own choice otherwise")


def run(args: argparse.Namespace, device: torch.device,
        on_row: Callable[[dict], None] | None = None) -> list[dict]:
    # the lessons' rule (one thread on <= 2 cores, else torch's default) unless --threads says
    print("  " + use_threads(args.threads), flush=True)  # this benchmark process only
    cases = [c for c in default_cases() if c.problem in args.problems]

    def progress(row: dict) -> None:
        print(_progress_line(row), flush=True)
        if on_row is not None:
            on_row(row)
    rows = []
    if "sweep" in args.parts:
        rows += [{"part": "sweep", **r} for r in strategy_sweep(
            cases, args.strategies, args.policy, device, args.memory_budget, args.width,
            repeats=pick(2, 5), progress=lambda r: progress({"part": "sweep", **r}),
            accounts=True)]
    if "trained" in args.parts:
        for case in (c for c in default_trained_cases() if c.problem in args.problems):
            for row in trained_accuracy(case, _zcs_first(args.strategies), args.policy,
                                        device=device):
                progress(row)
                rows.append(row)
    if "stokes" in args.problems:  # sweep: one step per strategy; trained: ZCS, full mode only
        rows += stokes_bench_rows(args.parts, args.strategies, device, args.memory_budget,
                                  args.width, progress)
    if "orders" in args.parts:
        for row in order_sweep(range(1, 9), args.strategies, budget=args.memory_budget,
                               device=device):
            progress(row)
            rows.append(row)
    return rows


def _zcs_first(strategies: list[str]) -> list[str]:
    """ZCS first when it is there: trained errors are compared with the first strategy's."""
    return sorted(strategies, key=lambda s: s != "zcs")


def _progress_line(row: dict) -> str:
    return (f"  {row['part']:<7} {row['problem']:<18} order={row.get('order', '-')} "
            f"M={row['n_functions']:<5} N={row['n_points']:<6} {row['strategy']:<9} {row['status']}")
