"""``torchrun --nproc_per_node=2 -m sciml_teach.bench ddp``: data-parallel training, measured.

Every rank runs this module; the runs themselves are
:func:`sciml_teach.experiments.ddp_runs.ddp_rows`, the ones lesson 08 launches. Every combination
of --strategies x --policies x --compressions x seeds is one row. Only rank 0 prints rows and
writes ``--json``. On the CPU the backend is gloo; with ``--device auto`` on a machine with GPUs it
is NCCL, one GPU per rank. Without torchrun it runs as a world of one process.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Callable

import torch

from ..derivatives import STRATEGIES
from ..distributed import (BACKENDS, COMPRESSIONS, check_backend, check_split, init_world,
                           leave_world)
from ..experiments.ddp_runs import BROKEN, COLUMNS, DDPConfig, ddp_rows
from ..precision import POLICIES
from ..quick import pick
from .args import MAX_STEPS, int_in, name_list

DESCRIPTION = ("data parallel over input functions (torch.distributed DDP, gloo or NCCL): step "
               "time, per-rank memory and bytes all-reduced, gradients in float32 or 16 bits")
__all__ = ["COLUMNS", "DESCRIPTION", "add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", default="auto",
                        help=f"auto (nccl on GPUs, gloo on the CPU), {', '.join(BACKENDS)}")
    parser.add_argument("--strategies", type=name_list(STRATEGIES), default=["zcs"],
                        help=f"comma-separated, from {', '.join(STRATEGIES)} (default zcs)")
    parser.add_argument("--policies", type=name_list(POLICIES), default=["fp32"],
                        help=f"comma-separated precision policies, from {', '.join(POLICIES)}")
    parser.add_argument("--compressions", type=name_list(COMPRESSIONS), default=["fp32", "bf16"],
                        help="dtype gradients are all-reduced in: fp32 (none), fp16, bf16")
    parser.add_argument("--functions", type=int_in(1, 1_000_000), default=None,
                        help="M: input functions per step over all ranks (default 8 quick, 32 full)")
    parser.add_argument("--points", type=int_in(1, 10_000_000), default=None,
                        help="N: collocation points (default 200 quick, 1000 full)")
    parser.add_argument("--width", type=int_in(1, 65536), default=None,
                        help="DeepONet width (default 32 quick, 64 full)")
    parser.add_argument("--steps", type=int_in(1, MAX_STEPS), default=None,
                        help="optimizer steps per row (default 20 quick, 200 full)")
    parser.add_argument("--seeds", type=int_in(1, 100), default=1,
                        help="initial weights from seeds 0 .. seeds-1 (default 1)")
    parser.add_argument("--reference", action="store_true",
                        help="rank 0 also trains 1 process x M from the same start: first-step "
                             "gradient, loss curve, memory and time to compare with")
    parser.add_argument("--broken", type=name_list(BROKEN), default=["none"],
                        help=f"deliberately broken variants, for the lesson's checks: "
                             f"{', '.join(BROKEN)}")


def _configs(args: argparse.Namespace) -> list[DDPConfig]:
    sizes = dict(n_functions=args.functions or pick(8, 32), n_points=args.points or pick(200, 1000),
                 width=args.width or pick(32, 64), steps=args.steps or pick(20, 200))
    return [DDPConfig(strategy=s, policy=p, compression=c, seed=seed, broken=b, **sizes)
            for b in args.broken for s in args.strategies for p in args.policies
            for c in args.compressions for seed in range(args.seeds)]


def run(args: argparse.Namespace, device: torch.device,
        on_row: Callable[[dict], None] | None = None) -> list[dict]:
    configs = _configs(args)
    check_backend(args.backend, device)                      # before joining anything
    check_split(configs[0].n_functions, int(os.environ.get("WORLD_SIZE", 1)))
    world = init_world(device, args.backend)
    if world.rank == 0:
        print(f"  {world.size} rank(s), {world.backend} on {world.device.type}", flush=True)
    try:
        if world.rank != 0:
            args.json = None                  # only rank 0 writes the file ...
            sys.stdout = open(os.devnull, "w")  # ... and prints the table (errors still show)
        rows = ddp_rows(configs, world, args.reference, on_row)
    finally:
        leave_world()
    return rows if world.rank == 0 else []
