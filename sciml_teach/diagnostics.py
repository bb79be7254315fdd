"""Why a half-precision run fails: where the gradients sit against the format's range.

Hayford et al. 2024 (arXiv:2401.16645, Sec. 3) explain pure-float16 failure by gradients that
fall below float16's smallest subnormal (they flush to zero) or above 65504 (overflow), and show
that multiplying the loss by a scale S shifts the whole gradient distribution by log10(S) into
range. These helpers measure that on a real model. Introduced in
notebooks/02_float16_divergence.ipynb and notebooks/03_amp_recovery.ipynb.
"""
from __future__ import annotations

from typing import Callable

import torch

from .formats import format_facts, get_dtype


def gradient_magnitudes(model: torch.nn.Module,
                        loss_fn: Callable[[torch.nn.Module], torch.Tensor]) -> torch.Tensor:
    """|dL/dθ| for every weight, computed in the model's own dtype, as float64 (P,)."""
    model.zero_grad(set_to_none=True)
    loss_fn(model).backward()
    grads = [p.grad.detach().double().abs().reshape(-1) for p in model.parameters()
             if p.grad is not None]
    model.zero_grad(set_to_none=True)
    return torch.cat(grads)


def range_fractions(values: torch.Tensor, name: str | torch.dtype = "float16",
                    scale: float = 1.0) -> dict:
    """Fractions of ``scale * values`` that flush to zero, are subnormal, or overflow in a format.

    Zeros in ``values`` are ignored: a gradient that is exactly zero loses nothing.
    """
    facts = format_facts(get_dtype(name))
    v = scale * values[values != 0].double().abs()
    n = max(v.numel(), 1)
    return {"underflow": (v < facts["smallest_subnormal"] / 2).sum().item() / n,
            "subnormal": ((v >= facts["smallest_subnormal"] / 2)
                          & (v < facts["smallest_normal"])).sum().item() / n,
            "overflow": (v > facts["max"]).sum().item() / n}


def lost_update_fraction(model: torch.nn.Module, lr: float, name: str | torch.dtype) -> float:
    """Fraction of weights for which a step of size ``lr`` (Adam's typical |update|) rounds away."""
    dtype = get_dtype(name)
    w = torch.cat([p.detach().reshape(-1) for p in model.parameters()]).to(dtype)
    return ((w + torch.tensor(lr, dtype=dtype)) == w).double().mean().item()
