"""Generated data sets cached on disk, keyed by the generator's parameters and seed; self-healing.

Solving a few hundred PDEs takes seconds to minutes; lessons and benchmarks ask for the same data
again and again. The cache folder is ``$SCIML_TEACH_CACHE`` if set, else ``~/.cache/sciml_teach``.
A file's name is a hash of everything that determines its content (the data set's name, its
parameters, the seed and the solver's version), so a changed parameter can never return stale
data and nothing ever has to be cleared by hand.

Each file also stores those parameters and a SHA-256 checksum of its tensors. A file that cannot
be read, is truncated, fails its checksum or holds other parameters is reported by name, deleted
and generated again. Files are loaded with ``weights_only=True`` (tensors, strings and numbers
only) and written to a unique temporary file in the same folder, then renamed with ``os.replace``,
so a reader never sees half a file and two writers never share a temporary name. A cache folder
that cannot be created or written costs only time: the data set is computed in memory, with a
one-line warning. Used by notebooks/06_fno_mixed_precision.ipynb.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Callable

import torch

ENV_VAR = "SCIML_TEACH_CACHE"
FORMAT = 1               # the layout of a cache file: {"format", "name", "params", "checksum", "data"}
STALE_TEMP_S = 3600.0    # a temporary file older than this was left by a writer that died


def cache_dir() -> Path:
    """``$SCIML_TEACH_CACHE`` or ``~/.cache/sciml_teach`` (created on first use). A folder that
    cannot be created (e.g. under a file) is a ValueError naming the variable."""
    raw = os.environ.get(ENV_VAR, "").strip()
    folder = Path(raw).expanduser() if raw else Path.home() / ".cache" / "sciml_teach"
    where = f"{ENV_VAR}={raw!r}" if raw else f"the default cache folder {str(folder)!r}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"{where} cannot be used as the data cache ({err.strerror or err}); set "
                         f"{ENV_VAR} to a writable folder") from None
    return folder


def _key(name: str, params: dict) -> str:
    return json.dumps({"name": name, **params}, sort_keys=True)


def cache_path(name: str, params: dict) -> Path:
    """Where the data set ``name`` with ``params`` (JSON-serialisable) lives."""
    key = hashlib.sha256(_key(name, params).encode()).hexdigest()
    return cache_dir() / f"{name}-{key[:16]}.pt"


def checksum(data: dict[str, torch.Tensor]) -> str:
    """SHA-256 over every tensor's name, dtype, shape and bytes (in key order)."""
    digest = hashlib.sha256()
    for key in sorted(data):
        t = data[key].detach().cpu().contiguous()
        digest.update(f"{key}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _problem(path: Path, name: str, params: dict) -> tuple[dict | None, str]:
    """(data, "") for a sound file, else (None, what is wrong with it)."""
    try:
        doc = torch.load(path, weights_only=True)
    except Exception as err:  # truncated, flipped bytes, not a torch file: all mean "unreadable"
        return None, f"unreadable ({type(err).__name__})"
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("data"), dict):
        return None, "not in this version's cache format"
    if doc.get("name") != name or doc.get("params") != _key(name, params):
        return None, "for other parameters"
    if not all(isinstance(t, torch.Tensor) for t in doc["data"].values()):
        return None, "not a dict of tensors"
    if doc.get("checksum") != checksum(doc["data"]):
        return None, "corrupt (checksum mismatch)"
    return doc["data"], ""


def _remove_stale_temps(folder: Path) -> None:
    """Delete temporary files that writers which died left behind (never a fresh one: another
    process may be writing it right now)."""
    now = time.time()
    # ".name-XXXX.tmp" from this version; "name-key.tmp<pid>" from earlier ones
    for tmp in list(folder.glob(".*.tmp")) + list(folder.glob("*.tmp[0-9]*")):
        try:
            if now - tmp.stat().st_mtime > STALE_TEMP_S:
                tmp.unlink()
        except OSError:
            pass  # gone already, or not ours to delete: the cache works without it


def _write(path: Path, doc: dict) -> None:
    """Write ``doc`` to a unique temporary file beside ``path``, then rename it atomically."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(doc, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic: a reader sees the old file or the whole new one
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cached(name: str, params: dict, make: Callable[[], dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Load the data set from the cache, or ``make()`` it and store it (see the module's notes)."""
    try:
        path = cache_path(name, params)
    except ValueError as err:
        warnings.warn(f"{err}; computing {name} in memory this time", stacklevel=2)
        return make()
    if path.exists():
        data, problem = _problem(path, name, params)
        if data is not None:
            return data
        warnings.warn(f"cached data set {path} is {problem}: deleting it and generating it again",
                      stacklevel=2)
        path.unlink(missing_ok=True)
    data = make()
    doc = {"format": FORMAT, "name": name, "params": _key(name, params),
           "checksum": checksum(data), "data": data}
    try:
        _remove_stale_temps(path.parent)
        _write(path, doc)
    except OSError as err:
        warnings.warn(f"cannot write the data cache {ENV_VAR}={str(path.parent)!r} "
                      f"({err.strerror or err}); {name} was computed in memory and not cached",
                      stacklevel=2)
    return data
