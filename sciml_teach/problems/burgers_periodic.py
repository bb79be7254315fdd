"""Viscous Burgers u_t + u u_x = nu u_xx, periodic in x on [0, 1), t in [0, 1], GRF initial data.

The PI-DeepONet benchmark of Wang et al. 2021 and Leng et al. 2024 (Sec. 4.2): learn the map from
the initial condition u0 (sampled at m sensors) to u(x, t). Coordinates are (x, t). The reference
solver (shared with the FNO's Burgers data) is Fourier pseudo-spectral in x (2/3-rule dealiasing)
with an integrating factor for the diffusion and classical RK4 for the advection: spectral in
space, fourth order in time.
Introduced in notebooks/05_zero_coordinate_shift.ipynb.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..checks import check_float, check_int
from .burgers_trajectories import solve_burgers
from .grf import grf_periodic


@dataclass(frozen=True)
class BurgersPeriodic:
    viscosity: float = 0.01     # nu
    n_sensors: int = 128        # m: u0 is sampled on the uniform periodic grid of m points
    length_scale: float = 0.2   # GRF length scale of u0
    amplitude: float = 0.5      # pointwise standard deviation of u0
    n_boundary: int = 50        # points per edge of the boundary loss

    def __post_init__(self):
        check_int("BurgersPeriodic.n_boundary", self.n_boundary, minimum=2)
        check_int("BurgersPeriodic.n_sensors", self.n_sensors, minimum=2)
        check_float("BurgersPeriodic.viscosity", self.viscosity, minimum=0.0)
        check_float("BurgersPeriodic.length_scale", self.length_scale, positive=True)
        check_float("BurgersPeriodic.amplitude", self.amplitude, minimum=0.0)

    coord_dims = 2                              # points are (x, t)
    requests = ((1, 0), (2, 0), (0, 1))         # u_x, u_xx, u_t

    def sample_branch(self, n_functions: int, generator: torch.Generator | None = None):
        """u0 on x = j/m, j = 0..m-1, shape (M, m), float64."""
        return grf_periodic(n_functions, self.n_sensors, 1, self.length_scale,
                            self.amplitude**2, generator)

    def residual(self, f: dict, branch: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        """u_t + u u_x - nu u_xx, (M, N)."""
        u, u_x, u_xx, u_t = f[(0, 0)], f[(1, 0)], f[(2, 0)], f[(0, 1)]
        return u_t + u * u_x - self.viscosity * u_xx

    def boundary_loss(self, model, strategy, branch: torch.Tensor,
                      n: int | None = None) -> torch.Tensor:
        """Initial values at the sensors plus periodicity of u and u_x, all functions at once."""
        n = self.n_boundary if n is None else n  # points per edge
        m = self.n_sensors
        x0 = torch.arange(m, dtype=branch.dtype, device=branch.device) / m   # (m,)
        initial = model(branch, torch.stack([x0, torch.zeros_like(x0)], 1)) - branch  # (M, m)
        t = torch.linspace(0, 1, n, dtype=branch.dtype, device=branch.device)          # (n,)
        left = strategy.fields(model, branch, torch.stack([torch.zeros_like(t), t], 1), [(1, 0)])
        right = strategy.fields(model, branch, torch.stack([torch.ones_like(t), t], 1), [(1, 0)])
        jumps = [(right[r] - left[r]).square().mean() for r in [(0, 0), (1, 0)]]     # (M, n) each
        return initial.square().mean() + sum(jumps)

    def solve(self, u0: torch.Tensor, nt: int = 101, n_grid: int = 256, dt: float = 1e-3):
        """Reference u (M, nt, n_grid) on x = j/n_grid and nt uniform times in [0, 1].

        u0 (M, m) is interpolated spectrally onto the solver grid (n_grid >= m), then stepped from
        one output time to the next by the integrating-factor RK4 solver shared with the FNO data
        (:func:`~sciml_teach.problems.burgers_trajectories.solve_burgers`).
        """
        M, m = u0.shape
        if n_grid < m:
            raise ValueError(f"n_grid must be >= the {m} sensors, got {n_grid}")
        u_hat = torch.zeros(M, n_grid // 2 + 1, dtype=torch.complex128, device=u0.device)
        u_hat[:, : m // 2 + 1] = torch.fft.rfft(u0.to(torch.float64)) * (n_grid / m)  # (M, K)
        out = [torch.fft.irfft(u_hat, n=n_grid)]                       # (M, n_grid) at t = 0
        for _ in range(nt - 1):
            out.append(solve_burgers(out[-1], self.viscosity, 1.0 / (nt - 1), dt))
        return torch.stack(out, dim=1)                                # (M, nt, n_grid)

    def reference(self, branch: torch.Tensor, nt: int = 101, n_grid: int = 256, dt: float = 1e-3):
        """Points (nt*n_grid, 2) ordered t-major and the reference u there, (M, nt*n_grid)."""
        u = self.solve(branch, nt, n_grid, dt)                       # (M, nt, n_grid)
        x = torch.arange(n_grid, dtype=torch.float64) / n_grid
        t = torch.linspace(0, 1, nt, dtype=torch.float64)
        tt, xx = torch.meshgrid(t, x, indexing="ij")                 # (nt, n_grid)
        points = torch.stack([xx.reshape(-1), tt.reshape(-1)], dim=1)
        return points, u.reshape(u.shape[0], -1)                     # (M, nt*n_grid)
