"""Argument types of the benchmark command line: every value is checked before any work starts.

Each type returns the parsed value or raises ``argparse.ArgumentTypeError`` with one line saying
what is allowed; the parser turns that into ``error: argument --steps: ...`` and exit status 2.
Empty, zero, negative, non-finite and absurd values are refused here, never found out an hour in.
"""
from __future__ import annotations

import argparse
import math
import os
import re
from pathlib import Path
from typing import Callable, Iterable

MAX_STEPS = 10_000_000        # more steps than any lesson or paper trains: a typo
MAX_THREADS = 1024            # more CPU threads than any machine this runs on has
MAX_BYTES = 2**60             # 1 EiB: no memory budget is larger
MAX_SCALE = 1e30              # input scales beyond this overflow float32 itself, not just float16
SIZE_UNITS = {"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12, "KIB": 2**10,
              "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def int_in(minimum: int, maximum: int) -> Callable[[str], int]:
    """A whole number in [minimum, maximum]."""
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"write a whole number from {minimum} to {maximum}, "
                                             f"got {text!r}") from None
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"must be from {minimum} to {maximum}, got {value}")
        return value
    parse.__name__ = "integer"
    return parse


def positive_float(maximum: float) -> Callable[[str], float]:
    """A finite number > 0 and <= maximum."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"write a number, e.g. 1e3; got {text!r}") from None
        if not (math.isfinite(value) and 0 < value <= maximum):
            raise argparse.ArgumentTypeError(f"must be a finite number > 0 and <= {maximum:g}, "
                                             f"got {text!r}")
        return value
    parse.__name__ = "number"
    return parse


def parse_bytes(text: str) -> int:
    """'512MiB', '4GiB', '2.5GB' or a plain number of bytes -> bytes (1 B to 1 EiB)."""
    match = re.fullmatch(r"\s*([0-9.]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*", text)
    if not match or match.group(2).upper() not in SIZE_UNITS:
        raise ValueError(f"cannot read {text!r} as a size; write e.g. 512MiB, 4GiB or 1e9")
    try:
        value = float(match.group(1)) * SIZE_UNITS[match.group(2).upper()]
    except ValueError:
        raise ValueError(f"cannot read {text!r} as a size; write e.g. 512MiB, 4GiB or 1e9") from None
    if not (math.isfinite(value) and 1 <= value <= MAX_BYTES):
        raise ValueError(f"a size must be from 1 byte to 1 EiB, got {text!r}")
    return int(value)


def byte_size(text: str) -> int:
    """:func:`parse_bytes` for argparse."""
    try:
        return parse_bytes(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def name_list(valid: Iterable[str]) -> Callable[[str], list[str]]:
    """A comma-separated, non-empty list of names from ``valid`` (duplicates dropped)."""
    valid = list(valid)

    def parse(text: str) -> list[str]:
        names = list(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
        if not names:
            raise argparse.ArgumentTypeError(f"name at least one of {', '.join(valid)}")
        unknown = [n for n in names if n not in valid]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown {', '.join(map(repr, unknown))}; valid: "
                                             f"{', '.join(valid)}")
        return names
    parse.__name__ = "list"
    return parse


def check_json_path(path: str) -> str | None:
    """Why ``path`` cannot take the JSON (its folder is missing or read-only, it is a folder),
    or None: checked before the benchmark runs, so no result is lost at the end."""
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        return f"--json {path!r} is a folder; give a file name, e.g. {path.rstrip('/')}/rows.json"
    if not parent.is_dir():
        return f"--json {path!r}: the folder {str(parent)!r} does not exist; create it first"
    if not os.access(parent, os.W_OK | os.X_OK) or (target.exists() and not os.access(target, os.W_OK)):
        return f"--json {path!r} cannot be written (no permission); choose another path"
    return None
