"""Printing and saving benchmark rows: one readable table, one JSON file (DESIGN.md §2)."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Sequence

import torch

from ..meters import format_bytes


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


def _json_safe(value):
    """NaN and inf are not JSON: write them as null (a diverged run has no error to report)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def write_json(path: str | Path, benchmark: str, device: torch.device, memory_kind: str,
               rows: Sequence[dict], **extra) -> None:
    """``{"benchmark", "device", "torch", "memory_kind", "rows": [...]}`` plus any ``extra`` keys."""
    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    doc = {"benchmark": benchmark, "device": device.type, "device_name": device_name,
           "torch": torch.__version__, "memory_kind": memory_kind, **extra, "rows": list(rows)}
    Path(path).write_text(json.dumps(_json_safe(doc), indent=2, default=str))
