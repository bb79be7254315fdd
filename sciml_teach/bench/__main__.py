"""Command line: ``python -m sciml_teach.bench NAME [--quick] [--device ...] [--json PATH]
[--progress/--no-progress]`` (installed also as ``sciml-teach-bench``), and
``python -m sciml_teach.bench gpu-report --out DIR`` (the one GPU check)."""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import time

from ..placement import resolve_device
from ..meters import memory_kind
from ..progress import ENV_VAR as PROGRESS_VAR
from ..quick import ENV_VAR, is_quick
from ..tables import format_table
from . import BENCHMARKS, gpu_report
from .args import check_json_path
from .report import write_json


class _Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one line (what is wrong and where the help is) and exit 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m sciml_teach.bench",
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
    """Run one benchmark (or the GPU report); also the ``sciml-teach-bench`` console command.
    Argument mistakes (including a config's ValueError) print one line and
    return 2 before any work; with ``--json`` the file is checked first and rewritten atomically
    after every row, so a run stopped half-way leaves a valid JSON of the rows it finished."""
    args = build_parser().parse_args(argv)
    if args.name == "gpu-report":
        return gpu_report.main(args)
    if args.quick:
        os.environ[ENV_VAR] = "1"  # one switch: the benchmark reads it through sciml_teach.quick
    if args.progress is not None:  # read through sciml_teach.progress, like quick mode
        os.environ[PROGRESS_VAR] = "1" if args.progress else "0"
    if args.json and (problem := check_json_path(args.json)):
        return _fail(problem)
    try:
        is_quick()  # a bad SCIML_TEACH_QUICK is named now, not after the first row
        device = resolve_device(args.device)
    except ValueError as err:
        return _fail(str(err))
    module = importlib.import_module(BENCHMARKS[args.name])
    start, done = time.perf_counter(), []

    def save(rows):
        if args.json:
            write_json(args.json, args.name, device, memory_kind(device), rows)

    def on_row(row: dict) -> None:
        done.append(row)
        save(done)
    try:
        rows = module.run(args, device, on_row)
    except ValueError as err:  # a value the library refused (a config's field): the user's to fix
        return _fail(str(err) + (f" ({len(done)} finished rows are in {args.json})"
                                 if done and args.json else ""))
    except BaseException:
        if args.json:
            print(f"stopped after {len(done)} rows; they are in {args.json}", file=sys.stderr)
        raise
    print(format_table(rows, module.COLUMNS))
    print(f"\n{args.name} on {device} ({memory_kind(device)} memory) in "
          f"{time.perf_counter() - start:.0f} s")
    if args.json:
        save(rows)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
