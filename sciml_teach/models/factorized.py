"""CP-factorised spectral weights (the TFNO form): where the contraction order matters.

Kossaifi et al.'s tensorised FNO (TFNO, arXiv:2310.00120) stores a Fourier layer's weight
W[c, o, k1, k2] as a low-rank tensor. In the CP form it is a sum of R rank-one terms,

    W[c, o, k1, k2] = sum_r A[c, r] B[o, r] K1[k1, r] K2[k2, r]      (complex factors),

so the layer never builds W: it contracts the spectrum with the factors directly, a
multi-operand einsum whose pairwise order decides the size of every intermediate (Tu et al.
2024, arXiv:2307.15034, Sec. 4.1, choose it by opt_einsum's path search). In half precision we
write each complex factor as its real 2x2 block [[Re, Im], [-Im, Re]], the row-vector form of
complex multiplication that :func:`sciml_teach.models.spectral.block_weight` uses, so the
product is one real einsum, e.g. in 2-D ``bcxyi,crij,orjk,xrkl,yrlm->boxym``. Taken left to
right it first multiplies the spectrum by A and then by B, keeping a (B, K, R, O, 2) array; the
greedy path multiplies by the mode factors before B and never holds more than (B, K, R, 2).
Introduced in notebooks/06_fno_mixed_precision.ipynb (factorised weights).
"""
from __future__ import annotations

import functools
from typing import Sequence

import opt_einsum
import torch
from torch import nn

from .spectral import FourierLayerBase

LETTERS = "xy"     # the kept-mode axes' letters in the einsum equations (1-D: x; 2-D: x, y)


def pair_block(factor: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Complex factor as real pairs (..., 2) -> its 2x2 blocks (..., 2, 2) [[re, im], [-im, re]]."""
    f = factor.to(dtype)
    return torch.stack([f, torch.stack([-f[..., 1], f[..., 0]], dim=-1)], dim=-2)  # (..., 2, 2)


def half_equation(dims: int) -> str:
    """The real-pair einsum: spectrum, A, B, then one factor per mode axis (pair indices i..m)."""
    axes = LETTERS[:dims]
    pair = "ijklm"
    terms = [f"bc{axes}{pair[0]}", f"cr{pair[0]}{pair[1]}", f"or{pair[1]}{pair[2]}"]
    terms += [f"{a}r{pair[2 + d]}{pair[3 + d]}" for d, a in enumerate(axes)]
    return ",".join(terms) + f"->bo{axes}{pair[2 + dims]}"


def complex_equation(dims: int) -> str:
    """The complex einsum of the full-precision path, e.g. ``bcxy,cr,or,xr,yr->boxy``."""
    axes = LETTERS[:dims]
    return ",".join([f"bc{axes}", "cr", "or", *[f"{a}r" for a in axes]]) + f"->bo{axes}"


def naive_path(n_operands: int) -> list[tuple[int, int]]:
    """Left to right in opt_einsum's path format (each result goes to the end of the list)."""
    return [(0, 1)] + [(0, k) for k in range(n_operands - 2, 0, -1)]


@functools.lru_cache(maxsize=64)
def greedy_path(equation: str, shapes: tuple[tuple[int, ...], ...]) -> tuple[tuple[int, int], ...]:
    """opt_einsum's greedy order for these shapes (a pure function of them, so cached)."""
    path, _ = opt_einsum.contract_path(equation, *shapes, shapes=True, optimize="greedy")
    return tuple(path)


class FactorizedSpectralConv(FourierLayerBase):
    """Spectral convolution whose weights are CP factors of rank ``rank`` (TFNO), 1-D or 2-D.

    Factors are complex, stored as real pairs (view_as_real layout, float32: GradScaler can
    unscale them): ``A`` (C, R, 2), ``B`` (O, R, 2) and one (K_d, R, 2) per kept-mode axis.
    :meth:`dense_weight` rebuilds the (C, O, *K, 2) weight a :class:`SpectralConv` would hold.
    The half contraction runs in opt_einsum's greedy order (:func:`greedy_path`).
    """

    def __init__(self, in_channels: int, out_channels: int, modes: Sequence[int], rank: int,
                 precision: str = "full", stabilizer: str = "none",
                 half_dtype: torch.dtype | None = None):
        super().__init__(in_channels, out_channels, modes, precision, stabilizer, half_dtype)
        if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
            raise ValueError(f"rank must be a positive integer, got {rank!r}")
        self.rank = rank
        n_factors = 2 + len(self.kept)
        # each factor ~ (1/(C O R))^(1/n): the rebuilt weight has the dense layer's scale 1/(C O)
        scale = (1.0 / (in_channels * out_channels * rank)) ** (1.0 / n_factors)
        sizes = [in_channels, out_channels, *self.kept]
        self.factors = nn.ParameterList(nn.Parameter(scale * torch.rand(s, rank, 2)) for s in sizes)

    def dense_weight(self) -> torch.Tensor:
        """The weight the factors stand for: (C, O, *K, 2) real pairs, in the factors' dtype."""
        axes = LETTERS[:len(self.kept)]
        equation = ",".join(["cr", "or", *[f"{a}r" for a in axes]]) + f"->co{axes}"  # cr,or,xr,yr->coxy
        dense = opt_einsum.contract(equation, *[torch.view_as_complex(f) for f in self.factors],
                                    backend="torch")                        # (C, O, *K) complex
        return torch.view_as_real(dense)                                    # (C, O, *K, 2)

    def contract_complex(self, low: torch.Tensor) -> torch.Tensor:
        """(B, C, *K) complex -> (B, O, *K): the factors contracted with the spectrum directly."""
        factors = [torch.view_as_complex(f.to(low.real.dtype)) for f in self.factors]
        return opt_einsum.contract(complex_equation(len(self.kept)), low, *factors,
                                   optimize="greedy", backend="torch")

    def contract_half(self, low: torch.Tensor) -> torch.Tensor:
        """(B, C, *K, 2) half -> (B, O, *K, 2): the real-pair einsum in the greedy order."""
        operands = [low] + [pair_block(f, low.dtype) for f in self.factors]
        equation = half_equation(len(self.kept))
        path = greedy_path(equation, tuple(tuple(op.shape) for op in operands))
        return opt_einsum.contract(equation, *operands, optimize=list(path), backend="torch")

    def extra_repr(self) -> str:
        return f"rank={self.rank}, " + super().extra_repr()
