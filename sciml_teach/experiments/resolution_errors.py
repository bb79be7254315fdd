"""Discretisation error against round-off, over grid resolution: why 16 bits are enough for an FNO.

Tu et al. 2024 (arXiv:2307.15034; their main theorem, as the abstract states it) argue that an FNO
evaluated on a grid already carries a *discretisation error* (their "approximation error") -- its
input function is known only at n points, so every Fourier transform
inside it is a sum over the grid instead of an integral -- and that the *precision error* of doing
those sums in half precision is asymptotically of the same order, so full precision buys nothing.
This module measures both for one FNO (fixed weights) on 1-D or 2-D inputs:

* discretisation error at n: the float64 FNO on the n-point grid against the float64 FNO on a much
  finer grid (``fine`` points), compared at the same n points;
* precision error at n: the same n-point computation with the spectral layers in 16 bits (mixed or
  half, float16 or bfloat16; the rest of the network float32) against float64 at n.

Both are relative L2 errors (:func:`sciml_teach.metrics.relative_l2`) over a batch of periodic
Gaussian random fields. Introduced in notebooks/06_fno_mixed_precision.ipynb.
"""
from __future__ import annotations

import copy
import math
from dataclasses import replace
from typing import Callable, Mapping, Sequence

import torch
from torch import nn

from ..checks import check_int
from ..metrics import relative_l2
from ..models import FNO
from ..placement import model_device, resolve_device
from ..problems.grf import grf_periodic
from ..training import TrainConfig, train
from .fno_settings import FNOSetting, fno_model, loss_and_error

VARIANTS = (("mixed", torch.float16), ("half", torch.float16),
            ("mixed", torch.bfloat16), ("half", torch.bfloat16))


def variant_name(precision: str, half_dtype: torch.dtype) -> str:
    """'mixed-float16', 'half-bfloat16', ...: the key of a precision error in a row."""
    return f"{precision}-{str(half_dtype).removeprefix('torch.')}"


def spectral_variant(model: FNO, precision: str, half_dtype: torch.dtype) -> FNO:
    """The same FNO -- the same weights, in float32 -- with its spectral layers in ``precision``
    ("full", "mixed" or "half") and ``half_dtype``; the pointwise layers stay float32."""
    config = replace(model.config, precision=precision, half_dtype=half_dtype)
    variant = FNO(config).to(model_device(model))
    variant.load_state_dict({k: v.float() for k, v in model.state_dict().items()})
    return variant.eval()


def default_variants() -> dict[str, Callable[[FNO], nn.Module]]:
    """name -> function building the 16-bit model from the float32 one, for every entry of VARIANTS."""
    return {variant_name(p, d): (lambda m, p=p, d=d: spectral_variant(m, p, d)) for p, d in VARIANTS}


def grf_inputs(n_functions: int, fine: int, length_scale: float, seed: int = 0,
               dims: int = 1) -> torch.Tensor:
    """Periodic GRF inputs of unit pointwise variance with ``fine`` points per axis:
    (M, 1, fine) for ``dims=1``, (M, 1, fine, fine) for ``dims=2``; float64.

    A field drawn this way is a trigonometric polynomial, so taking every (fine / n)-th value is
    sampling the same function exactly on a coarser grid of n points per axis.
    """
    check_int("n_functions", n_functions, minimum=1)
    generator = torch.Generator().manual_seed(seed)
    return grf_periodic(n_functions, fine, dims, length_scale, 1.0, generator)[:, None]  # (M, 1, *fine)


def on_grid(a_fine: torch.Tensor, n: int) -> torch.Tensor:
    """The values of (M, C, *fine) -- 1-D or 2-D -- at the points j/n of each axis: (M, C, *n);
    n must divide fine."""
    fine = a_fine.shape[-1]
    if n < 1 or fine % n:
        raise ValueError(f"resolution must divide the fine grid's {fine} points, got {n}")
    axes = (slice(None), slice(None)) + (slice(None, None, fine // n),) * (a_fine.dim() - 2)
    return a_fine[axes].contiguous()                                     # (M, C, *n)


def resolution_errors(model: FNO, a_fine: torch.Tensor, resolutions: Sequence[int],
                      variants: Mapping[str, Callable[[FNO], nn.Module]] | None = None) -> list[dict]:
    """One row per resolution n: ``{"n", "discretisation", "float32", <variant>: error, ...}``.

    ``a_fine`` (M, 1, fine) float64 are the input functions on the fine grid (the reference);
    ``variants`` maps a name to a function building the model under test from ``model``
    (default: :func:`default_variants`). "float32" is the plain float32 model's precision error.
    Everything runs on the model's device: on a GPU the float16 FFTs are cuFFT's own, on a CPU
    they are emulated (:mod:`sciml_teach.half_fft`).
    """
    if not resolutions:
        raise ValueError("resolutions must list at least one grid size, e.g. [32, 64, 128]")
    variants = default_variants() if variants is None else variants
    exact = copy.deepcopy(model).double().eval()                         # the float64 FNO
    single = spectral_variant(model, "full", None)                       # float32 throughout
    built = {name: make(model) for name, make in variants.items()}
    a_fine = a_fine.to(model_device(model))                              # (M, 1, fine)
    rows = []
    with torch.no_grad():
        reference = exact(a_fine)                                        # (M, O, fine) float64
        for n in resolutions:
            a = on_grid(a_fine, n)                                       # (M, 1, n)
            y = exact(a)                                                 # (M, O, n) float64
            row = {"n": n, "discretisation": relative_l2(y, on_grid(reference, n)),
                   "float32": relative_l2(single(a.float()), y)}
            row.update({name: relative_l2(m(a.float()), y) for name, m in built.items()})
            rows.append(row)
    return rows


def crossover(rows: Sequence[dict], key: str) -> dict:
    """Where the round-off ``key`` would overtake the discretisation error.

    ``measured``: the first n of ``rows`` where ``rows[key] >= discretisation`` (None if none);
    ``order``: the slope p of log(discretisation) against log(n), a least-squares fit;
    ``extrapolated``: the n where the fitted line C n^p meets the median round-off (None if the
    discretisation error does not fall with n).
    """
    if len(rows) < 2:
        raise ValueError("crossover needs rows at two resolutions or more")
    measured = next((r["n"] for r in rows if r[key] >= r["discretisation"]), None)
    x = torch.tensor([math.log(r["n"]) for r in rows], dtype=torch.float64)
    y = torch.tensor([math.log(r["discretisation"]) for r in rows], dtype=torch.float64)
    slope = (((x - x.mean()) * (y - y.mean())).sum() / (x - x.mean()).square().sum()).item()
    intercept = (y.mean() - slope * x.mean()).item()
    level = math.log(sorted(r[key] for r in rows)[len(rows) // 2])
    extrapolated = math.exp((level - intercept) / slope) if slope < 0 else None
    return {"measured": measured, "order": slope, "extrapolated": extrapolated}


def train_reference_fno(data: dict, steps: int, width: int = 24, seed: int = 0,
                        device: torch.device | str = "auto") -> FNO:
    """An FNO trained in float32 with full-precision tanh-stabilised spectral layers on ``data``
    (from :func:`~sciml_teach.experiments.fno_settings.fno_data`): the fixed model whose errors
    are measured. ``steps`` Adam steps in float32 on ``device`` (CUDA when present)."""
    device = resolve_device(device)
    model = fno_model(FNOSetting("full", "tanh", amp=False), data, width, seed)
    loss_fn, _ = loss_and_error(data, 1.0, 16, device, seed)
    train(model, loss_fn, TrainConfig(steps=steps, lr=3e-3, device=str(device), seed=seed))
    return model.eval()
