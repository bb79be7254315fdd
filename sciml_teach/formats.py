"""Floating-point formats with your own eyes: range, precision, and what rounds away.

The facts behind Hayford et al. 2024, Sec. 2-3 (arXiv:2401.16645): float16 tops out at 65504,
its smallest normal is 6.1e-5, its smallest subnormal 6.0e-8, and ulp(1.0) = 9.8e-4; bfloat16
keeps float32's range but ulp(1.0) = 7.8e-3. So Adam's eps = 1e-8 is 0 in float16, and an update
smaller than half an ulp of the weight is lost: w + lr*g == w. Introduced in
notebooks/01_floating_point.ipynb, which first reads these numbers off the bits in plain torch
(sign, biased exponent, implicit leading 1, subnormals) and checks them against torch.finfo; the
rest of the course calls this module.
"""
from __future__ import annotations

import math

import torch

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
_INT_VIEW = {torch.float32: torch.int32, torch.float16: torch.int16, torch.bfloat16: torch.int16}


def get_dtype(name: str | torch.dtype) -> torch.dtype:
    if isinstance(name, torch.dtype):
        return name
    if name not in DTYPES:
        raise ValueError(f"unknown format {name!r}; valid names: {', '.join(DTYPES)}")
    return DTYPES[name]


def mantissa_bits(dtype: torch.dtype) -> int:
    """Stored fraction bits: 23 for float32, 10 for float16, 7 for bfloat16."""
    return {torch.float32: 23, torch.float16: 10, torch.bfloat16: 7, torch.float64: 52}[dtype]


def format_facts(name: str | torch.dtype) -> dict:
    """Range and precision of one format, as plain numbers."""
    dtype = get_dtype(name)
    info = torch.finfo(dtype)
    p = mantissa_bits(dtype)
    return {"format": str(dtype).replace("torch.", ""), "bits": info.bits,
            "exponent_bits": info.bits - 1 - p, "mantissa_bits": p,
            "max": float(info.max), "smallest_normal": float(info.smallest_normal),
            "smallest_subnormal": float(info.smallest_normal) * 2.0**-p,
            "ulp_of_1": float(info.eps), "decimal_digits": round((p + 1) * math.log10(2), 1)}


def round_to(x: float, name: str | torch.dtype) -> float:
    """The value ``x`` becomes when stored in the format (inf past the range, 0 below it)."""
    return torch.tensor(x, dtype=torch.float64).to(get_dtype(name)).item()


def ulp(x: float, name: str | torch.dtype) -> float:
    """Unit in the last place: the gap between neighbouring numbers of the format near ``x``.

    For |x| in [2^e, 2^(e+1)) it is 2^(e - mantissa bits); below the smallest normal the gap stays
    at the subnormal spacing. Non-finite values answer as Python's ``math.ulp`` does: NaN for NaN,
    inf for +-inf and for an ``x`` beyond the format's range (it is stored as inf).
    """
    dtype = get_dtype(name)
    tiny = torch.finfo(dtype).smallest_normal
    stored = round_to(x, dtype)
    if not math.isfinite(stored):
        return abs(stored)  # nan -> nan, +-inf -> inf (math.ulp's convention)
    exponent = math.floor(math.log2(max(abs(stored), tiny)))
    return 2.0 ** (exponent - mantissa_bits(dtype))


def bit_fields(x: float, name: str | torch.dtype) -> tuple[str, str, str]:
    """(sign, exponent, mantissa) bit strings of ``x`` stored in the format."""
    dtype = get_dtype(name)
    bits = torch.finfo(dtype).bits
    raw = torch.tensor(round_to(x, dtype), dtype=dtype).view(_INT_VIEW[dtype]).item()
    word = format(raw & (2**bits - 1), f"0{bits}b")
    p = mantissa_bits(dtype)
    return word[0], word[1:bits - p], word[bits - p:]


def update_survives(w: float, update: float, name: str | torch.dtype) -> bool:
    """False when ``w + update`` rounds back to ``w`` in the format (the update is lost)."""
    dtype = get_dtype(name)
    w_t = torch.tensor(w, dtype=dtype)
    return bool((w_t + torch.tensor(update, dtype=dtype)) != w_t)


def smallest_surviving_update(w: float, name: str | torch.dtype) -> float:
    """Half an ulp of ``w``: the threshold. Updates *larger* than this survive ``w + u != w``; this
    one itself is a tie that rounds to the even neighbour, which is ``w`` itself, so it is lost."""
    return ulp(w, name) / 2


def describe(x: float) -> list[dict]:
    """``x`` in every format: stored value, relative rounding error, bit fields (lesson 01 widget)."""
    rows = []
    for name in DTYPES:
        stored = round_to(x, name)
        rel = abs(stored - x) / abs(x) if x != 0 and math.isfinite(stored) else float("nan")
        sign, exponent, mantissa = bit_fields(x, name)
        rows.append({"format": name, "stored": stored, "relative_error": rel,
                     "sign": sign, "exponent": exponent, "mantissa": mantissa})
    return rows
