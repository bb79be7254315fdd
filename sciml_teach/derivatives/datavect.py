"""DataVect: materialise all M*N (function, point) pairs (Leng et al. 2024, arXiv:2311.00860:
the baseline defined in Sec. 3.2 and compared in Sec. 4, section numbers not checked against the paper's text; the authors'
code runs it as ``deepxde_extensions/operator.py: PDEOperatorBatch``).

Every pair gets its own copy of the point as a leaf of the graph, so one reverse pass gives all
derivatives at once, but the trunk runs on M*N points instead of N and every activation of the
derivative graph is M times larger. (With a model that exposes ``branch_features``,
``trunk_features`` and ``combine_pairs``, as :class:`~sciml_teach.DeepONet` does, the branch
features are computed once per function and repeated, which only favours this baseline; any other
branch-trunk model runs as ``model(v_i, x_i)`` for every function at once under ``torch.func.vmap``.)
Introduced in notebooks/05_zero_coordinate_shift.ipynb.
"""
from __future__ import annotations

from typing import final

import torch
from torch.func import vmap

from .base import DerivativeStrategy, Request, derivative_tree


def _pairs_by_vmap(model, branch_input: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """u at every materialised pair from the model alone: (M, m), (M, N, D) -> (M*N,)."""
    def one(v, xs):                                               # (m,), (N, D) -> (N,)
        return model(v[None], xs)[0]
    return vmap(one)(branch_input, x).reshape(-1)                 # (M, N) -> (M*N,)


@final
class DataVect(DerivativeStrategy):
    """One big graph over M*N materialised coordinate leaves."""

    name = "datavect"

    def _fields(self, model, branch_input, points, requests) -> dict[Request, torch.Tensor]:
        M, N = branch_input.shape[0], points.shape[0]
        x = points.repeat(M, 1).requires_grad_(True)              # (M*N, D), function-major
        if all(hasattr(model, n) for n in ["branch_features", "trunk_features", "combine_pairs"]):
            b = model.branch_features(branch_input)               # (M, C, K)
            t = model.trunk_features(x)                           # (M*N, C, K)
            u = model.combine_pairs(b.repeat_interleave(N, dim=0), t)  # (M*N,)
        else:
            u = _pairs_by_vmap(model, branch_input, x.unflatten(0, (M, N)))  # (M*N,)
        tree = derivative_tree(u, x, requests)
        return {r: f.reshape(M, N) for r, f in tree.items()}      # (M, N) each
