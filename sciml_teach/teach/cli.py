"""``python -m sciml_teach.teach``: the teacher's commands (docs/teaching.md, "Teaching with grades").

    python -m sciml_teach.teach release --student OUT     # the lessons as learners receive them
    python -m sciml_teach.teach release --instructor OUT  # an nbgrader course folder, solutions kept
    python -m sciml_teach.teach progress DIR              # attempts per exercise in DIR's files

Not ``python -m sciml_teach.course``: the package imports that module first, and Python warns when
a module already imported is run with -m. A mistake on the command line prints one line and exits with status 2 (never a traceback).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import attempts, release

PROG = "python -m sciml_teach.teach"


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, status 2: argparse's usage block is left out
        print(f"{PROG}: error: {message} (see {PROG} --help)", file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="The teacher's kit: a release for learners, graded "
                     "with nbgrader, and a summary of their recorded attempts.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    out = commands.add_parser("release", help="write the lessons for learners or for the teacher")
    who = out.add_mutually_exclusive_group(required=True)
    who.add_argument("--student", type=Path, metavar="OUT",
                     help="OUT/notebooks: answers blank, hints kept, no solutions")
    who.add_argument("--instructor", type=Path, metavar="OUT",
                     help="an nbgrader course folder: source/ with solutions and hidden tests")
    out.add_argument("--from", dest="root", type=Path, default=release.ROOT, metavar="CLONE",
                     help="the course clone to read (default: the one this package is in)")
    progress = commands.add_parser("progress", help="summarise a folder of learners' attempt files")
    progress.add_argument("folder", type=Path, metavar="DIR")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "release":
            out = args.student or args.instructor
            written = release.release(out, instructor=args.instructor is not None, root=args.root)
            print(f"wrote {len(written)} lessons under {out}")
            if args.instructor:
                print(f"next: cd {out} && nbgrader generate_assignment LESSON, e.g. {written[-1].parent.name}")
        else:
            print(attempts.progress_table(args.folder))
    except (ValueError, OSError) as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    return 0
