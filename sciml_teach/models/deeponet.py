"""DeepONet in Cartesian-product form (Lu et al. 2021; Leng et al. 2024, arXiv:2311.00860, Sec. 2).

A branch MLP reads M input functions, each sampled at the same m sensors; a trunk MLP reads one
shared set of N points in D dimensions; the output is their inner product over K features plus a
bias, u[i, j] = sum_k b[i, k] t[j, k] + b0, of shape (M, N). Because every function shares the
points, the trunk runs once on N points rather than M*N times -- the structure that Zero
Coordinate Shift exploits for derivatives (notebooks/05_zero_coordinate_shift.ipynb).
Introduced in notebooks/04_deeponet_amp.ipynb.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import nn

from ..checks import check_choice, check_int, check_tensor
from .mlp import ACTIVATIONS, MLP


@dataclass(frozen=True)
class DeepONetConfig:
    n_sensors: int = 50        # m: values of each input function the branch sees
    coord_dims: int = 2        # D: dimensions of a trunk point, e.g. (x, t)
    width: int = 128           # hidden width of branch and trunk
    depth: int = 3             # hidden layers in each of branch and trunk
    n_features: int = 128      # K: features per output field shared by branch and trunk
    n_outputs: int = 1         # C: output fields (u, or e.g. (u, v, p) for a system)
    activation: str = "tanh"   # smooth, so high-order derivatives exist (ReLU's vanish)
    branch_hidden: tuple[int, ...] | None = None  # hidden widths of the branch; None: width x depth
    trunk_hidden: tuple[int, ...] | None = None   # hidden widths of the trunk; None: width x depth

    def __post_init__(self):
        for name in ["n_sensors", "coord_dims", "width", "depth", "n_features", "n_outputs"]:
            check_int(f"DeepONetConfig.{name}", getattr(self, name), minimum=1)
        check_choice("DeepONetConfig.activation", self.activation, ACTIVATIONS)
        for name in ["branch_hidden", "trunk_hidden"]:
            widths = getattr(self, name)
            if widths is not None:
                widths = tuple(widths) if isinstance(widths, (list, tuple)) else (widths,)
                if not all(isinstance(w, int) and not isinstance(w, bool) and w >= 1
                           for w in widths):
                    raise ValueError(f"DeepONetConfig.{name} must list integer widths >= 1, "
                                     f"got {widths!r}")
                object.__setattr__(self, name, widths)  # a list becomes a tuple: still hashable

    @classmethod
    def from_layers(cls, branch: Sequence[int], trunk: Sequence[int], **fields) -> DeepONetConfig:
        """DeepXDE-style layer lists: ``branch=[m, *hidden, K]``, ``trunk=[D, *hidden, K]``.

        E.g. ``DeepONetConfig.from_layers([50, 128, 128, 128], [2, 128, 128, 128])`` is
        DeepXDE's ``DeepONetCartesianProd([50, 128, 128, 128], [2, 128, 128, 128], "tanh", ...)``.
        Both lists end in the same K features; other fields (activation, ...) pass through.
        """
        branch, trunk = list(branch), list(trunk)
        if len(branch) < 2 or len(trunk) < 2:
            raise ValueError(f"layer lists need at least [inputs, features]: branch [m, ..., K], "
                             f"trunk [D, ..., K]; got branch={branch}, trunk={trunk}")
        if branch[-1] != trunk[-1]:
            raise ValueError(f"branch and trunk must end in the same number of features K, got "
                             f"branch={branch}, trunk={trunk}")
        return cls(n_sensors=branch[0], coord_dims=trunk[0], n_features=branch[-1],
                   branch_hidden=tuple(branch[1:-1]), trunk_hidden=tuple(trunk[1:-1]), **fields)


class DeepONet(nn.Module):
    """``DeepONet(DeepONetConfig(...))(branch_input (M, m), points (N, D)) -> u (M, N)``.

    With ``n_outputs = C > 1`` the output is (M, N, C). Inputs are checked, never converted: they
    must be on the model's device and, outside autocast, in its weights' dtype -- pass
    ``st.to_model(model, branch_input, points)`` (the one rule of every model in the course). The trunk's last layer is activated too,
    as in Lu et al. 2021, so its K features are smooth bounded basis functions of the point.
    """

    def __init__(self, config: DeepONetConfig = DeepONetConfig()):
        super().__init__()
        c = config
        self.config = c
        hidden = (c.width,) * c.depth
        branch_hidden = hidden if c.branch_hidden is None else c.branch_hidden
        trunk_hidden = hidden if c.trunk_hidden is None else c.trunk_hidden
        self.branch = MLP([c.n_sensors, *branch_hidden, c.n_features * c.n_outputs], c.activation)
        self.trunk = MLP([c.coord_dims, *trunk_hidden, c.n_features * c.n_outputs], c.activation,
                         final_activation=True)
        self.bias = nn.Parameter(torch.zeros(c.n_outputs))

    @classmethod
    def from_layers(cls, branch: Sequence[int], trunk: Sequence[int], **fields) -> DeepONet:
        """``DeepONet.from_layers(branch=[50, 128, 128, 128], trunk=[2, 128, 128, 128])``: see
        :meth:`DeepONetConfig.from_layers`."""
        return cls(DeepONetConfig.from_layers(branch, trunk, **fields))

    def branch_features(self, branch_input: torch.Tensor) -> torch.Tensor:
        """(M, m) -> (M, C, K)."""
        c = self.config
        check_tensor("branch_input", branch_input, 2, self.bias, f" (M, {c.n_sensors})")
        if branch_input.shape[1] != c.n_sensors:
            raise ValueError(f"branch input must have shape (M, {c.n_sensors}), "
                             f"got {tuple(branch_input.shape)}")
        return self.branch(branch_input).unflatten(-1, (c.n_outputs, c.n_features))  # (M, C, K)

    def trunk_features(self, points: torch.Tensor) -> torch.Tensor:
        """(N, D) -> (N, C, K)."""
        c = self.config
        check_tensor("points", points, 2, self.bias, f" (N, {c.coord_dims})")
        if points.shape[1] != c.coord_dims:
            raise ValueError(f"trunk points must have shape (N, {c.coord_dims}), "
                             f"got {tuple(points.shape)}")
        return self.trunk(points).unflatten(-1, (c.n_outputs, c.n_features))  # (N, C, K)

    def _squeeze(self, u: torch.Tensor) -> torch.Tensor:
        return u.squeeze(-1) if self.config.n_outputs == 1 else u

    def forward(self, branch_input: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        """u[i, j] = <branch(v_i), trunk(x_j)> + bias: (M, m), (N, D) -> (M, N) (or (M, N, C))."""
        b = self.branch_features(branch_input)                  # (M, C, K)
        t = self.trunk_features(points)                         # (N, C, K)
        u = torch.einsum("mck,nck->mnc", b, t) + self.bias      # (M, N, C)
        return self._squeeze(u)

    def combine_pairs(self, branch_features: torch.Tensor,
                      trunk_features: torch.Tensor) -> torch.Tensor:
        """Row-aligned form for materialised (function, point) pairs: (B, C, K), (B, C, K) -> (B,).

        Used by the DataVect derivative strategy, which pairs every function with every point.
        """
        u = torch.einsum("bck,bck->bc", branch_features, trunk_features) + self.bias  # (B, C)
        return self._squeeze(u)
