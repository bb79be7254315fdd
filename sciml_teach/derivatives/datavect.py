"""DataVect: materialise all M*N (function, point) pairs (Leng et al. 2024, Sec. 2.3).

Every pair gets its own copy of the point as a leaf of the graph, so one reverse pass gives all
derivatives at once, but the trunk runs on M*N points instead of N and every activation of the
derivative graph is M times larger. (The branch features do not depend on the points, so we
compute them once per function and repeat them, which only favours this baseline.)
Introduced in notebooks/05_zero_coordinate_shift.ipynb.
"""
from __future__ import annotations

from typing import final

import torch

from .base import DerivativeStrategy, Request, derivative_tree


@final
class DataVect(DerivativeStrategy):
    """One big graph over M*N materialised coordinate leaves."""

    name = "datavect"

    def _fields(self, model, branch_input, points, requests) -> dict[Request, torch.Tensor]:
        M, N = branch_input.shape[0], points.shape[0]
        x = points.repeat(M, 1).requires_grad_(True)              # (M*N, D), function-major
        b = model.branch_features(branch_input)                   # (M, C, K)
        t = model.trunk_features(x)                               # (M*N, C, K)
        u = model.combine_pairs(b.repeat_interleave(N, dim=0), t)  # (M*N,)
        tree = derivative_tree(u, x, requests)
        return {r: f.reshape(M, N) for r, f in tree.items()}      # (M, N) each
