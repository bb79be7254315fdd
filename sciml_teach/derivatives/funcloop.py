"""FuncLoop: one reverse-mode derivative graph per input function (Leng et al. 2024, Sec. 2.3).

The way PI-DeepONet code was first written (Wang et al. 2021): loop over the M functions, run the
DeepONet on function i and all N points, differentiate with respect to those points. Every
function's graph -- the trunk evaluated again, and its derivative graphs -- stays alive until the
single backward of the summed loss, so memory and time grow linearly with M.
Introduced in notebooks/05_zero_coordinate_shift.ipynb.
"""
from __future__ import annotations

from typing import final

import torch

from .base import DerivativeStrategy, Request, derivative_tree


@final
class FuncLoop(DerivativeStrategy):
    """Loop over functions; each gets its own leaf copy of the points and its own graph."""

    name = "funcloop"

    def _fields(self, model, branch_input, points, requests) -> dict[Request, torch.Tensor]:
        if branch_input.shape[0] == 0:  # no functions: empty fields, as the other strategies give
            u = model(branch_input, points)                  # (0, N)
            return {r: u for r in requests}
        per_function = []
        for i in range(branch_input.shape[0]):
            x = points.clone().requires_grad_(True)          # (N, D), a fresh leaf per function
            u = model(branch_input[i:i + 1], x)[0]           # (N,)
            per_function.append(derivative_tree(u, x, requests))
        return {r: torch.stack([f[r] for f in per_function]) for r in requests}  # (M, N) each
