"""Error metrics shared by every lesson: relative L2 errors, computed in float64.

The papers report the relative L2 error ||u - u_ref|| / ||u_ref|| (Hayford et al. 2024, Sec. 4;
Tu et al. 2024, Sec. 5 average it over test samples). Computing it in float64 keeps the metric from
adding its own rounding to a float16 run's error. Introduced in notebooks/02_float16_divergence.ipynb.
"""
from __future__ import annotations

import torch


def relative_l2(prediction: torch.Tensor, reference: torch.Tensor) -> float:
    """||prediction - reference|| / ||reference|| over all values, in float64.

    The reference is moved to the prediction's device (never to the default device). A NaN
    prediction gives NaN (a diverged run has no error); a reference that is all zeros or holds
    NaN/inf is a ValueError.
    """
    p = prediction.detach().double().reshape(-1)
    r = reference.detach().to(device=p.device, dtype=torch.float64).reshape(-1)
    if p.shape != r.shape:
        raise ValueError(f"prediction has {p.numel()} values, reference {r.numel()}")
    norm = _reference_norms(r[None])
    return (torch.linalg.vector_norm(p - r) / norm[0]).item()


def _reference_norms(r: torch.Tensor) -> torch.Tensor:
    """||r_b|| per row of (B, K); a reference with NaN/inf, no values or a zero norm has no
    relative error (it would come out NaN or inf, silently): a ValueError says so."""
    if r.numel() == 0:
        raise ValueError("reference is empty: a relative error needs at least one value")
    if not torch.isfinite(r).all():
        raise ValueError("reference holds NaN/inf values: a relative error against it is undefined")
    norms = torch.linalg.vector_norm(r, dim=1)                                   # (B,)
    if (norms == 0).any():
        raise ValueError(f"reference is all zeros (sample {int((norms == 0).nonzero()[0])}): the "
                         "relative error divides by its norm; compare with an absolute error")
    return norms


def mean_relative_l2(prediction: torch.Tensor, reference: torch.Tensor) -> float:
    """The relative L2 error of each sample, averaged over the batch, in float64.

    ``prediction`` and ``reference`` are (B, ...) with the same shape: one error per sample b,
    ||p_b - r_b|| / ||r_b||, then their mean (the FNO's test error, lesson 06).
    """
    if prediction.shape != reference.shape:
        raise ValueError(f"prediction has shape {tuple(prediction.shape)}, expected the "
                         f"reference's {tuple(reference.shape)}")
    p = prediction.detach().double().flatten(1)                                   # (B, K)
    r = reference.detach().to(device=p.device, dtype=torch.float64).flatten(1)    # (B, K)
    return (torch.linalg.vector_norm(p - r, dim=1) / _reference_norms(r)).mean().item()
