"""``python -m sciml_teach.bench zcs``: the strategy sweep of Leng et al. 2024 as a command.

Arguments, the progress lines and the table only; the sweep itself is
:func:`sciml_teach.experiments.strategy_runs.strategy_sweep`, the one lesson 05 runs.
"""
from __future__ import annotations

import argparse
import re

import torch

from ..derivatives import STRATEGIES, get_strategy
from ..experiments.strategy_runs import COLUMNS, default_cases, strategy_sweep
from ..problems import OPERATOR_PROBLEMS, get_operator_problem
from ..quick import pick
from ..threads import use_threads

DESCRIPTION = ("ZCS vs FuncLoop, DataVect and forward mode: time, memory and agreement of one "
               "physics-informed DeepONet training step (Leng et al. 2024)")
__all__ = ["COLUMNS", "DESCRIPTION", "add_arguments", "parse_bytes", "run"]


def parse_bytes(text: str) -> int:
    """'512MiB', '4GiB', '2.5GB' or a plain number of bytes -> bytes."""
    units = {"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "KIB": 2**10, "MIB": 2**20,
             "GIB": 2**30}
    match = re.fullmatch(r"\s*([0-9.eE+]+)\s*([A-Za-z]*)\s*", text)
    if not match or match.group(2).upper() not in units:
        raise ValueError(f"cannot read {text!r} as a size; write e.g. 512MiB, 4GiB or 1e9")
    return int(float(match.group(1)) * units[match.group(2).upper()])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strategies", default=",".join(STRATEGIES),
                        help=f"comma-separated, from {', '.join(STRATEGIES)}")
    parser.add_argument("--problems", default=",".join(OPERATOR_PROBLEMS),
                        help=f"comma-separated, from {', '.join(OPERATOR_PROBLEMS)}")
    parser.add_argument("--policy", default="fp32", help="precision policy (default fp32)")
    parser.add_argument("--memory-budget", type=parse_bytes, default=None,
                        help="skip configurations predicted to need more (e.g. 4GiB); default: "
                             "half the free GPU memory or a quarter of the available RAM")
    parser.add_argument("--width", type=int, default=128, help="DeepONet width and features K")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for torch; default as the lessons choose: 1 on machines "
                             "with at most 2 cores (steady on a shared laptop, where spinning "
                             "threads wait for each other), torch's own choice otherwise")


def run(args: argparse.Namespace, device: torch.device) -> list[dict]:
    # the lessons' rule (one thread on <= 2 cores, else torch's default) unless --threads says
    print("  " + use_threads(args.threads), flush=True)  # this benchmark process only
    strategies = [get_strategy(s.strip()).name for s in args.strategies.split(",")]
    problems = [s.strip() for s in args.problems.split(",")]
    for name in problems:
        get_operator_problem(name)  # a clear ValueError for a typo
    cases = [c for c in default_cases() if c.problem in problems]
    return strategy_sweep(cases, strategies, args.policy, device, args.memory_budget, args.width,
                          repeats=pick(2, 5),
                          progress=lambda row: print(_progress_line(row), flush=True), accounts=True)


def _progress_line(row: dict) -> str:
    return (f"  {row['problem']:<18} M={row['n_functions']:<5} N={row['n_points']:<6} "
            f"{row['strategy']:<9} {row['status']}")
