"""DeepONets with several output fields, and the output transform that builds boundary
conditions into a field (Leng et al. 2024, arXiv:2311.00860, Sec. 4: Stokes flow, (u, v, p)).

DeepXDE offers several multi-output forms; the ZCS authors' Stokes code uses "independent": one
whole DeepONet (branch and trunk) per output field, sharing nothing. We use the same form, for a
reason beyond fidelity: the fields share no parameters, so the derivative graph of one field
never touches another's network, and a derivative strategy can be called once per field through
the same request interface as a scalar DeepONet. That costs no more than a joint pass: a field
*sliced* from a joint (M, N, C) output sends zero gradients back through every other field's
network, which ``create_graph=True`` keeps (lesson 05 measures about 2.8x the saved bytes for
Stokes). (With a shared trunk, :class:`~sciml_teach.DeepONet` with ``n_outputs > 1``, a per-field
call would run the shared trunk once per field.) :meth:`IndependentDeepONet.field` is the per-field view: a
branch-trunk module ``(M, m), (N, D) -> (M, N)`` that every strategy accepts.
Introduced in notebooks/05_zero_coordinate_shift.ipynb (Stokes flow).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

import torch
from torch import nn

from ..checks import check_tensor
from .deeponet import DeepONet, DeepONetConfig


class IndependentDeepONet(nn.Module):
    """``IndependentDeepONet(DeepONetConfig(n_outputs=C, ...))(v (M, m), x (N, D)) -> (M, N, C)``.

    C single-output DeepONets built from the same config (DeepXDE's
    ``multi_output_strategy="independent"``); field k is ``self.field(k)``.
    """

    def __init__(self, config: DeepONetConfig = DeepONetConfig(n_outputs=3)):
        super().__init__()
        self.config = config
        one = replace(config, n_outputs=1)
        self.nets = nn.ModuleList(DeepONet(one) for _ in range(config.n_outputs))

    @property
    def n_outputs(self) -> int:
        return len(self.nets)

    def field(self, k: int) -> DeepONet:
        """Field k's own DeepONet, (M, m), (N, D) -> (M, N): hand it to any derivative strategy."""
        if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < self.n_outputs:
            raise ValueError(f"field index {k!r} does not exist: this IndependentDeepONet has "
                             f"{self.n_outputs} output fields, indices 0 to {self.n_outputs - 1}")
        return self.nets[k]

    def forward(self, branch_input: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        """Every field at every (function, point) pair: (M, m), (N, D) -> (M, N, C)."""
        return torch.stack([net(branch_input, points) for net in self.nets], dim=-1)


class OutputTransform(nn.Module):
    """``OutputTransform(net, factor)(v, x) = net(v, x) * factor(x)``: (M, m), (N, D) -> (M, N).

    DeepXDE's ``apply_output_transform`` for one field: ``factor`` (N, D) -> (N,) vanishes where
    the field must be zero (e.g. x (1 - x) y: zero on the walls x = 0, x = 1 and y = 0), so the
    condition holds exactly and needs no loss term. The factor is part of the module, so a
    derivative strategy differentiates through it -- ZCS shifts the points it sees, too.
    """

    def __init__(self, net: nn.Module, factor: Callable[[torch.Tensor], torch.Tensor]):
        super().__init__()
        self.net = net
        self.factor = factor

    def forward(self, branch_input: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        check_tensor("points", points, 2, None, " (N, D)")
        return self.net(branch_input, points) * self.factor(points)      # (M, N) * (N,)
