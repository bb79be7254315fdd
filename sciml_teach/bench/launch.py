"""``python -m sciml_teach.bench launch``: small models on a GPU are launch-bound; the remedies
(data kept on the device, a CUDA graph) timed beside eager execution.

Arguments and the table only; the runs are :mod:`sciml_teach.experiments.launch_runs`.
"""
from __future__ import annotations

import argparse
from typing import Callable

import torch

from ..experiments.launch_runs import COLUMNS, MODELS, launch_rows
from ..quick import pick
from .args import MAX_STEPS, int_in, name_list

POLICIES = ("fp32", "amp-bf16", "amp-fp16")
DESCRIPTION = ("the Burgers PINN and the lesson-size FNO step: eager vs data on the device vs a "
               "CUDA graph, in fp32 and AMP (why AMP does not speed up small models)")
__all__ = ["COLUMNS", "DESCRIPTION", "add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models", type=name_list(MODELS), default=list(MODELS),
                        help=f"comma-separated, from {', '.join(MODELS)}")
    parser.add_argument("--policies", type=name_list(POLICIES), default=list(POLICIES),
                        help=f"comma-separated, from {', '.join(POLICIES)}")
    parser.add_argument("--steps", type=int_in(1, MAX_STEPS), default=None,
                        help="timed steps per variant (default 5 quick, 100 full)")


def run(args: argparse.Namespace, device: torch.device,
        on_row: Callable[[dict], None] | None = None) -> list[dict]:
    return launch_rows(args.models, args.policies, args.steps or pick(5, 100), device,
                       on_row=on_row, fno_resolution=pick(32, 128))
