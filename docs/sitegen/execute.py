"""Execute notebooks in quick mode, once per content: an unchanged notebook is read from the cache.

The cache key is a hash of the notebook's bytes, every source file of the ``sciml_teach`` package,
the torch version and the environment switches that change outputs. So editing a lesson re-runs
that lesson, editing the library re-runs them all, and nothing ever has to be cleared by hand.
A cell that raises fails the build with the notebook's name and the traceback.
"""
from __future__ import annotations

import hashlib
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat

from . import BUILD, ROOT

CACHE = BUILD / "executed"
ENV = {"SCIML_TEACH_QUICK": "1", "SCIML_TEACH_PROGRESS": "0", "SCIML_TEACH_ATTEMPTS": "0", "MPLBACKEND": "Agg"}


class NotebookFailed(RuntimeError):
    """A cell raised while the site was being built."""


def package_digest() -> str:
    """A hash of every file of the sciml_teach package that can change a notebook's outputs."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "sciml_teach").rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()


def cache_key(notebook: Path, package: str) -> str:
    import torch
    parts = [notebook.read_bytes(), package.encode(), torch.__version__.encode(),
             repr(sorted(ENV.items())).encode()]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:20]


def kernel_environment() -> None:
    """Quick mode, no progress bars, and this checkout's package first on the kernels' path."""
    os.environ.update(ENV)
    paths = [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))


def _execute(notebook: Path, target: Path, timeout: int) -> float:
    """Run ``notebook`` top to bottom in a fresh kernel; write it with outputs and widget state."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    kernel_environment()
    nb = nbformat.read(notebook, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                            resources={"metadata": {"path": str(notebook.parent)}})
    try:
        client.execute()
    except CellExecutionError as err:
        raise NotebookFailed(f"{notebook.relative_to(ROOT)} failed to execute:\n{err}") from None
    seconds = time.perf_counter() - start
    nb.metadata["sciml_teach_site"] = {"executed_s": round(seconds, 1),
                                       "executed_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    nbformat.write(nb, tmp)
    os.replace(tmp, target)  # atomic: an interrupted build leaves no half-written cache entry
    return seconds


def execute_all(notebooks: list[Path], jobs: int = 2, timeout: int = 600,
                log=print) -> dict[Path, Path]:
    """{notebook: executed copy}, running the ones not in the cache ``jobs`` at a time."""
    CACHE.mkdir(parents=True, exist_ok=True)
    package = package_digest()
    targets = {nb: CACHE / f"{nb.stem}-{cache_key(nb, package)}.ipynb" for nb in notebooks}
    todo = [nb for nb, target in targets.items() if not target.exists()]
    for nb in notebooks:
        if nb not in todo:
            log(f"  cached   {nb.relative_to(ROOT)}")
    with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(todo) or 1))) as pool:
        futures = {nb: pool.submit(_execute, nb, targets[nb], timeout) for nb in todo}
        for nb, future in futures.items():
            log(f"  executed {nb.relative_to(ROOT)} in {future.result():.0f} s")
    return targets
