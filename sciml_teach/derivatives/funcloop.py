"""FuncLoop: one forward pass, then one derivative graph per input function (Leng et al. 2024,
arXiv:2311.00860: the baseline defined in Sec. 3.2 and compared in Sec. 4; these section numbers
were not checked against the paper's text).

As the authors ran it: their code trains with DeepXDE's ``PDEOperatorCartesianProd``, which runs
the Cartesian-product DeepONet *once* on all M functions and the N shared points (the points are
the one leaf, (N, D)), then loops over the functions in Python and differentiates u[i] (N values)
with respect to those points. The trunk's forward graph is shared; each function adds its own
derivative graphs through it, and all M stay alive until the loss's backward, so memory and time
still grow linearly with M (a re-run of the trunk per function is *not* part of it: lesson 05
measures that variant once, in plain torch, and says why the library does not keep it).
Introduced in notebooks/05_zero_coordinate_shift.ipynb.
"""
from __future__ import annotations

from typing import final

import torch

from .base import DerivativeStrategy, Request, derivative_tree


@final
class FuncLoop(DerivativeStrategy):
    """One Cartesian-product forward pass; a Python loop of derivative graphs, one per function."""

    name = "funcloop"

    def _fields(self, model, branch_input, points, requests) -> dict[Request, torch.Tensor]:
        x = points.clone().requires_grad_(True)              # (N, D), the one leaf
        u = model(branch_input, x)                           # (M, N): trunk runs once
        if u.shape[0] == 0:  # no functions: empty fields, as the other strategies give
            return {r: u for r in requests}
        # u[i] depends on x only through the shared trunk graph, and point j's value only on x_j,
        # so the gradient of u[i].sum() is function i's pointwise derivative.
        per_function = [derivative_tree(u[i], x, requests) for i in range(u.shape[0])]
        return {r: torch.stack([f[r] for f in per_function]) for r in requests}  # (M, N) each
