"""``python -m sciml_teach.bench fno``: Tu et al. 2024's table of FNO settings as a command.

Arguments and the table only; the runs are :mod:`sciml_teach.experiments.fno_settings`, the
ones lesson 06 trains.
"""
from __future__ import annotations

import argparse
from typing import Callable

import torch

from ..experiments.fno_schedule import schedule_rows, superres_rows
from ..experiments.fno_settings import (COLUMNS as SETTING_COLUMNS, PROBLEMS, SETTING_NAMES,
                                        SIZE_NAMES, fno_data, fno_size, fno_table_rows)
from .args import MAX_SCALE, MAX_STEPS, int_in, name_list, positive_float

MAX_SAMPLES = 1_000_000  # generated PDE solutions per split: more is a typo
MAX_SEED = 2**31 - 1     # torch.manual_seed takes larger, but a seed list this long is a typo

DESCRIPTION = ("FNO with full / mixed / half spectral layers, +/- tanh (Tu et al. 2024); on "
               "Navier-Stokes also the precision schedule and zero-shot super-resolution")
PARTS = ("settings", "schedule", "superres")
# the settings' columns, then those of the schedule and super-resolution rows (part says which)
COLUMNS = ["part", *SETTING_COLUMNS[:-1], "schedule", "train_resolution", "eval_resolution",
           "error_vs_train_res", "train_seconds", "note"]
__all__ = ["COLUMNS", "DESCRIPTION", "add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--problem", default="darcy", choices=PROBLEMS,
                        help="2-D Darcy flow (default), 1-D Burgers or 2-D Navier-Stokes")
    parser.add_argument("--parts", type=name_list(PARTS), default=["settings"], metavar="PART,...",
                        help="settings (default): Tu et al.'s table; schedule: half->mixed->full "
                             "against constant precision over --seeds; superres: trained at n, "
                             "evaluated at 2n and 4n (schedule and superres: navier-stokes only)")
    parser.add_argument("--steps", type=int_in(1, MAX_STEPS), default=None,
                        help="training steps per configuration")
    parser.add_argument("--stress-scale", type=positive_float(MAX_SCALE), default=None,
                        help="input scale of the stress setting (default 1e3 Darcy, 1e4 Burgers)")
    parser.add_argument("--resolution", type=int_in(8, 4096), default=None,
                        help="2-D grid points per side (default 32 quick, 64 full)")
    parser.add_argument("--samples", type=_pair, default=None, metavar="TRAIN,TEST",
                        help="training and test samples (default 96,32 quick; 1000,200 full)")
    parser.add_argument("--size", default="lesson", choices=SIZE_NAMES,
                        help="lesson (default): the lesson's network; busy: 256^2, width 64, "
                             "32 modes per axis, batch 32, where arithmetic and not kernel "
                             "launches sets a GPU's time (quick mode shrinks both)")
    parser.add_argument("--seeds", type=_seeds, default=[0], metavar="S,S,...",
                        help="seeds to run every setting with (default 0); e.g. 0,1,2 for medians")
    parser.add_argument("--settings", type=name_list(SETTING_NAMES), default=None,
                        metavar="NAME,...", help=f"only these settings, from {','.join(SETTING_NAMES)}")


def _pair(text: str) -> tuple[int, int]:
    try:
        train, test = (int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"write two counts as TRAIN,TEST, e.g. 400,100; got {text!r}")
    if not (1 <= train <= MAX_SAMPLES and 1 <= test <= MAX_SAMPLES):
        raise argparse.ArgumentTypeError(f"both counts must be from 1 to {MAX_SAMPLES}, got {text!r}")
    return train, test


def _seeds(text: str) -> list[int]:
    try:
        seeds = list(dict.fromkeys(int(v) for v in text.split(",") if v.strip()))
    except ValueError:
        raise argparse.ArgumentTypeError(f"write seeds as whole numbers, e.g. 0,1,2; got {text!r}")
    if not seeds or not all(0 <= s <= MAX_SEED for s in seeds):
        raise argparse.ArgumentTypeError(f"seeds must be from 0 to {MAX_SEED}, got {text!r}")
    return seeds


def run(args: argparse.Namespace, device: torch.device,
        on_row: Callable[[dict], None] | None = None) -> list[dict]:
    extras = [p for p in args.parts if p != "settings"]
    if extras and args.problem != "navier-stokes":
        raise ValueError(f"--parts {','.join(extras)} runs on navier-stokes only, got --problem "
                         f"{args.problem}")
    rows = []
    if "settings" in args.parts:
        rows += [{"part": "settings", **r} for r in fno_table_rows(
            args.problem, args.stress_scale, args.steps, device, args.resolution, args.samples,
            on_row=on_row, size=args.size, seeds=args.seeds, names=args.settings)]
    if extras:
        spec = fno_size(args.size)
        data = fno_data(args.problem, args.resolution or spec.resolution,
                        args.samples or spec.samples, spec.modes)
        sizes = {"width": spec.width, "batch": spec.batch}
        if "schedule" in extras:
            for row in schedule_rows(data, device, args.steps, args.seeds, memory="auto", **sizes):
                rows.append(row)
                if on_row is not None:
                    on_row(row)
        if "superres" in extras:
            for row in superres_rows(data, device, args.steps, args.seeds[0], **sizes):
                rows.append(row)
                if on_row is not None:
                    on_row(row)
    return rows
