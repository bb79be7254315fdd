"""Generated data sets cached on disk, keyed by the generator's parameters and seed.

Solving a few hundred PDEs takes seconds to minutes; lessons and benchmarks ask for the same data
again and again. The cache folder is ``$SCIML_TEACH_CACHE`` if set, else ``~/.cache/sciml_teach``.
A file's name is a hash of everything that determines its content (the data set's name, its
parameters, the seed and the solver's version), so a changed parameter can never return stale
data and nothing ever has to be cleared by hand. Used by notebooks/06_fno_mixed_precision.ipynb.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable

import torch

ENV_VAR = "SCIML_TEACH_CACHE"


def cache_dir() -> Path:
    """``$SCIML_TEACH_CACHE`` or ``~/.cache/sciml_teach`` (created on first use)."""
    folder = Path(os.environ.get(ENV_VAR) or Path.home() / ".cache" / "sciml_teach")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cache_path(name: str, params: dict) -> Path:
    """Where the data set ``name`` with ``params`` (JSON-serialisable) lives."""
    key = hashlib.sha256(json.dumps({"name": name, **params}, sort_keys=True).encode()).hexdigest()
    return cache_dir() / f"{name}-{key[:16]}.pt"


def cached(name: str, params: dict, make: Callable[[], dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Load the data set from the cache, or ``make()`` it and store it (written atomically)."""
    path = cache_path(name, params)
    if path.exists():
        return torch.load(path, weights_only=True)
    data = make()
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    torch.save(data, tmp)
    os.replace(tmp, path)  # atomic: a reader never sees half a file
    return data
