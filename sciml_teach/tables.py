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


def _one_table(cells: list[dict], columns: Sequence[str]) -> list[str]:
    widths = [max([len(c)] + [len(r[c]) for r in cells]) for c in columns]
    line = "  ".join(f"{c:<{w}}" for c, w in zip(columns, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(f"{r[c]:<{w}}" for c, w in zip(columns, widths)) for r in cells]
    return out


def format_table(rows: Sequence[dict], columns: Sequence[str], width: int | None = None,
                 keys: Sequence[str] = ()) -> str:
    """A fixed-width text table of ``rows`` showing ``columns`` (missing cells print as '-').

    With ``width``, a table wider than that is split into several tables that fit, each starting
    with the ``keys`` columns, so every part reads on its own: a notebook wraps a long line into
    an unreadable block.
    """
    cells = [{c: _cell(c, row.get(c)) for c in columns} for row in rows]
    table = _one_table(cells, columns)
    if width is None or len(table[0]) <= width:
        return "\n".join(table)
    parts, current = [], list(keys)
    for column in (c for c in columns if c not in keys):
        if len(current) > len(keys) and len(_one_table(cells, current + [column])[0]) > width:
            parts.append(current)
            current = list(keys)
        current.append(column)
    parts.append(current)
    return "\n\n".join("\n".join(_one_table(cells, part)) for part in parts)
