"""Saving benchmark rows: one JSON file with the device, torch version and memory kind.

The readable table is :func:`sciml_teach.tables.format_table`.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
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
    """``{"benchmark", "device", "torch", "memory_kind", "rows": [...]}`` plus any ``extra`` keys.

    Written to a unique temporary file beside ``path`` and renamed over it (``os.replace``), so
    the file is always a whole, valid JSON: the command line rewrites it after every row, and a
    run that stops half-way leaves the rows it finished."""
    device_name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    doc = {"benchmark": benchmark, "device": device.type, "device_name": device_name,
           "torch": torch.__version__, "memory_kind": memory_kind, **extra, "rows": list(rows)}
    text = json.dumps(_json_safe(doc), indent=2, default=str)
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".",
                               prefix=f".{target.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as a plain open() would have made it (mkstemp: 0600)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
