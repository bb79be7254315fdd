"""``python -m sciml_teach.bench profile``: where an FNO training step spends its time.

Arguments and the table only; the runs are :mod:`sciml_teach.experiments.profile_runs`.
"""
from __future__ import annotations

import argparse
from typing import Callable

import torch

from ..experiments.fno_settings import SIZE_NAMES
from ..experiments.profile_runs import COLUMNS, PROFILED, profile_rows
from .args import int_in, name_list

DESCRIPTION = ("torch.profiler on FNO training steps (full, full+AMP, mixed+tanh) at the lesson "
               "and busy sizes: time per kernel and per category, launches and host waits")
__all__ = ["COLUMNS", "DESCRIPTION", "add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sizes", type=name_list(SIZE_NAMES), default=list(SIZE_NAMES),
                        help=f"comma-separated, from {', '.join(SIZE_NAMES)}")
    parser.add_argument("--settings", type=name_list(PROFILED), default=list(PROFILED),
                        help=f"comma-separated, from {', '.join(PROFILED)}")
    parser.add_argument("--top", type=int_in(1, 100), default=8,
                        help="kernels (GPU) or operators (CPU) listed per setting (default 8)")
    parser.add_argument("--steps", type=int_in(1, 100), default=3,
                        help="profiled steps per setting, after 2 warm-up steps (default 3)")


def run(args: argparse.Namespace, device: torch.device,
        on_row: Callable[[dict], None] | None = None) -> list[dict]:
    return profile_rows(args.sizes, args.settings, device, args.top, args.steps, on_row=on_row)
