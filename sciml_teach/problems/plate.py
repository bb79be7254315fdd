"""Kirchhoff-Love plate: w_xxxx + 2 w_xxyy + w_yyyy = q / D on the unit square, simply supported.

The fourth-order case of Leng et al. 2024 (Sec. 4.3), where FuncLoop needed 77.6 GB and ZCS 3.3 GB.
The load is a sum of sine modes, q = sum_{r,s} a_rs sin(r pi x) sin(s pi y), r, s = 1..R, and
the deflection has the closed form w = sum a_rs sin(r pi x) sin(s pi y) / (D pi^4 (r^2 + s^2)^2),
which is zero with zero bending moment (w_xx = 0 or w_yy = 0) on every edge. The branch reads the
R*R coefficients. Coordinates are (x, y). Introduced in notebooks/05_zero_coordinate_shift.ipynb.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..checks import check_float, check_int


@dataclass(frozen=True)
class KirchhoffLovePlate:
    rigidity: float = 1.0   # D, the flexural rigidity
    n_modes: int = 3        # R: load modes per direction; the branch input has R*R coefficients
    n_boundary: int = 50    # points per edge of the boundary loss

    def __post_init__(self):
        check_int("KirchhoffLovePlate.n_boundary", self.n_boundary, minimum=2)
        check_int("KirchhoffLovePlate.n_modes", self.n_modes, minimum=1)
        check_float("KirchhoffLovePlate.rigidity", self.rigidity, positive=True)

    coord_dims = 2                              # points are (x, y)
    requests = ((4, 0), (2, 2), (0, 4))         # w_xxxx, w_xxyy, w_yyyy

    @property
    def n_sensors(self) -> int:
        return self.n_modes**2

    def sample_branch(self, n_functions: int, generator: torch.Generator | None = None):
        """Load coefficients a_rs ~ N(0, 1), flattened r-major: (M, R*R), float64."""
        return torch.randn(n_functions, self.n_sensors, generator=generator, dtype=torch.float64)

    def _modes(self, points: torch.Tensor):
        """sin(r pi x) sin(s pi y) for every mode and point (N, R*R), and (r^2 + s^2)^2 (R*R,)."""
        r = torch.arange(1, self.n_modes + 1, dtype=points.dtype, device=points.device)  # (R,)
        sx = torch.sin(math.pi * points[:, :1] * r)                  # (N, R)
        sy = torch.sin(math.pi * points[:, 1:] * r)                  # (N, R)
        basis = (sx[:, :, None] * sy[:, None, :]).flatten(1)          # (N, R*R)
        k4 = ((r[:, None] ** 2 + r[None, :] ** 2) ** 2).flatten()     # (R*R,)
        return basis, k4

    def load(self, branch: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        """q at every point for every function: (M, R*R), (N, 2) -> (M, N)."""
        basis, _ = self._modes(points)
        return branch.to(basis.dtype) @ basis.T                      # (M, N)

    def exact(self, branch: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        """The closed-form deflection w, (M, N)."""
        basis, k4 = self._modes(points)
        coef = branch.to(basis.dtype) / (self.rigidity * math.pi**4 * k4)  # (M, R*R)
        return coef @ basis.T                                        # (M, N)

    def residual(self, f: dict, branch: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        """w_xxxx + 2 w_xxyy + w_yyyy - q / D, (M, N)."""
        biharmonic = f[(4, 0)] + 2 * f[(2, 2)] + f[(0, 4)]
        return biharmonic - self.load(branch, points) / self.rigidity

    def boundary_loss(self, model, strategy, branch: torch.Tensor,
                      n: int | None = None) -> torch.Tensor:
        """w = 0 on every edge, w_xx = 0 on x = 0, 1 and w_yy = 0 on y = 0, 1 (all functions)."""
        n = self.n_boundary if n is None else n  # points per edge
        s = torch.linspace(0, 1, n, dtype=branch.dtype, device=branch.device)  # (n,)
        zero, one = torch.zeros_like(s), torch.ones_like(s)
        x_edges = torch.cat([torch.stack([zero, s], 1), torch.stack([one, s], 1)])  # (2n, 2)
        y_edges = torch.cat([torch.stack([s, zero], 1), torch.stack([s, one], 1)])  # (2n, 2)
        fx = strategy.fields(model, branch, x_edges, [(2, 0)])
        fy = strategy.fields(model, branch, y_edges, [(0, 2)])
        terms = [fx[(0, 0)], fx[(2, 0)], fy[(0, 0)], fy[(0, 2)]]                 # (M, 2n) each
        return sum(t.square().mean() for t in terms)
