"""Reaction-diffusion u_t = D u_xx - k u^2 + v(x) on [0, 1]^2, zero initial and boundary values.

The operator-learning benchmark of Lu et al. 2021 (DeepONet) and Wang et al. 2021
(PI-DeepONet), also used by Hayford et al. 2024 and Leng et al. 2024 (Sec. 4.1): learn the map
from the source v (a GRF sampled at m sensors) to the solution u(x, t). Coordinates are (x, t).
The reference solution is a method-of-lines finite-difference solver: central differences in x
(second order) and classical RK4 in t. Introduced in notebooks/04_deeponet_amp.ipynb.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from ..checks import check_float, check_int
from .grf import grf_1d


def interp_1d(values: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Piecewise-linear interpolation of (M, m) values on the uniform grid of [0, 1] at x (N,)."""
    m = values.shape[1]
    s = x.clamp(0, 1) * (m - 1)                               # (N,), position in grid cells
    left = s.floor().long().clamp(max=m - 2)                  # (N,)
    w = (s - left).to(values.dtype)                           # (N,)
    return values[:, left] * (1 - w) + values[:, left + 1] * w  # (M, N)


@dataclass(frozen=True)
class ReactionDiffusion:
    diffusivity: float = 0.01   # D in u_t = D u_xx - k u^2 + v
    reaction: float = 0.01      # k
    n_sensors: int = 50         # m: the branch sees v at m uniform sensors on [0, 1]
    length_scale: float = 0.2   # GRF length scale of v (Hayford et al. 2024 use 0.2)
    n_boundary: int = 50        # points per edge (x = 0, x = 1, t = 0) of the boundary/initial loss
    source_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None  # v(x) from
    #                             (branch (M, m), x (N,)) -> (M, N); None: linear between sensors

    def __post_init__(self):
        check_int("ReactionDiffusion.n_sensors", self.n_sensors, minimum=2)
        check_int("ReactionDiffusion.n_boundary", self.n_boundary, minimum=2)
        for name in ["diffusivity", "reaction", "length_scale"]:
            check_float(f"ReactionDiffusion.{name}", getattr(self, name))
        if self.n_sensors < 2 or self.n_boundary < 2:
            raise ValueError(f"ReactionDiffusion needs n_sensors >= 2 and n_boundary >= 2, got "
                             f"n_sensors={self.n_sensors}, n_boundary={self.n_boundary}")
        if self.diffusivity < 0 or self.length_scale <= 0:
            raise ValueError(f"ReactionDiffusion needs diffusivity >= 0 and length_scale > 0, got "
                             f"{self.diffusivity}, {self.length_scale}")

    coord_dims = 2                        # points are (x, t)
    requests = ((0, 1), (2, 0))           # u_t and u_xx

    def sample_branch(self, n_functions: int, generator: torch.Generator | None = None):
        """v at the m sensors, (M, m), float64. Between sensors v is linear (see ``source``)."""
        sensors = torch.linspace(0, 1, self.n_sensors, dtype=torch.float64)
        return grf_1d(n_functions, sensors, self.length_scale, generator=generator)

    def source(self, branch: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        """v(x) of every function at every point: (M, m), (N, 2) -> (M, N)."""
        if self.source_fn is not None:
            return self.source_fn(branch, points[:, 0])
        return interp_1d(branch, points[:, 0])

    def residual(self, f: dict, branch: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        """u_t - D u_xx + k u^2 - v, (M, N); ``f`` maps requests to fields from a strategy."""
        u, u_t, u_xx = f[(0, 0)], f[(0, 1)], f[(2, 0)]
        return u_t - self.diffusivity * u_xx + self.reaction * u**2 - self.source(branch, points)

    def boundary_loss(self, model, strategy, branch: torch.Tensor,
                      n: int | None = None) -> torch.Tensor:
        """Mean square of u on x = 0, x = 1 and t = 0 at ``n`` (default ``n_boundary``) points
        per edge, all functions at once (no loop)."""
        n = self.n_boundary if n is None else n
        s = torch.linspace(0, 1, n, dtype=branch.dtype, device=branch.device)  # (n,)
        zero, one = torch.zeros_like(s), torch.ones_like(s)
        edges = torch.cat([torch.stack([zero, s], 1), torch.stack([one, s], 1),
                           torch.stack([s, zero], 1)])                     # (3n, 2)
        return model(branch, edges).square().mean()

    def grid(self, nx: int, nt: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Uniform x (nx,) and t (nt,) including both ends, float64."""
        return (torch.linspace(0, 1, nx, dtype=torch.float64),
                torch.linspace(0, 1, nt, dtype=torch.float64))

    def solve(self, source: torch.Tensor, nt: int = 101) -> torch.Tensor:
        """Reference u on the grid: source v (M, nx) on x = linspace(0, 1, nx) -> u (M, nt, nx).

        Method of lines: u_xx by central differences, RK4 steps with D dt / dx^2 <= 0.5
        (inside RK4's stability region), output at nt uniform times in [0, 1].
        """
        M, nx = source.shape
        dx = 1.0 / (nx - 1)
        substeps = max(1, int(torch.tensor(2 * self.diffusivity / dx**2 / (nt - 1)).ceil()))
        dt = 1.0 / ((nt - 1) * substeps)

        def rhs(u):                                            # (M, nx), zero at both ends
            lap = torch.zeros_like(u)
            lap[:, 1:-1] = (u[:, 2:] - 2 * u[:, 1:-1] + u[:, :-2]) / dx**2
            du = self.diffusivity * lap - self.reaction * u**2 + source
            du[:, [0, -1]] = 0.0                               # Dirichlet: u stays 0 at x = 0, 1
            return du

        u = torch.zeros_like(source, dtype=torch.float64)
        out = [u]
        for _ in range(nt - 1):
            for _ in range(substeps):
                k1 = rhs(u)
                k2 = rhs(u + dt / 2 * k1)
                k3 = rhs(u + dt / 2 * k2)
                k4 = rhs(u + dt * k3)
                u = u + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            out.append(u)
        return torch.stack(out, dim=1)                         # (M, nt, nx)

    def reference(self, branch: torch.Tensor, nx: int = 101, nt: int = 101):
        """Points (nt*nx, 2) ordered t-major and the reference u there, (M, nt*nx)."""
        x, t = self.grid(nx, nt)
        u = self.solve(self.source(branch.to(torch.float64), x[:, None]), nt)  # (M, nt, nx)
        tt, xx = torch.meshgrid(t, x, indexing="ij")                         # (nt, nx)
        points = torch.stack([xx.reshape(-1), tt.reshape(-1)], dim=1)        # (nt*nx, 2)
        return points, u.reshape(u.shape[0], -1)                             # (M, nt*nx)
