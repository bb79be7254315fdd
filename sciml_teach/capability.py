"""What this machine can do in half precision -- measured, not assumed.

Every notebook prints :func:`capability_report` in its first cell, so a learner reads their own
numbers next to the lesson's claims: on many CPUs float16 matmuls are emulated and ~100x slower
than float32 while bfloat16 is fast; GPUs with tensor cores run both fast; a half-precision FFT
exists on CUDA (power-of-two sizes only) but not on CPU. Introduced in notebooks/00_start_here.ipynb.
"""
from __future__ import annotations

import platform
from pathlib import Path
from dataclasses import dataclass

import torch

from .meters import time_fn


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; ``"cuda"`` without a GPU is a clear error."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type not in {"cpu", "cuda"}:
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {str(device)!r}")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but no CUDA GPU is visible; use 'auto' or 'cpu'")
    return device


def _cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo on Linux, else what the platform module knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _matmul_gflops(dtype: torch.dtype, device: torch.device, n: int) -> float:
    a = torch.randn(n, n, device=device).to(dtype)
    b = torch.randn(n, n, device=device).to(dtype)
    stats = time_fn(lambda: a @ b, repeats=3, warmup=1, device=device)
    return 2 * n**3 / stats.median_s / 1e9


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
    gflops: dict               # dtype name -> measured matmul GFLOP/s
    fp16_compute: str          # "native, fast (3.1x float32)" / "emulated/slow (0.02x float32)"
    bf16_compute: str          # same for bfloat16
    half_fft: str              # whether torch.fft accepts float16 here, and on what sizes

    @property
    def fp16_is_slow(self) -> bool:
        return self.fp16_compute.startswith("emulated")

    def __str__(self) -> str:
        rows = [
            ("device", f"{self.device} ({self.device_name})"),
            ("torch", self.torch_version),
            ("matmul GFLOP/s", ", ".join(f"{k} {v:.0f}" for k, v in self.gflops.items())),
            ("float16 compute", self.fp16_compute),
            ("bfloat16 compute", self.bf16_compute),
            ("half-precision FFT", self.half_fft),
        ]
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}} : {v}" for k, v in rows)


def capability_report(device: str | torch.device = "auto", matmul_size: int = 256) -> CapabilityReport:
    """Measure float32/float16/bfloat16 matmul speed and probe the half FFT on ``device``."""
    dev = resolve_device(device)
    gflops = {name: _matmul_gflops(dt, dev, matmul_size)
              for name, dt in [("float32", torch.float32), ("float16", torch.float16),
                               ("bfloat16", torch.bfloat16)]}
    if dev.type == "cuda":
        name = torch.cuda.get_device_name(dev)
        fft_note = "power-of-two sizes only (cuFFT)"
    else:
        name = _cpu_name()
        fft_note = ""
    if _half_fft_available(torch.float16, dev):
        half_fft = f"float16 native, {fft_note}".rstrip(", ")
    else:
        half_fft = "not on this device: sciml_teach emulates it (round to float16 before and after)"
    return CapabilityReport(dev.type, name, torch.__version__, gflops,
                            _verdict(gflops["float16"], gflops["float32"]),
                            _verdict(gflops["bfloat16"], gflops["float32"]), half_fft)
