"""Zero Coordinate Shift (Leng et al. 2024, arXiv:2311.00860, Sec. 3).

Shift all N shared points by one zero scalar per dimension, x + z_x, t + z_t. Because a point's
output depends on the shift exactly as on its own coordinate, du_ij/dx = du_ij/dz_x. Form the
scalar omega = sum_ij a_ij u_ij with dummy weights a = 1 that require grad; differentiate omega
with respect to the z's as often as the order needs -- every intermediate is one scalar, so the
graph is the size of one trunk graph, not M of them -- and a last gradient with respect to a
returns the whole (M, N) field, since d/da_ij (sum a d^r u) = d^r u_ij. Linear PDE terms can be
added as scalars first so that one d/da serves them all (:meth:`ZCS.combination`).
Introduced in notebooks/05_zero_coordinate_shift.ipynb.
"""
from __future__ import annotations

from typing import Mapping, final

import torch

from .base import (DerivativeStrategy, Request, check_inputs, derivative_tree, normalise_requests,
                   requests_where)


def _grad_to_dummy(scalar, a: torch.Tensor) -> torch.Tensor:
    """d scalar / d a, (M, N). A derivative that is identically zero (d2/dx2 of a ReLU network)
    leaves a scalar that never touched ``a``: its field is zeros, as the other strategies return."""
    if not isinstance(scalar, torch.Tensor) or not scalar.requires_grad:
        return torch.zeros_like(a)
    return torch.autograd.grad(scalar, a, create_graph=True, materialize_grads=True)[0]


@final
class ZCS(DerivativeStrategy):
    """One zero scalar per dimension, scalar derivatives, one final d/d(dummy)."""

    name = "zcs"

    def _scalars(self, model, branch_input, points, requests):
        z = torch.zeros(points.shape[1], dtype=points.dtype, device=points.device,
                        requires_grad=True)                  # (D,), the zero shifts
        u = model(branch_input, points + z)                  # (M, N)
        a = torch.ones_like(u).requires_grad_(True)          # (M, N), dummy weights = 1
        omega = (a * u).sum()                                # scalar
        return u, a, derivative_tree(omega, z, requests)     # {request: scalar}

    def _fields(self, model, branch_input, points, requests) -> dict[Request, torch.Tensor]:
        u, a, scalars = self._scalars(model, branch_input, points, requests)
        out = {requests[0]: u}                               # requests[0] is the all-zero one
        for r in requests[1:]:
            out[r] = _grad_to_dummy(scalars[r], a)           # (M, N)
        return out

    def combination(self, model, branch_input, points, coefficients: Mapping[Request, float]):
        """sum_r c_r d^r u with one final d/da: the scalars are combined first (Sec. 3.3)."""
        return self.field_and_combination(model, branch_input, points, coefficients)[1]

    def field_and_combination(self, model, branch_input, points,
                              coefficients: Mapping[Request, float]):
        """``(u, sum_r c_r d^r u)``, both (M, N), from one forward pass: a residual needs u beside
        its linear part (e.g. the k u^2 of reaction-diffusion), and running the model again for
        it would double the graph."""
        check_inputs(model, branch_input, points)
        requests = normalise_requests(coefficients.keys(), points.shape[1],
                                      requests_where(model, points))
        u, a, scalars = self._scalars(model, branch_input, points.detach(), requests)
        total = sum(c * scalars[tuple(r)] for r, c in coefficients.items())  # scalar
        return u, _grad_to_dummy(total, a)                                   # (M, N), (M, N)
