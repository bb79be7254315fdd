"""Half-precision FFTs: native where the platform has them, emulated faithfully where it does not.

Tu et al. 2024 (arXiv:2307.15034, Sec. 4) run the FNO's FFTs in float16. Platforms differ:

* CUDA (cuFFT) computes float16 FFTs, but only for power-of-two sizes; for other sizes we fall
  back to a float32 FFT with a one-line warning (the spectrum is still rounded to half after).
* CPU FFTs (MKL/pocketfft) have no half kernels: ``torch.fft.rfft`` raises "Unsupported dtype
  Half". We emulate: round the input to half, transform in float32, round the output to half.
  The rounding makes the two effects the lesson is about real -- values above float16's 65504
  become ``inf`` (a DFT sums N values, so the spectrum can overflow where the input does not),
  and every value carries half-precision round-off. What is *not* emulated is the round-off
  inside the FFT's butterflies, which a real half FFT accumulates too (it is smaller: log2 N
  roundings per value instead of one).
* bfloat16: no FFT kernels anywhere, so it is always emulated.

Half spectra are returned as real pairs ``(..., 2)`` (``view_as_real`` layout) because complex32
arithmetic is missing on CPU. Introduced in notebooks/06_fno_mixed_precision.ipynb.
"""
from __future__ import annotations

import math
import warnings
from typing import Sequence

import torch

HALF_DTYPES = (torch.float16, torch.bfloat16)


class _RFFTN(torch.autograd.Function):
    """``torch.fft.rfftn`` over the last ``dims`` axes that keeps nothing for backward.

    PyTorch's rfftn saves its input for backward although the gradient depends only on the
    shape; in a mixed-precision layer that input is a float32 copy of a half tensor, and keeping
    it would cancel most of the memory saving (Tu et al. 2024, Sec. 4.1).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, dims: int) -> torch.Tensor:
        ctx.dims, ctx.sizes = dims, tuple(x.shape[-dims:])
        return torch.fft.rfftn(x, dim=tuple(range(-dims, 0)))          # (B, C, *Nf) complex

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        # The adjoint of the unnormalised real FFT is Re(sum_k g_k e^{+2 pi i k n / N}) over the
        # kept half of the last axis. An unnormalised inverse *real* FFT computes
        # g_0 + 2 Re(sum of the interior bins) + g_{N/2}: halve the interior bins first and it is
        # the adjoint, computed on the half spectrum (a C2R transform) instead of zero-padding to
        # the full grid and running a complex C2C one -- half the memory and about half the work.
        n_last = ctx.sizes[-1]
        interior = torch.ones(grad.shape[-1], dtype=grad.real.dtype, device=grad.device)
        interior[1:(n_last + 1) // 2] = 0.5                               # (Nf,): 1 at k = 0, N/2
        x_grad = torch.fft.irfftn(grad * interior, s=ctx.sizes, dim=tuple(range(-ctx.dims, 0)),
                                  norm="forward")                         # (B, C, *N) real
        return x_grad, None


def rfftn(x: torch.Tensor, dims: int) -> torch.Tensor:
    """Real FFT over the last ``dims`` axes, (B, C, *N) -> (B, C, *Nf); saves nothing for backward."""
    return _RFFTN.apply(x, dims)


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def half_fft_backend(dtype: torch.dtype, device: torch.device | str, sizes: Sequence[int]) -> str:
    """``"native"`` when torch can run this FFT in ``dtype`` here, else ``"emulated"``."""
    if dtype not in HALF_DTYPES:
        raise ValueError(f"half FFT dtype must be torch.float16 or torch.bfloat16, got {dtype}")
    if torch.device(device).type != "cuda" or dtype != torch.float16:
        return "emulated"
    if all(_is_power_of_two(n) for n in sizes):
        return "native"
    warnings.warn(f"cuFFT computes float16 only for power-of-two sizes, not {tuple(sizes)}: this "
                  "FFT runs in float32 and its result is rounded to float16", stacklevel=3)
    return "emulated"


def rfftn_half(x: torch.Tensor, dims: int, dtype: torch.dtype) -> torch.Tensor:
    """Real FFT over the last ``dims`` axes in half precision, as real pairs.

    (B, C, *N) real -> (B, C, *Nf, 2) in ``dtype``, with Nf = N except the last, N[-1] // 2 + 1.
    """
    dim = tuple(range(-dims, 0))
    if half_fft_backend(dtype, x.device, x.shape[-dims:]) == "native":
        return torch.view_as_real(torch.fft.rfftn(x.to(dtype), dim=dim))  # (B, C, *Nf, 2)
    x_rounded = x.to(dtype).to(torch.float32)             # (B, C, *N): inputs seen in half
    spectrum = rfftn(x_rounded, dims)                     # (B, C, *Nf) complex64
    return torch.view_as_real(spectrum).to(dtype)         # (B, C, *Nf, 2): > 65504 becomes inf


def irfftn_half(z: torch.Tensor, sizes: Sequence[int], norm: str = "backward") -> torch.Tensor:
    """Inverse of :func:`rfftn_half`: real pairs (B, C, *Nf, 2) in half -> (B, C, *sizes) in half.

    ``norm`` as in ``torch.fft``: ``"backward"`` (default) divides by N here, the inverse of
    :func:`rfftn_half`; ``"ortho"`` divides by sqrt(N) only, for a spectrum already divided by
    sqrt(N) -- the spectral layer folds that factor into its weights, which saves a pass over
    the whole zero-filled spectrum.
    """
    if norm not in ("backward", "ortho"):
        raise ValueError(f"irfftn_half: norm must be 'backward' or 'ortho', got {norm!r}")
    dtype, dims = z.dtype, len(sizes)
    dim = tuple(range(-dims, 0))
    if half_fft_backend(dtype, z.device, sizes) == "native":
        # cuFFT sums the N terms of the inverse in half precision and divides by N only at the
        # end: the unscaled sum, N x, overflows float16 as soon as |x| > 65504 / N (4 on a 128x128
        # grid; measured on an H100). Split the 1/N: 1/sqrt(N) before (the spectrum stays far
        # from float16's smallest numbers), 1/sqrt(N) inside ("ortho"), so no partial sum
        # exceeds sqrt(N) |x|.
        if norm == "backward":
            z = z / math.sqrt(math.prod(sizes))                          # (B, C, *Nf, 2) half
        spectrum = torch.view_as_complex(z.contiguous())                 # (B, C, *Nf) complex32
        return torch.fft.irfftn(spectrum, s=tuple(sizes), dim=dim, norm="ortho")
    spectrum = torch.view_as_complex(z.to(torch.float32).contiguous())  # (B, C, *Nf) complex64
    x = torch.fft.irfftn(spectrum, s=tuple(sizes), dim=dim, norm=norm)  # (B, C, *N) float32
    return x.to(dtype)                                                  # (B, C, *N) rounded
