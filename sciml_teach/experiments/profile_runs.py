"""Where an FNO training step spends its time: torch.profiler, one step per setting and size.

Before making the mixed-precision FNO faster, measure: for full (fp32), full + AMP and
mixed + tanh (Tu et al. 2024's settings), at the lesson size and at the busy size
(:func:`~sciml_teach.experiments.fno_settings.fno_size`), profile a few training steps exactly as
``bench fno`` trains them and group the time by what it is spent on:

* ``fft`` -- forward and inverse FFTs (cuFFT / pocketfft);
* ``contraction`` -- matrix products (the spectral contraction's GEMMs, linear layers);
* ``convolution`` -- the pointwise 1x1 convolutions W v;
* ``copies/casts`` -- copies, dtype conversions, concatenations, zero fills;
* ``optimizer`` -- Adam's update;
* ``other`` -- everything else (elementwise activations, reductions, ...).

On a GPU the time is the kernels' own device time; a summary row per setting adds the step's
wall time, the kernels' total, how many kernels were launched and how often the host waited for
the device (synchronisations, blocking copies). When the kernels add up to much less than the
wall time, the step is *launch-bound*: the GPU waits for Python, and no precision can speed it up.
On a CPU the same table holds the operators' own CPU time. Introduced in
notebooks/06_fno_mixed_precision.ipynb; ``python -m sciml_teach.bench profile`` runs it.
"""
from __future__ import annotations

import time
from collections import defaultdict
from typing import Callable

import torch
from torch.profiler import ProfilerActivity, profile

from ..placement import resolve_device
from ..quick import pick
from ..training import TrainStep
from .fno_settings import FNOSetting, fno_data, fno_model, fno_size, loss_and_error, policy_name

CATEGORIES = ("fft", "convolution", "contraction", "copies/casts", "optimizer", "other")
PROFILED = {"full-fp32": FNOSetting("full", "none", False), "full-amp": FNOSetting("full", "none", True),
            "mixed-tanh": FNOSetting("mixed", "tanh", True)}
COLUMNS = ["size", "setting", "kind", "name", "category", "ms_per_step", "share", "calls_per_step"]
_SYNC_CALLS = ("cudaStreamSynchronize", "cudaDeviceSynchronize", "cudaEventSynchronize", "cudaMemcpy")


def category(name: str) -> str:
    """Which of :data:`CATEGORIES` a kernel or operator name belongs to."""
    n = name.lower()
    if "fft" in n:
        return "fft"
    if any(k in n for k in ("conv", "fprop", "dgrad", "wgrad", "cudnn")):
        return "convolution"
    if any(k in n for k in ("adam", "multi_tensor", "foreach")):
        return "optimizer"
    if any(k in n for k in ("gemm", "bmm", "matmul", "cutlass", "xmma", "cublas", "aten::mm",
                            "addmm", "einsum")):
        return "contraction"
    if any(k in n for k in ("copy", "cat", "fill", "zero", "memset", "memcpy", "to_copy")):
        return "copies/casts"
    return "other"


def _device_time_us(avg) -> float:
    return float(getattr(avg, "self_device_time_total", 0.0) or getattr(avg, "self_cuda_time_total", 0.0))


def profile_step(step: Callable[[], object], device: torch.device, steps: int = 3) -> tuple[dict, list[dict]]:
    """Profile ``steps`` calls of ``step`` (after 2 warm-up calls): a summary and one row per
    kernel (GPU) or operator (CPU) name with its time per step, share and calls per step."""
    for _ in range(2):
        step()
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    with profile(activities=activities) as prof:
        for _ in range(steps):
            step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
    wall_ms = (time.perf_counter() - start) * 1e3 / steps
    averages = prof.key_averages()
    on_gpu = device.type == "cuda"
    if on_gpu:   # the kernels' own time on the device
        kernels = [(a.key, _device_time_us(a) / 1e3 / steps, a.count / steps) for a in averages
                   if a.device_type == torch.autograd.DeviceType.CUDA]
    else:        # the operators' own time on the CPU
        kernels = [(a.key, a.self_cpu_time_total / 1e3 / steps, a.count / steps) for a in averages
                   if a.key.startswith("aten::")]
    total = sum(ms for _, ms, _ in kernels) or float("nan")
    rows = [{"name": name, "category": category(name), "ms_per_step": ms, "share": ms / total,
             "calls_per_step": calls} for name, ms, calls in sorted(kernels, key=lambda k: -k[1])]
    syncs = sum(a.count for a in averages if a.key.startswith(_SYNC_CALLS)) / steps
    launches = sum(a.count for a in averages if a.key in ("cudaLaunchKernel", "cuLaunchKernel",
                                                           "cudaLaunchKernelExC")) / steps
    summary = {"wall_ms": wall_ms, "kernel_ms": total, "busy_share": total / wall_ms,
               "launches_per_step": launches, "host_syncs_per_step": syncs}
    return summary, rows


def by_category(rows: list[dict]) -> dict[str, float]:
    """Milliseconds per step per category, over every row."""
    sums: dict[str, float] = defaultdict(float)
    for r in rows:
        sums[r["category"]] += r["ms_per_step"]
    return {c: sums.get(c, 0.0) for c in CATEGORIES}


def profile_rows(sizes=("lesson", "busy"), names=tuple(PROFILED), device: torch.device | str = "auto",
                 top: int = 8, steps: int = 3, on_row: Callable[[dict], None] | None = None) -> list[dict]:
    """For each size and setting: a ``summary`` row (wall and kernel time per step, the share of
    the wall time the device was busy, launches and host waits per step), one ``category`` row
    per category and the ``top`` kernels/operators by time."""
    device = resolve_device(device)
    rows = []
    for size in sizes:
        spec = fno_size(size)
        resolution = spec.resolution or pick(32, 128)    # the lesson size on a GPU: Darcy 128^2
        data = fno_data("darcy", resolution, (max(spec.batch, 8), 2), spec.modes)
        for name in names:
            setting = PROFILED[name]
            model = fno_model(setting, data, spec.width, seed=0).to(device)
            loss_fn, _ = loss_and_error(data, 1.0, spec.batch, device)
            step = TrainStep(model, loss_fn, policy=policy_name(setting, device))
            summary, kernels = profile_step(step, device, steps)
            head = {"size": size, "setting": name, "resolution": data["resolution"],
                    "width": spec.width, "batch": spec.batch, "device": device.type}
            new = [{**head, "kind": "summary", "name": "step", **summary,
                    "ms_per_step": summary["wall_ms"], "share": summary["busy_share"]}]
            new += [{**head, "kind": "category", "name": c, "category": c, "ms_per_step": ms,
                     "share": ms / summary["kernel_ms"]} for c, ms in by_category(kernels).items()]
            new += [{**head, "kind": "kernel", **k} for k in kernels[:top]]
            for row in new:
                rows.append(row)
                if on_row is not None:
                    on_row(row)
    return rows


def dominant(rows: list[dict], size: str, setting: str) -> str:
    """The category with the most time for (size, setting), or 'launch overhead' when the
    device was busy for less than half of the step's wall time."""
    summary = next(r for r in rows if r["kind"] == "summary" and r["size"] == size
                   and r["setting"] == setting)
    if summary["device"] == "cuda" and summary["busy_share"] < 0.5:
        return "launch overhead"
    cats = [r for r in rows if r["kind"] == "category" and r["size"] == size and r["setting"] == setting]
    return max(cats, key=lambda r: r["ms_per_step"])["name"]
