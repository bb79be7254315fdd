"""``python -m sciml_teach.bench contraction``: the half spectral contraction as a 3-operand einsum
(the form it replaced) and as one batched real GEMM per mode, timed against each other; and the
CP-factorised (TFNO) contraction in a naive left-to-right order against opt_einsum's greedy and
optimal paths: bytes of the intermediates, flops and time.

Arguments and the table only; the runs are :mod:`sciml_teach.experiments.contraction_runs`.
"""
from __future__ import annotations

import argparse
from typing import Callable

import torch

from ..experiments.contraction_runs import contraction_rows, factorized_rows
from ..quick import pick

COLUMNS = ["size", "candidate", "dtype", "batch", "channels", "modes", "rank", "seconds",
           "saved_bytes", "intermediate_bytes", "largest_intermediate_bytes", "flops", "max_rel_diff"]
DESCRIPTION = ("the FNO's half spectral contraction: einsum with a complex-multiplication table vs "
               "one batched real GEMM per mode (forward + backward time, bytes kept, accuracy); "
               "CP-factorised weights in naive vs greedy vs optimal order (intermediate bytes)")
__all__ = ["COLUMNS", "DESCRIPTION", "add_arguments", "run"]
# (batch, channels, kept modes): the lesson size on a GPU (Darcy 128^2, 16 modes per axis) and
# the busy size (32 modes per axis, width 64); quick mode shrinks both
SIZES = {"lesson": ((32, 32, (32, 16)), (8, 8, (16, 8))),
         "busy": ((32, 64, (64, 32)), (8, 16, (16, 8)))}
# CP rank of the factorised weights at each size (full, quick): a TFNO keeps a few percent of
# the dense weight's numbers
RANKS = {"lesson": (16, 4), "busy": (32, 8)}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dtype", choices=["float16", "bfloat16", "float32"], default=None,
                        help="dtype of the contraction (default float16 on a GPU, bfloat16 on a CPU, "
                             "whose float16 matmuls are often emulated)")


def run(args: argparse.Namespace, device: torch.device,
        on_row: Callable[[dict], None] | None = None) -> list[dict]:
    name = args.dtype or ("float16" if device.type == "cuda" else "bfloat16")
    rows = []
    for size, (full, quick) in SIZES.items():
        batch, channels, modes = pick(quick, full)
        dtype, repeats = getattr(torch, name), pick(5, 20)
        for row in contraction_rows(batch, channels, modes, dtype, device, repeats=repeats) + \
                factorized_rows(batch, channels, modes, pick(*RANKS[size][::-1]), dtype, device,
                                repeats=repeats):
            rows.append({"size": size, **row})
            if on_row is not None:
                on_row(rows[-1])
    return rows
