"""The one interface every derivative strategy implements.

A physics-informed DeepONet loss needs derivatives of u (M, N) with respect to the trunk
coordinates at every (function, point) pair. A *request* reads like the math: one order per
coordinate, so with points (x, t), ``(0, 1)`` is du/dt, ``(2, 0)`` is d2u/dx2 and, with (x, y),
``(2, 2)`` is d4u/dx2dy2. Every strategy returns the same fields; they differ only in how much
memory and time the derivative graph costs (Leng et al. 2024, arXiv:2311.00860, Sec. 3).
Introduced in notebooks/05_zero_coordinate_shift.ipynb.
"""
from __future__ import annotations

import inspect
import numbers
from abc import ABC, abstractmethod
from typing import Iterable, Mapping

import torch

from ..checks import check_tensor

Request = tuple[int, ...]  # derivative order per coordinate, e.g. (2, 0) = d2/dx2


def normalise_requests(requests: Iterable[Iterable[int]], dims: int,
                       where: str = "") -> list[Request]:
    """Check each request has one non-negative integer order per coordinate; drop duplicates,
    keep order. ``(1.7, 0)`` or ``(True, 0)`` is refused, never truncated to ``(1, 0)``.
    ``where`` says in the message where ``dims`` came from (the points and the model)."""
    out: list[Request] = []
    example = (2,) + (0,) * (dims - 1)
    for raw in requests:
        try:
            orders = tuple(raw)
        except TypeError:
            orders = None
        if orders is None or len(orders) != dims or not all(
                isinstance(k, numbers.Integral) and not isinstance(k, bool) and k >= 0
                for k in orders):
            raise ValueError(f"a derivative request needs {dims} non-negative integer orders (one "
                             f"per coordinate{where}), e.g. {example}; got {raw!r}")
        r = tuple(int(k) for k in orders)
        if r not in out:
            out.append(r)
    return out


def parent(request: Request) -> tuple[Request, int]:
    """The request one derivative lower and the coordinate to differentiate it along.

    The last coordinate with a non-zero order goes first, so (2, 2) -> (2, 1) -> (2, 0) -> (1, 0):
    requests share their lower derivatives (u_x serves u_xx, u_xx serves u_xxyy).
    """
    d = max(i for i, k in enumerate(request) if k > 0)
    return request[:d] + (request[d] - 1,) + request[d + 1:], d


def derivative_tree(root: torch.Tensor, leaf: torch.Tensor,
                    requests: Iterable[Request]) -> dict[Request, torch.Tensor]:
    """Repeated reverse-mode derivatives of ``root`` w.r.t. the coordinates held in ``leaf``.

    ``leaf`` has the coordinate axis last, (..., D); ``root`` must depend on each row of ``leaf``
    separately (a point's value never depends on another point), so the gradient of ``root.sum()``
    is the pointwise derivative. Each gradient keeps its graph (``create_graph=True``), so the
    loss's parameter gradient flows through the derivatives. One backward serves all children of
    a node: the gradient gives every coordinate's derivative at once.
    """
    dims = leaf.shape[-1]
    requests = list(requests)
    needed: set[Request] = set()                  # every request and the chain of its parents
    for r in requests:
        while any(r) and r not in needed:
            needed.add(r)
            r = parent(r)[0]
    # A loop in total order, not a recursive closure: a nested function that refers to itself is
    # a reference cycle, and the step's whole derivative graph would wait for the cyclic GC.
    values: dict[Request, torch.Tensor] = {(0,) * dims: root}
    grads: dict[Request, torch.Tensor] = {}
    for r in sorted(needed, key=lambda r: (sum(r), r)):  # a parent is one order lower: done first
        p, d = parent(r)
        if p not in grads and not values[p].requires_grad:  # identically zero already (a
            grads[p] = torch.zeros_like(leaf)                 # ReLU net's d2/dx2): so is the rest
        if p not in grads:
            grads[p] = torch.autograd.grad(values[p].sum(), leaf, create_graph=True,
                                           materialize_grads=True)[0]  # leaf's shape
        values[r] = grads[p][..., d]
    return {r: values[r] for r in requests}


def graph_nodes(t: torch.Tensor) -> int:
    """How many autograd nodes the backward pass from ``t`` would visit (lesson 05's graph size)."""
    seen, stack = set(), [t.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(next_node for next_node, _ in node.next_functions)
    return len(seen)


def check_inputs(model: torch.nn.Module, branch_input, points) -> None:
    """The model's kind, and the rank, device, dtype and values of a strategy's inputs against
    it (see ``fields``)."""
    check_branch_trunk(model)
    weight = next(model.parameters(), None)
    check_tensor("branch_input", branch_input, 2, weight, " (M, m): M functions at m sensors")
    check_tensor("points", points, 2, weight, " (N, D)")
    dims = getattr(getattr(model, "config", None), "coord_dims", None)  # a DeepONet knows its D
    if isinstance(dims, int) and points.shape[1] != dims:
        raise ValueError(f"points must have D = {dims} coordinates, (N, {dims}), for this "
                         f"{type(model).__name__} (coord_dims={dims}); got {tuple(points.shape)}")
    check_finite(branch_input, points)


def check_branch_trunk(model) -> None:
    """``model`` takes two inputs, ``model(v, x)``: a one-input network (a PINN's MLP) would
    reach the strategy as torch's "forward() takes 2 positional arguments but 3 were given"."""
    if not isinstance(model, torch.nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    P = inspect.Parameter
    kinds = [p.kind for p in inspect.signature(model.forward).parameters.values()]
    positional = sum(k in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD) for k in kinds)
    if positional < 2 and P.VAR_POSITIONAL not in kinds:
        raise ValueError(f"model must be a branch-trunk model for a derivative strategy, "
                         f"model(v (M, m), x (N, D)) -> u (M, N), such as st.DeepONet; "
                         f"{type(model).__name__}.forward takes {positional} input(s). For a PINN "
                         f"(one network u(x)), differentiate u with torch.autograd.grad, as "
                         f"st.Poisson1D does (lesson 02)")


def check_finite(branch_input: torch.Tensor, points: torch.Tensor) -> None:
    """One rule for every strategy: inf/NaN inputs are refused. Left alone they do not agree --
    forward mode turns an infinite coordinate into NaN derivatives where reverse mode gives finite
    ones (tanh' = 0 there), and NaN fields would surface only as a NaN loss. One fused reduction
    and one read of a bool per call: free on a CPU; on a GPU one host sync before the model runs,
    skipped while a CUDA graph is being captured (its warm-up steps ran the check) and on the
    ``meta`` device (shapes without values, tests/test_device_leaks.py)."""
    if points.is_meta or (points.is_cuda and torch.cuda.is_current_stream_capturing()):
        return
    finite = torch.isfinite(branch_input).all() & torch.isfinite(points).all()
    if bool(finite):
        return
    for name, x in (("branch_input", branch_input), ("points", points)):
        rows = (~torch.isfinite(x)).any(dim=1).nonzero().flatten().tolist()
        if rows:
            raise ValueError(f"{name} has inf/NaN values (in rows {rows[:5]}"
                             f"{', ...' if len(rows) > 5 else ''} of {tuple(x.shape)}): every "
                             f"derivative strategy refuses them; check the data you sampled")


def requests_where(model: torch.nn.Module, points: torch.Tensor) -> str:
    """Where a request's length comes from, for its error message: the points and the model."""
    return (f": points {tuple(points.shape)} have D = {points.shape[1]} coordinates for "
            f"{type(model).__name__}")


class DerivativeStrategy(ABC):
    """Abstract: ``fields(model, branch_input (M, m), points (N, D), requests)`` returns
    ``{request: (M, N)}``.

    The returned dict always holds u itself under the all-zero request. Subclasses are final and
    implement ``_fields`` only.
    """

    name: str = ""

    def fields(self, model: torch.nn.Module, branch_input: torch.Tensor, points: torch.Tensor,
               requests: Iterable[Iterable[int]]) -> dict[Request, torch.Tensor]:
        """Any branch-trunk model works: ``model(v (M, m), x (N, D)) -> u (M, N)``, one field in
        Cartesian-product form (every function at every point). Shapes are checked here, and
        inputs are never converted: both must be on the model's device and, outside autocast, in
        its weights' dtype (pass ``st.to_model(model, branch_input, points)``), and hold no
        inf/NaN (refused alike by every strategy). M = 0 or N = 0 gives empty (M, N) fields; a
        derivative that is identically zero gives zeros."""
        check_inputs(model, branch_input, points)
        if getattr(getattr(model, "config", None), "n_outputs", 1) != 1:
            raise ValueError("derivative strategies need a single-output model: build the DeepONet "
                             "with DeepONetConfig(n_outputs=1), or pass one field of a multi-output "
                             "model, model.field(k)")
        dims = points.shape[1]
        wanted = normalise_requests([(0,) * dims, *requests], dims, requests_where(model, points))
        out = self._fields(model, branch_input, points.detach(), wanted)
        expected = (branch_input.shape[0], points.shape[0])
        if tuple(out[wanted[0]].shape) != expected:
            raise ValueError(f"the model must return u of shape (M, N) = {expected} for "
                             f"model(branch_input (M, m), points (N, D)); it returned "
                             f"{tuple(out[wanted[0]].shape)}")
        return out

    def combination(self, model: torch.nn.Module, branch_input: torch.Tensor,
                    points: torch.Tensor, coefficients: Mapping[Request, float]) -> torch.Tensor:
        """sum_r c_r * d^r u, shape (M, N): the linear part of a PDE operator in one field."""
        f = self.fields(model, branch_input, points, coefficients.keys())
        return sum(c * f[tuple(r)] for r, c in coefficients.items())

    @abstractmethod
    def _fields(self, model: torch.nn.Module, branch_input: torch.Tensor, points: torch.Tensor,
                requests: list[Request]) -> dict[Request, torch.Tensor]:
        """Return {request: (M, N)} for every request (the all-zero one included)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

