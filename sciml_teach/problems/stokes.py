"""Stokes flow in a lid-driven cavity: the only PDE *system* of Leng et al. 2024 (arXiv:2311.00860,
Sec. 4; the authors' stokes/main.py), three coupled fields (u, v, p) on the unit square:

    mu (u_xx + u_yy) - p_x = 0,   mu (v_xx + v_yy) - p_y = 0,   u_x + v_y = 0,   mu = 0.01,

no-slip on the left, right and bottom walls, and a lid that moves along the top, u(x, 1) =
(1 + g(x)/10) x (1 - x), v(x, 1) = 0. The input function g is a GRF (length scale 0.2) that the
branch sees at 101 points. As in the authors' code, every condition but the lid's u is built into
the output (an *output transform*): u = N_u x (1 - x) y, v = N_v x (1 - x) y (1 - y), p = N_p y,
so u vanishes on three walls, v on all four, and p on the bottom (p's gauge). The lid's u is a
loss term. Note that p = 0 on the *whole* bottom wall is more than a gauge: our solver's pressure
varies along that wall by about 2.5e-3 (small next to the 0.1 it reaches near the lid; see
tests/test_stokes.py), so the transformed model cannot satisfy all three equations exactly. The
authors compare u only with their reference; we compare u and v, never p. Between sensors g is linear here (DeepXDE interpolates a 1000-point GRF cubically).
Introduced in notebooks/05_zero_coordinate_shift.ipynb (Stokes flow).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..checks import check_float, check_int
from ..derivatives import get_strategy
from ..models.multi_output import IndependentDeepONet, OutputTransform
from .grf import grf_1d
from .reaction_diffusion import interp_1d
from .stokes_solver import solve_stokes

FIELDS = ("u", "v", "p")
REQUESTS = {"u": ((1, 0), (2, 0), (0, 2)),   # u_x, u_xx, u_yy
            "v": ((0, 1), (2, 0), (0, 2)),   # v_y, v_xx, v_yy
            "p": ((1, 0), (0, 1))}           # p_x, p_y


def boundary_factor(name: str, points: torch.Tensor) -> torch.Tensor:
    """The authors' output transform of field ``name``: (N, 2) -> (N,), zero where it is fixed."""
    x, y = points[:, 0], points[:, 1]
    if name == "u":
        return x * (1 - x) * y                      # u = 0 on x = 0, x = 1, y = 0
    if name == "v":
        return x * (1 - x) * y * (1 - y)            # v = 0 on every wall
    if name == "p":
        return y                                    # p = 0 on y = 0
    raise ValueError(f"unknown Stokes field {name!r}; the fields are {', '.join(FIELDS)}")


class _Factor:
    """``boundary_factor`` of one field, as a callable that deep copies and pickles."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, points: torch.Tensor) -> torch.Tensor:
        return boundary_factor(self.name, points)


@dataclass(frozen=True)
class StokesCavity:
    viscosity: float = 0.01         # mu
    n_sensors: int = 101            # m: g is seen at m uniform points of [0, 1] (authors: 101)
    length_scale: float = 0.2       # GRF length scale of g
    perturbation: float = 0.1       # the lid is (1 + perturbation * g(x)) x (1 - x)
    n_boundary: int = 101           # lid points of the boundary loss, uniform (the authors draw
    #                                 4000 on the whole boundary and keep those on the lid)

    def __post_init__(self):
        check_float("StokesCavity.viscosity", self.viscosity, positive=True)
        check_int("StokesCavity.n_sensors", self.n_sensors, minimum=2)
        check_float("StokesCavity.length_scale", self.length_scale, positive=True)
        check_float("StokesCavity.perturbation", self.perturbation)
        check_int("StokesCavity.n_boundary", self.n_boundary, minimum=2)

    coord_dims = 2                  # points are (x, y)
    field_names = FIELDS
    requests = REQUESTS

    def sample_branch(self, n_functions: int, generator: torch.Generator | None = None):
        """g at the m sensors, (M, m), float64."""
        sensors = torch.linspace(0, 1, self.n_sensors, dtype=torch.float64)
        return grf_1d(n_functions, sensors, self.length_scale, generator=generator)

    def lid(self, branch: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """u on the lid, (1 + g(x)/10) x (1 - x): (M, m), (N,) -> (M, N)."""
        return (1 + self.perturbation * interp_1d(branch, x)) * x * (1 - x)

    def field_model(self, model: IndependentDeepONet, name: str) -> OutputTransform:
        """Field ``name`` of a 3-output model with its boundary factor: a branch-trunk module
        (M, m), (N, 2) -> (M, N) that any derivative strategy differentiates."""
        if name not in FIELDS:
            raise ValueError(f"unknown Stokes field {name!r}; the fields are {', '.join(FIELDS)}")
        n = getattr(model, "n_outputs", None)
        if n != len(FIELDS):
            raise ValueError(f"Stokes flow needs a model with 3 output fields (u, v, p), e.g. "
                             f"st.IndependentDeepONet(DeepONetConfig(n_outputs=3, ...)); got "
                             f"{type(model).__name__} with n_outputs={n}")
        return OutputTransform(model.field(FIELDS.index(name)), _Factor(name))

    def fields(self, model, strategy, branch: torch.Tensor, points: torch.Tensor) -> dict:
        """{"u": {request: (M, N)}, "v": ..., "p": ...}: one strategy call per field."""
        strategy = get_strategy(strategy)
        return {name: strategy.fields(self.field_model(model, name), branch, points,
                                      REQUESTS[name]) for name in FIELDS}

    def residual(self, f: dict, branch: torch.Tensor, points: torch.Tensor):
        """The three equations' residuals, (M, N) each, from :meth:`fields`."""
        mu, u, v, p = self.viscosity, f["u"], f["v"], f["p"]
        momentum_x = mu * (u[(2, 0)] + u[(0, 2)]) - p[(1, 0)]
        momentum_y = mu * (v[(2, 0)] + v[(0, 2)]) - p[(0, 1)]
        mass = u[(1, 0)] + v[(0, 1)]
        return momentum_x, momentum_y, mass

    def boundary_loss(self, model, strategy, branch: torch.Tensor,
                      n: int | None = None) -> torch.Tensor:
        """Mean square of u - lid at ``n`` (default ``n_boundary``) points of y = 1."""
        n = self.n_boundary if n is None else n
        s = torch.linspace(0, 1, n, dtype=branch.dtype, device=branch.device)  # (n,)
        top = torch.stack([s, torch.ones_like(s)], 1)                          # (n, 2)
        u = self.field_model(model, "u")(branch, top)                          # (M, n)
        return (u - self.lid(branch, s)).square().mean()

    def reference(self, branch: torch.Tensor, n: int = 64):
        """Our solver's u, v, p at the n x n cell centres for each function: points (n*n, 2)
        and {"u", "v", "p"}: (M, n*n) float64 each (p with mean zero, not p = 0 on y = 0)."""
        if not isinstance(branch, torch.Tensor) or branch.ndim != 2 or len(branch) == 0 \
                or branch.shape[1] != self.n_sensors:
            raise ValueError(f"branch must be a tensor of shape (M, {self.n_sensors}) with M >= 1 "
                             f"(g at the sensors), got {getattr(branch, 'shape', type(branch))}")
        g = branch.detach().to("cpu", torch.float64)
        out = {name: [] for name in FIELDS}
        for gi in g:
            def walls(x, y, gi=gi):
                lid = self.lid(gi[None], torch.from_numpy(x))[0].numpy()
                return np.where(y == 1.0, lid, 0.0), np.zeros_like(x)
            grid = solve_stokes(n, self.viscosity, walls)
            for name, values in zip(FIELDS, grid.at_centres()):
                out[name].append(torch.from_numpy(values.reshape(-1)))
        centres = torch.from_numpy(grid.centres().reshape(-1, 2))
        return centres, {name: torch.stack(v) for name, v in out.items()}
