"""What this machine can do in half precision -- measured, not assumed.

Every notebook prints :func:`capability_report` in its first cell, so a learner reads their own
numbers next to the lesson's claims: many CPUs emulate float16 matmuls (~100x slower than float32)
while CPUs with AVX512-FP16 or AMX run them natively; GPUs with tensor cores run float16 fast, and
bfloat16 from compute capability 8.0 (A100, L4, H100; not the T4); a half-precision FFT exists
on CUDA (power-of-two sizes only) but not on CPU. Introduced in notebooks/00_start_here.ipynb.
"""
from __future__ import annotations

import platform
import shutil
import sys
from importlib import metadata
from pathlib import Path
from dataclasses import dataclass

import torch

from .meters import time_fn
from .placement import resolve_device
from .threads import FEW_CORES, cpu_cores


def _cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo on Linux, else what the platform module knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _matmul_gflops(dtype: torch.dtype, device: torch.device, n: int) -> tuple[float, float]:
    """(best GFLOP/s of an n x n matmul, spread of the timings). The best of several runs: on a busy
    machine the slow runs measure the other programs, not this one."""
    a = torch.randn(n, n, device=device).to(dtype)
    b = torch.randn(n, n, device=device).to(dtype)
    stats = time_fn(lambda: a @ b, repeats=5, warmup=2, device=device)
    return 2 * n**3 / stats.min_s / 1e9, stats.spread


def _half_fft_available(dtype: torch.dtype, device: torch.device) -> bool:
    try:
        torch.fft.rfft(torch.ones(16, dtype=dtype, device=device))
        return True
    except RuntimeError:  # "Unsupported dtype Half" on CPU
        return False


def _verdict(gflops: float, fp32_gflops: float) -> str:
    ratio = gflops / fp32_gflops
    if ratio >= 1.3:
        return f"native, fast ({ratio:.1f}x float32)"
    if ratio >= 0.5:
        return f"native ({ratio:.1f}x float32)"
    return f"emulated/slow ({ratio:.2f}x float32)"


@dataclass(frozen=True)
class CapabilityReport:
    device: str                # "cpu" or "cuda"
    device_name: str           # CPU model or GPU name
    torch_version: str         # torch.__version__
    gflops: dict               # dtype name -> measured matmul GFLOP/s (best of 5)
    fp16_compute: str          # "native, fast (3.1x float32)" / "emulated/slow (0.02x float32)"
    bf16_compute: str          # same for bfloat16
    half_fft: str              # whether torch.fft accepts float16 here, and on what sizes
    threads: int = 1           # torch's CPU threads (torch.get_num_threads())
    matmul_size: int = 256     # n of the n x n matmuls timed
    details: tuple = ()        # (label, text) rows: GPU memory, compute capability, TF32 ...
    notes: tuple = ()          # warnings in words: unreliable timings, wasted CUDA build, Colab
    ipywidgets: str = ""       # the ipywidgets version found ("7.7.1" on Colab), or "not installed"

    @property
    def fp16_is_slow(self) -> bool:
        return self.fp16_compute.startswith("emulated")

    def __str__(self) -> str:
        rows = [
            ("device", f"{self.device} ({self.device_name})"),
            ("torch", f"{self.torch_version}, {self.threads} CPU thread(s) on {cpu_cores()} core(s)"),
            *self.details,
            (f"matmul GFLOP/s ({self.matmul_size}x{self.matmul_size}"
             + (", one core)" if self.device == "cpu" else ")"),
             ", ".join(f"{k} {v:.0f}" for k, v in self.gflops.items())),
            ("float16 compute", self.fp16_compute),
            ("bfloat16 compute", self.bf16_compute),
            ("half-precision FFT", self.half_fft),
            ("ipywidgets", self.ipywidgets or "not reported"),
        ]
        width = max(len(k) for k, _ in rows)
        lines = [f"{k:<{width}} : {v}" for k, v in rows]
        return "\n".join(lines + [f"note: {n}" for n in self.notes])


def _gpu_details(dev: torch.device) -> tuple[tuple[str, str], ...]:
    props = torch.cuda.get_device_properties(dev)
    major, minor = props.major, props.minor
    return (("GPU memory", f"{props.total_memory / 2**30:.1f} GiB"),
            ("compute capability", f"{major}.{minor} (bfloat16 tensor cores need 8.0+, "
                                   f"{'present' if major >= 8 else 'absent: bfloat16 is emulated'})"),
            ("TF32 float32 matmuls", "on (float32 matmuls round inputs to 10 mantissa bits)"
             if torch.backends.cuda.matmul.allow_tf32 else "off (torch's default: exact float32)"))


def _nvidia_gpu_present() -> bool:
    """Whether the machine has an NVIDIA driver (its tool on PATH or its /proc entry), whatever
    torch build is installed: the CPU build cannot see the GPU itself."""
    return shutil.which("nvidia-smi") is not None or Path("/proc/driver/nvidia").exists()


def _ipywidgets_version() -> str:
    """The installed ipywidgets, read from its metadata (importing it is slow). Panels work with
    7.x (Colab's 7.7.1) and 8.x; everything else runs without it."""
    try:
        return metadata.version("ipywidgets")
    except metadata.PackageNotFoundError:
        return "not installed (the widget panels need it; every plain cell runs without)"


def _notes(dev: torch.device, spreads: dict, threads: int = 1) -> tuple[str, ...]:
    notes = []
    if threads > 1 and (cpu_cores() <= FEW_CORES or threads > cpu_cores()):
        notes.append(f"torch uses {threads} CPU threads on {cpu_cores()} core(s): with other programs "
                     "running, steps can be 10-80x slower than with one; st.use_threads(1) sets one")
    if max(spreads.values()) > 1.0:
        notes.append("the matmul timings varied by more than 2x between runs: the machine is busy, "
                     "so the speed ratios above are rough (the best run of each is shown)")
    if dev.type == "cpu" and torch.version.cuda is not None:
        notes.append(f"this is a CUDA build of torch (CUDA {torch.version.cuda}) on a machine without "
                     "a usable GPU: several GB of CUDA libraries go unused; the CPU build is enough")
    if dev.type == "cpu" and torch.version.cuda is None and _nvidia_gpu_present():
        notes.append("this is the CPU build of torch on a machine with an NVIDIA GPU: the GPU goes "
                     "unused; install the CUDA build (README, Quick start: 'Linux with NVIDIA GPU')")
    if dev.type == "cpu" and "google.colab" in sys.modules:
        notes.append("running on Colab's CPU: Runtime > Change runtime type > GPU (T4), then re-run")
    return tuple(notes)


def capability_report(device: str | torch.device = "auto", matmul_size: int | None = None
                      ) -> CapabilityReport:
    """Measure float32/float16/bfloat16 matmul speed and probe the half FFT on ``device``.

    The matmuls are 256x256 on one CPU core and 4096x4096 on a GPU (small ones measure a GPU's
    launch overhead, not its tensor cores); each speed is the best of five runs.
    """
    dev = resolve_device(device)
    n = matmul_size or (4096 if dev.type == "cuda" else 256)
    threads = torch.get_num_threads()
    if dev.type == "cpu":
        # One core: with several threads, a core taken by another program stalls the others at
        # every barrier (a busy 2-core machine measured float32 at 2 GFLOP/s instead of 160).
        torch.set_num_threads(1)
    try:
        measured = {name: _matmul_gflops(dt, dev, n)
                    for name, dt in [("float32", torch.float32), ("float16", torch.float16),
                                     ("bfloat16", torch.bfloat16)]}
    finally:
        torch.set_num_threads(threads)
    gflops = {name: g for name, (g, _) in measured.items()}
    spreads = {name: s for name, (_, s) in measured.items()}
    details: tuple = ()
    if dev.type == "cuda":
        name, details = torch.cuda.get_device_name(dev), _gpu_details(dev)
        fft_note = "power-of-two sizes only (cuFFT); other sizes fall back to float32"
    else:
        name, fft_note = _cpu_name(), ""
    if _half_fft_available(torch.float16, dev):
        half_fft = f"float16 native, {fft_note}".rstrip(", ")
    else:
        half_fft = "not on this device: sciml_teach emulates it (round to float16 before and after)"
    return CapabilityReport(dev.type, name, torch.__version__, gflops,
                            _verdict(gflops["float16"], gflops["float32"]),
                            _verdict(gflops["bfloat16"], gflops["float32"]), half_fft,
                            threads, n, details, _notes(dev, spreads, threads),
                            _ipywidgets_version())
