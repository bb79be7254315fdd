"""Saving benchmark rows: one JSON file with the device, torch version and memory kind.

The readable table is :func:`sciml_teach.tables.format_table`.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Sequence

import torch


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
