"""Meters: how long a step takes and how much memory it holds.

Two memory measures, named by ``memory_kind`` in every benchmark's JSON (``python -m sciml_teach.bench``):

* ``"autograd_saved"`` -- the bytes of tensors autograd keeps for the backward pass, counted with
  ``torch.autograd.graph.saved_tensors_hooks`` and de-duplicated by storage. It works on every
  device, is exactly repeatable, and is where mixed precision saves memory: activations stored in
  16 bits take half the bytes (Hayford et al. 2024, Sec. 4; Tu et al. 2024, Sec. 4).
* ``"cuda_peak"`` -- the CUDA allocator's peak during the step, on a GPU.

Introduced in notebooks/03_amp_recovery.ipynb.
"""
from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass
from typing import Callable

import torch

from .placement import resolve_device


def _storage_of(t: torch.Tensor) -> tuple[object, int, object]:
    """(key, bytes, owner) of a tensor's memory: two views of one buffer share a key."""
    try:
        storage = t.untyped_storage()
        return (t.device, storage.data_ptr()), storage.nbytes(), storage
    except (RuntimeError, NotImplementedError):  # tensors without a plain storage (e.g. sparse)
        return id(t), t.numel() * t.element_size(), t


class SavedTensorMeter:
    """Context manager that adds up the bytes autograd saves for backward while it is active.

    >>> with SavedTensorMeter() as meter:
    ...     loss = model(x).square().mean()
    >>> meter.bytes   # int, the same on every run and every machine

    Gradients taken with ``create_graph=True`` inside the block (PINN derivatives) are counted too.
    The meter holds on to each storage it counted until the block ends: otherwise a buffer freed
    mid-block could hand its address to a new one, which would then be taken for a duplicate.
    """

    def __init__(self) -> None:
        self._seen: dict[object, tuple[int, object]] = {}  # key -> (bytes, storage kept alive)
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, lambda t: t)

    def _pack(self, t: torch.Tensor) -> torch.Tensor:
        key, nbytes, owner = _storage_of(t)
        self._seen[key] = (nbytes, owner)
        return t  # keep the tensor itself: we only count, never change what autograd stores

    @property
    def bytes(self) -> int:
        return sum(nbytes for nbytes, _ in self._seen.values())

    def __enter__(self) -> "SavedTensorMeter":
        self._hooks.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._hooks.__exit__(*exc)
        self._seen = {key: (nbytes, None) for key, (nbytes, _) in self._seen.items()}  # let go


def saved_bytes(fn: Callable[[], object]) -> int:
    """Bytes autograd saves for backward while ``fn()`` runs (see :class:`SavedTensorMeter`)."""
    with SavedTensorMeter() as meter:
        fn()
    return meter.bytes


@dataclass(frozen=True)
class MemoryReading:
    bytes: int   # the reading in bytes
    kind: str    # "cuda_peak" or "autograd_saved"


def measure_memory(fn: Callable[[], object], device: str | torch.device = "auto") -> MemoryReading:
    """Peak CUDA memory of ``fn()`` above what was allocated before, or, off CUDA, saved bytes."""
    device = resolve_device(device)
    if device.type != "cuda":
        return MemoryReading(saved_bytes(fn), "autograd_saved")
    # Graphs left in reference cycles by an earlier step are freed only when Python's cyclic
    # collector runs; if it ran during fn(), the peak would be measured against memory that
    # was about to go (an H100 sweep read 0 B for whole steps). Collect first.
    gc.collect()
    torch.cuda.synchronize(device)
    before = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    fn()
    torch.cuda.synchronize(device)
    return MemoryReading(torch.cuda.max_memory_allocated(device) - before, "cuda_peak")


def memory_kind(device: str | torch.device) -> str:
    """The ``memory_kind`` a benchmark on ``device`` reports."""
    return "cuda_peak" if torch.device(device).type == "cuda" else "autograd_saved"


@dataclass(frozen=True)
class TimeStats:
    median_s: float  # median wall time of one call, seconds
    min_s: float     # fastest call
    max_s: float     # slowest call
    repeats: int     # how many timed calls

    @property
    def spread(self) -> float:
        """(max - min) / median: 0.1 means the calls varied by about 10%."""
        return (self.max_s - self.min_s) / self.median_s if self.median_s > 0 else 0.0


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_fn(fn: Callable[[], object], repeats: int = 5, warmup: int = 1,
            device: str | torch.device = "auto") -> TimeStats:
    """Wall time of ``fn()``: ``warmup`` untimed calls, then ``repeats`` timed ones.

    GPU kernels run asynchronously, so on CUDA the clock is read only after a synchronise.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    device = resolve_device(device)
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - start)
    return TimeStats(statistics.median(times), min(times), max(times), repeats)


def format_bytes(n: float) -> str:
    """1536 -> '1.5 KiB'."""
    for unit in ["B", "KiB", "MiB", "GiB"]:
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")
