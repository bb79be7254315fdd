"""How many CPU threads torch uses, chosen on purpose and said out loud.

On a 2-core laptop with other programs running, torch's default (one thread per core) made a
float32 matmul 80x slower than one thread did (2 vs 160 GFLOP/s): at every barrier each thread
waits for the one whose core another program took. So on machines with at most two cores the
lessons and the benchmarks use one intra-op thread; elsewhere torch's default (the physical cores).

Every lesson's first cell calls :func:`use_threads` and prints what it chose. To choose yourself:
``st.use_threads(4)`` in a cell, or set ``SCIML_TEACH_THREADS=4`` (or ``OMP_NUM_THREADS=4``, which
torch reads at start-up) before starting Jupyter. Introduced in notebooks/00_start_here.ipynb.
"""
from __future__ import annotations

import os

import torch

ENV_VAR = "SCIML_TEACH_THREADS"
FEW_CORES = 2  # at most this many cores: one thread
STARTUP_THREADS = torch.get_num_threads()  # torch's default (or OMP_NUM_THREADS), before any change


def cpu_cores() -> int:
    """The cores this process may run on (a container's or ``taskset``'s limit, not the machine's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def choose_threads(cores: int | None = None, default: int | None = None) -> tuple[int, str]:
    """(threads, why): ``SCIML_TEACH_THREADS`` if set; torch's own choice if ``OMP_NUM_THREADS``
    is set; one thread on machines with at most two cores; else torch's default."""
    cores = cpu_cores() if cores is None else cores
    default = STARTUP_THREADS if default is None else default
    if os.environ.get(ENV_VAR, "").strip():
        text = os.environ[ENV_VAR].strip()
        if not text.isdigit() or int(text) < 1:
            raise ValueError(f"environment variable {ENV_VAR}={os.environ[ENV_VAR]!r} must be a "
                             "whole number of threads >= 1, e.g. 2; or unset it")
        return int(text), f"{ENV_VAR} is set"
    if os.environ.get("OMP_NUM_THREADS", "").strip():
        return default, "OMP_NUM_THREADS is set"
    if cores <= FEW_CORES:
        return 1, (f"this machine has {cores} core(s), where one thread stays steady while "
                   "other programs run and several wait for each other")
    return default, f"this machine has {cores} cores: torch's default"


def use_threads(threads: int | None = None) -> str:
    """Set torch's CPU (intra-op) threads for this process -- ``threads``, or :func:`choose_threads`'s
    rule -- and return one line saying what was chosen and why, for the lesson to print."""
    why = "you asked for it"
    if threads is None:
        threads, why = choose_threads()
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    torch.set_num_threads(threads)
    return (f"torch CPU threads: {threads}, because {why}. To change: st.use_threads(n), "
            f"or {ENV_VAR}=n before starting Jupyter")
