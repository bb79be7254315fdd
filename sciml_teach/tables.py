"""Rows of results as a fixed-width text table: how lessons and benchmarks print their runs.

A row is a flat dict (one run: its settings, status, error, time, memory); byte counts print as
KiB/MiB/GiB and NaN or missing cells as '-'. Used by lesson 06 and every ``python -m
sciml_teach.bench`` table.
"""
from __future__ import annotations

import math
from typing import Sequence

from .meters import format_bytes


def _cell(key: str, value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if key.endswith("bytes"):
            return format_bytes(value)
        return f"{value:.3g}" if abs(value) < 1e4 else f"{value:.0f}"
    if isinstance(value, int) and key.endswith("bytes"):
        return format_bytes(value)
    return str(value)


def format_table(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """A fixed-width text table of ``rows`` showing ``columns`` (missing cells print as '-')."""
    cells = [[_cell(c, row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = "  ".join(f"{c:<{w}}" for c, w in zip(columns, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(f"{v:<{w}}" for v, w in zip(r, widths)) for r in cells]
    return "\n".join(out)
