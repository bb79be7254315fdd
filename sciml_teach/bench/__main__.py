"""Command line: ``python -m sciml_teach.bench NAME [--quick] [--device ...] [--json PATH]
[--progress/--no-progress]`` (installed also as ``sciml-teach-bench``), and ``python -m sciml_teach.bench gpu-report --out DIR`` (the one GPU check)."""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import time

from ..placement import resolve_device
from ..meters import memory_kind
from ..progress import ENV_VAR as PROGRESS_VAR
from ..quick import ENV_VAR
from ..tables import format_table
from . import BENCHMARKS, gpu_report
from .report import write_json


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sciml_teach.bench",
                                     description="The papers' tables, measured on your hardware.")
    sub = parser.add_subparsers(dest="name", required=True, metavar="NAME")
    for name, module_name in BENCHMARKS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=module.DESCRIPTION, description=module.DESCRIPTION)
        p.add_argument("--quick", action="store_true",
                       help=f"small sizes (also switched on by {ENV_VAR}=1)")
        p.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
        p.add_argument("--json", metavar="PATH", help="also write the rows as JSON to PATH")
        p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                       help="progress bars per row (default: on in full mode, off with --quick)")
        module.add_arguments(p)
    report = sub.add_parser("gpu-report", help=gpu_report.DESCRIPTION,
                            description=gpu_report.__doc__.split("\n\n", 1)[1],
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    gpu_report.add_arguments(report)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one benchmark (or the GPU report); also the ``sciml-teach-bench`` console command."""
    args = build_parser().parse_args(argv)
    if args.name == "gpu-report":
        return gpu_report.main(args)
    if args.quick:
        os.environ[ENV_VAR] = "1"  # one switch: the benchmark reads it through sciml_teach.quick
    if args.progress is not None:  # read through sciml_teach.progress, like quick mode
        os.environ[PROGRESS_VAR] = "1" if args.progress else "0"
    try:
        device = resolve_device(args.device)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    module = importlib.import_module(BENCHMARKS[args.name])
    start = time.perf_counter()
    rows = module.run(args, device)
    print(format_table(rows, module.COLUMNS))
    print(f"\n{args.name} on {device} ({memory_kind(device)} memory) in "
          f"{time.perf_counter() - start:.0f} s")
    if args.json:
        write_json(args.json, args.name, device, memory_kind(device), rows)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
