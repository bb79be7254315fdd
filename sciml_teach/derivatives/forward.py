"""Forward mode: nested Jacobian-vector products along each coordinate.

None of the three papers compared it (lesson 05 does). A DeepONet has few inputs per point (D
coordinates) and many outputs (M functions), exactly the shape forward mode suits: one jvp with
tangent e_d at every point carries du/dx_d for all (M, N) pairs through a single pass, with no
graph of M copies. Higher orders nest jvps (d2/dx2 = jvp of a jvp): order k carries 2^k
primal/tangent terms through every operation, so the work grows geometrically with the order --
but so does that of k nested reverse passes, and measured against ZCS the ratio stays modest
(H100: about 2x at order 2, 3x at order 4; lesson 05's order sweep measures it on your device).
The results are ordinary differentiable tensors, so a loss built on them backpropagates to the
parameters like any other. Introduced in notebooks/05_zero_coordinate_shift.ipynb.
"""
from __future__ import annotations

from typing import final

import torch
from torch.func import jvp

from .base import DerivativeStrategy, Request


def _directional(fn, direction: torch.Tensor):
    """x -> d/ds fn(x + s * direction) at s = 0, via one jvp."""
    return lambda x: jvp(fn, (x,), (direction,))[1]


@final
class Forward(DerivativeStrategy):
    """Forward-mode AD (torch.func.jvp), nested once per derivative order."""

    name = "forward"

    def __init__(self):
        # torch.func imports torch._dynamo on its first jvp. Importing it there, inside a training
        # step, leaves import frames in reference cycles that hold that step's whole graph (found
        # by tests/test_no_cycles.py); importing it when the strategy is built keeps steps clean.
        import torch._dynamo  # noqa: F401

    def _fields(self, model, branch_input, points, requests) -> dict[Request, torch.Tensor]:
        def u_of(x):
            return model(branch_input, x)                    # (M, N)

        out = {requests[0]: u_of(points)}
        for r in requests[1:]:
            fn = u_of
            for d, order in enumerate(r):
                e_d = torch.zeros_like(points)               # (N, D)
                e_d[:, d] = 1.0                              # move every point along coordinate d
                for _ in range(order):
                    fn = _directional(fn, e_d)
            out[r] = fn(points)                              # (M, N)
        return out
