"""The FNO's spectral convolution in full, mixed or half precision, with an optional tanh stabiliser.

A Fourier layer multiplies the lowest Fourier modes of its input by learned complex weights
(Li et al. 2021, "Fourier Neural Operator for Parametric PDEs", Eq. 4-5). Tu et al. 2024
(arXiv:2307.15034) run it in half precision:

* ``"full"``  -- float32 FFT, complex float32 contraction, float32 inverse FFT.
* ``"mixed"`` -- float32 forward FFT; contraction and inverse FFT in half (Tu et al., Sec. 4.1).
* ``"half"``  -- forward FFT, contraction and inverse FFT all in half.
* ``stabilizer="tanh"`` applies tanh just before the forward FFT, so every input is in [-1, 1]
  and a DFT of N points is bounded by N (Tu et al., Sec. 4.2): no float16 overflow for N < 65504.

Complex weights are stored as real tensors in ``view_as_real`` layout (..., 2): PyTorch's
GradScaler cannot unscale complex parameters. The half contraction is one batched real matrix
product per mode (:func:`block_weight`), not the three-operand einsum with a 2x2x2 table whose
order Tu et al. choose by a path search; both are measured against each other by
:mod:`sciml_teach.experiments.contraction_runs`. Introduced in notebooks/06_fno_mixed_precision.ipynb.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from ..half_fft import HALF_DTYPES, irfftn_half, rfftn, rfftn_half

PRECISIONS = ("full", "mixed", "half")
STABILIZERS = ("none", "tanh")


def block_weight(weight: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Complex weights as one real matrix per mode: (C, O, *K, 2) -> (K, 2C, 2O) in ``dtype``.

    A complex product (a + ib)(c + id) = (ac - bd) + i(ad + bc) is the real product of the row
    [a, b] with the block [[c, d], [-d, c]]. Rows and columns keep each (re, im) pair side by side,
    as ``view_as_real`` stores them: row 2c is Re x_c, row 2c + 1 is Im x_c; columns 2o and 2o + 1
    are Re y_o and Im y_o. So [Re x_0, Im x_0, Re x_1, ...] (2C) times this (2C x 2O) matrix gives
    [Re y_0, Im y_0, Re y_1, ...] (2O).
    """
    w = weight.to(dtype).flatten(2, -2).permute(2, 0, 1, 3)              # (K, C, O, 2): (re, im)
    w_conj_turned = torch.stack([-w[..., 1], w[..., 0]], dim=-1)          # (K, C, O, 2): (-im, re)
    block = torch.stack([w, w_conj_turned], dim=2)                       # (K, C, 2, O, 2)
    return block.reshape(w.shape[0], 2 * w.shape[1], 2 * w.shape[2])    # (K, 2C, 2O)


class _PairContraction(torch.autograd.Function):
    """xk @ block_weight(weight) per mode, keeping for backward only xk and the weight parameter.

    Autograd would keep the (K, 2C, 2O) block matrix, four real numbers per complex weight and as
    large as the weights themselves: the parameter is alive anyway, so the block is rebuilt from it
    in backward instead. The gradients are those of the block product, summed back onto the
    blocks' shared entries (Re w sits in two places, Im w in two, once with a minus sign).
    """

    @staticmethod
    def forward(ctx, xk: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(xk, weight)
        return torch.bmm(xk, block_weight(weight, xk.dtype))             # (K, B, 2O)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        xk, weight = ctx.saved_tensors                                   # (K, B, 2C), (C, O, *K, 2)
        # backward may run inside the caller's autocast; like forward, this layer picks its dtypes
        with torch.autocast(xk.device.type, enabled=False):
            return _PairContraction._grads(ctx, grad, xk, weight)

    @staticmethod
    def _grads(ctx, grad: torch.Tensor, xk: torch.Tensor, weight: torch.Tensor):
        grad = grad.to(xk.dtype)                                         # (K, B, 2O)
        grad_x = grad_w = None
        if ctx.needs_input_grad[0]:
            w_block = block_weight(weight, xk.dtype)                     # (K, 2C, 2O), rebuilt
            grad_x = torch.bmm(grad, w_block.transpose(1, 2))            # (K, B, 2C)
        if ctx.needs_input_grad[1]:
            n_modes, channels, out = xk.shape[0], xk.shape[2] // 2, grad.shape[2] // 2
            g = torch.bmm(xk.transpose(1, 2), grad).to(weight.dtype)     # (K, 2C, 2O)
            g = g.reshape(n_modes, channels, 2, out, 2)                  # (K, C, x re|im, O, y re|im)
            g_re = g[:, :, 0, :, 0] + g[:, :, 1, :, 1]                   # (K, C, O): both Re w's places
            g_im = g[:, :, 0, :, 1] - g[:, :, 1, :, 0]                   # (K, C, O): Im w, and -Im w
            pairs = torch.stack([g_re, g_im], dim=-1).permute(1, 2, 0, 3)  # (C, O, K, 2)
            grad_w = pairs.reshape(weight.shape)                         # (C, O, *K, 2)
        return grad_x, grad_w


def contract_pairs(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Complex product summed over input channels, on real (re, im) pairs in x's dtype.

    x (B, C, *K, 2), weight (C, O, *K, 2) -> (B, O, *K, 2). One batched real matrix product over
    the modes (:func:`block_weight`), so half inputs run on tensor cores where a GPU has them;
    complex half arithmetic is emulated as real pairs because PyTorch has no complex32 matmul on
    CPU. Autograd keeps x (in its dtype) and the weight parameter itself.
    """
    batch, channels, kept = x.shape[0], x.shape[1], x.shape[2:-1]
    n_modes = math.prod(kept)
    xk = x.flatten(2, -2).permute(2, 0, 1, 3).reshape(n_modes, batch, 2 * channels)  # (K, B, 2C)
    y = _PairContraction.apply(xk, weight)                               # (K, B, 2O)
    out = y.reshape(n_modes, batch, -1, 2).permute(1, 2, 0, 3)          # (B, O, K, 2)
    return out.reshape(batch, -1, *kept, 2)                             # (B, O, *K, 2)


class _Tanh(torch.autograd.Function):
    """tanh that keeps its *input* for backward (d tanh = 1 - tanh^2, recomputed there).

    The stabiliser's input v is kept anyway -- the pointwise branch W v of the same Fourier layer
    saves it -- so saving v instead of tanh(v) costs no memory, where torch's tanh would keep one
    more activation per layer (Tu et al. 2024's tanh pre-activation, without its memory bill).
    """

    @staticmethod
    def forward(ctx, v: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(v)
        return torch.tanh(v)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (v,) = ctx.saved_tensors
        return grad * (1 - torch.tanh(v).square())


def stabilise(v: torch.Tensor) -> torch.Tensor:
    """tanh(v), bounding what the forward FFT sums, without keeping tanh(v) for backward."""
    return _Tanh.apply(v)


def keep_low_modes(spectrum: torch.Tensor, modes: Sequence[int]) -> torch.Tensor:
    """(B, C, *Nf[, 2]) -> (B, C, *K[, 2]): the lowest modes; in 2-D both signs of the first
    frequency (the rfft keeps only non-negative frequencies along the last axis)."""
    if len(modes) == 1:
        return spectrum[:, :, :modes[0]]                                   # (B, C, K)
    m1, m2 = modes
    return torch.cat([spectrum[:, :, :m1, :m2], spectrum[:, :, -m1:, :m2]], dim=2)  # (B, C, 2m1, m2)


def place_low_modes(kept: torch.Tensor, freq_shape: Sequence[int]) -> torch.Tensor:
    """Inverse of :func:`keep_low_modes`: zeros everywhere except the kept modes."""
    out = kept.new_zeros(kept.shape[:2] + tuple(freq_shape) + kept.shape[2 + len(freq_shape):])
    if len(freq_shape) == 1:
        out[:, :, :kept.shape[2]] = kept                                   # (B, O, Nf)
        return out
    m1, m2 = kept.shape[2] // 2, kept.shape[3]
    out[:, :, :m1, :m2] = kept[:, :, :m1]                                  # (B, O, N1, N2f)
    out[:, :, -m1:, :m2] = kept[:, :, m1:]
    return out


def _freq_shape(sizes: Sequence[int]) -> list[int]:
    return list(sizes[:-1]) + [sizes[-1] // 2 + 1]


def _ortho(sizes: Sequence[int]) -> float:
    """1/sqrt(N): the half of the inverse FFT's 1/N that the half paths apply to the K kept modes
    before the contraction (not to the whole zero-filled spectrum after it), so no partial sum of
    a float16 inverse FFT exceeds sqrt(N) |x| (see half_fft.irfftn_half). On the modes, not on the
    weights: weights of ~1/C^2 times 1/sqrt(N) would fall below float16's smallest normal number.
    And after the modes are rounded to half, not before: a spectrum beyond 65504 overflows there,
    as a half-precision layer's does (lesson 06's stress test)."""
    return 1.0 / math.sqrt(math.prod(sizes))


def _full_path(x: torch.Tensor, layer: "FourierLayerBase", half_dtype) -> torch.Tensor:
    """float32 (or float64) FFT, complex contraction and inverse FFT (``half_dtype`` unused: every
    path has the same signature)."""
    dims, sizes = len(layer.modes), x.shape[2:]
    x = x.to(torch.promote_types(x.dtype, torch.float32))                 # half inputs -> float32
    spectrum = rfftn(x, dims)                                             # (B, C, *Nf) complex
    low = layer.contract_complex(keep_low_modes(spectrum, layer.modes))   # (B, O, *K) complex
    return torch.fft.irfftn(place_low_modes(low, _freq_shape(sizes)), s=sizes,
                            dim=tuple(range(-dims, 0)))                   # (B, O, *N)


def _mixed_path(x: torch.Tensor, layer: "FourierLayerBase", half_dtype) -> torch.Tensor:
    """float32 forward FFT, then contraction and inverse FFT in half (Tu et al., Sec. 4.1)."""
    dims, sizes = len(layer.modes), x.shape[2:]
    spectrum = rfftn(x.float(), dims)                                     # (B, C, *Nf) complex64
    low = torch.view_as_real(keep_low_modes(spectrum, layer.modes)).to(half_dtype)  # (B, C, *K, 2)
    out = layer.contract_half(low * _ortho(sizes))                        # (B, O, *K, 2) half
    return irfftn_half(place_low_modes(out, _freq_shape(sizes)), sizes, norm="ortho")  # (B, O, *N)


def _half_path(x: torch.Tensor, layer: "FourierLayerBase", half_dtype) -> torch.Tensor:
    """Forward FFT, contraction and inverse FFT all in half."""
    sizes = x.shape[2:]
    spectrum = rfftn_half(x, len(layer.modes), half_dtype)                # (B, C, *Nf, 2) half
    low = keep_low_modes(spectrum, layer.modes) * _ortho(sizes)           # (B, C, *K, 2) half
    out = layer.contract_half(low)                                        # (B, O, *K, 2) half
    return irfftn_half(place_low_modes(out, _freq_shape(sizes)), sizes, norm="ortho")  # (B, O, *N)


_PATHS = {"full": _full_path, "mixed": _mixed_path, "half": _half_path}


class FourierLayerBase(nn.Module):
    """What every spectral convolution shares: checks, the stabiliser and the three precision
    paths. Abstract: a subclass stores its weights and defines the two contractions,
    ``contract_complex`` (complex (B, C, *K) -> (B, O, *K)) and ``contract_half`` (real pairs
    (B, C, *K, 2) in half -> (B, O, *K, 2)). Final subclasses: :class:`SpectralConv` (dense
    weights) and :class:`~sciml_teach.models.factorized.FactorizedSpectralConv` (CP factors)."""

    def __init__(self, in_channels: int, out_channels: int, modes: Sequence[int], precision: str,
                 stabilizer: str, half_dtype: torch.dtype | None):
        super().__init__()
        if precision not in PRECISIONS:
            raise ValueError(f"unknown spectral precision {precision!r}; valid: {', '.join(PRECISIONS)}")
        if stabilizer not in STABILIZERS:
            raise ValueError(f"unknown stabilizer {stabilizer!r}; valid: {', '.join(STABILIZERS)}")
        if half_dtype is not None and half_dtype not in HALF_DTYPES:
            raise ValueError(f"half_dtype must be None, torch.float16 or torch.bfloat16, got {half_dtype}")
        if len(modes) not in (1, 2) or any(m < 1 for m in modes):
            raise ValueError(f"modes must be 1 or 2 positive ints, got {tuple(modes)}")
        self.modes, self.precision, self.stabilizer = tuple(modes), precision, stabilizer
        self.half_dtype, self.in_channels, self.out_channels = half_dtype, in_channels, out_channels
        self.kept = ((2 * modes[0], modes[1]) if len(modes) == 2 else (modes[0],))  # (*K)

    def contract_complex(self, low: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def contract_half(self, low: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _check(self, x: torch.Tensor) -> None:
        dims = len(self.modes)
        if x.dim() != 2 + dims or x.shape[1] != self.in_channels:
            raise ValueError(f"{type(self).__name__} expects (B, {self.in_channels}, *N) with "
                             f"{dims} grid axes, got {tuple(x.shape)}")
        limits = list(x.shape[2:-1]) + [x.shape[-1] // 2 + 1]
        if dims == 2:
            limits[0] = x.shape[2] // 2
        if any(m > lim for m, lim in zip(self.modes, limits)):
            raise ValueError(f"modes {self.modes} exceed what a grid of {tuple(x.shape[2:])} holds "
                             f"(at most {tuple(limits)})")

    def _resolve_half_dtype(self, device_type: str) -> torch.dtype:
        if self.half_dtype is not None:
            return self.half_dtype
        if torch.is_autocast_enabled(device_type):
            return torch.get_autocast_dtype(device_type)
        return torch.float16

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, *N) -> (B, O, *N). Steps:

        1. stabiliser: tanh(x) if ``stabilizer="tanh"`` (bounds what the FFT sums; keeps x,
           not tanh(x), for backward);
        2. forward real FFT: float32 for "full" and "mixed", half for "half";
        3. keep the lowest modes;
        4. multiply by the weights and sum over channels: complex float32 ("full") or in half
           precision on real pairs ("mixed", "half"), on modes already divided by sqrt(N), half
           of the inverse FFT's normalisation;
        5. zero-fill the other modes and inverse FFT in the precision of step 4.

        The output is float32 for "full" and half otherwise; autocast is switched off inside,
        because this layer chooses its own precision.
        """
        self._check(x)
        device_type = x.device.type
        half_dtype = self._resolve_half_dtype(device_type)
        if x.shape[0] == 0:  # no inputs: the FFT libraries refuse an empty batch, the answer is empty
            dtype = torch.promote_types(x.dtype, torch.float32) if self.precision == "full" else half_dtype
            return x.new_zeros((0, self.out_channels, *x.shape[2:]), dtype=dtype)  # (0, O, *N)
        if self.stabilizer == "tanh":
            x = stabilise(x)
        with torch.autocast(device_type, enabled=False):
            return _PATHS[self.precision](x, self, half_dtype)

    def extra_repr(self) -> str:
        return (f"modes={self.modes}, precision={self.precision!r}, "
                f"stabilizer={self.stabilizer!r}, half_dtype={self.half_dtype}")


class SpectralConv(FourierLayerBase):
    """Spectral convolution on the lowest ``modes`` Fourier modes (1-D or 2-D), dense weights.

    ``half_dtype``: the dtype of the half parts; ``None`` follows autocast (its dtype when
    autocast is on) and is float16 otherwise. float16 is what overflows at 65504.
    """

    def __init__(self, in_channels: int, out_channels: int, modes: Sequence[int],
                 precision: str = "full", stabilizer: str = "none",
                 half_dtype: torch.dtype | None = None):
        super().__init__(in_channels, out_channels, modes, precision, stabilizer, half_dtype)
        scale = 1.0 / (in_channels * out_channels)
        # Complex weights in view_as_real layout: (C, O, *K, 2), float32 so GradScaler can unscale.
        self.weight = nn.Parameter(scale * torch.rand(in_channels, out_channels, *self.kept, 2))

    def contract_complex(self, low: torch.Tensor) -> torch.Tensor:
        """(B, C, *K) complex -> (B, O, *K): einsum with the weights in low's precision."""
        w = torch.view_as_complex(self.weight.to(low.real.dtype))          # (C, O, *K) complex
        return torch.einsum("bc...,co...->bo...", low, w)

    def contract_half(self, low: torch.Tensor) -> torch.Tensor:
        """(B, C, *K, 2) half -> (B, O, *K, 2): one batched real GEMM per mode."""
        return contract_pairs(low, self.weight)
