"""1-D viscous Burgers u_t + u u_x = nu u_xx on the periodic [0, 1): pseudo-spectral trajectories.

The 1-D FNO benchmark of Li et al. 2021 (arXiv:2010.08895, Sec. 5.1): learn the map from the
initial condition u(., 0), a periodic Gaussian random field, to u(., T). Our solver is Fourier
pseudo-spectral in space (2/3-rule de-aliasing) with the integrating-factor fourth-order
Runge-Kutta scheme in time (Trefethen, "Spectral Methods in MATLAB", 2000, program 27): the
stiff diffusion is integrated exactly, the nonlinearity with RK4. Many initial conditions are
stepped at once as a batch. Introduced in notebooks/06_fno_mixed_precision.ipynb.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch

from ..checks import check_float, check_int
from ..data_cache import cached
from ..progress import progress
from .grf import grf_periodic

SOLVER_VERSION = 1  # bump when the solver changes, so cached data sets are regenerated


@dataclass(frozen=True)
class BurgersConfig:
    resolution: int = 128        # grid points N of the returned fields
    solver_resolution: int = 512  # grid points of the solver (a multiple of resolution)
    nu: float = 0.05             # viscosity
    t_end: float = 1.0           # the operator maps u(., 0) to u(., t_end)
    dt: float = 1e-3             # time step of the solver
    length_scale: float = 0.1    # length scale of the GRF initial conditions
    amplitude: float = 1.0       # pointwise standard deviation of the initial conditions

    def __post_init__(self):
        check_int("BurgersConfig.resolution", self.resolution, minimum=2, maximum=65536)
        check_int("BurgersConfig.solver_resolution", self.solver_resolution,
                  minimum=self.resolution, maximum=65536)
        for name in ["nu", "t_end", "dt", "length_scale"]:
            check_float(f"BurgersConfig.{name}", getattr(self, name), positive=True)
        check_float("BurgersConfig.dt", self.dt, maximum=self.t_end)
        check_float("BurgersConfig.amplitude", self.amplitude, minimum=0.0)


def solve_burgers(u0: torch.Tensor, nu: float, t_end: float, dt: float) -> torch.Tensor:
    """Integrate Burgers from ``u0`` (M, N) on [0, 1) to ``t_end``; returns (M, N) float64."""
    if u0.dim() != 2:
        raise ValueError(f"u0 must be (M, N), got {tuple(u0.shape)}")
    n = u0.shape[-1]
    steps = max(1, round(t_end / dt))
    dt = t_end / steps
    k = 2 * math.pi * torch.fft.rfftfreq(n, d=1.0 / n, device=u0.device).double()  # (N/2+1,)
    dealias = (torch.arange(k.numel(), device=k.device) < n / 3).double()   # 2/3 rule
    half_step = torch.exp(-nu * k**2 * dt / 2)                                # integrating factor
    g = -0.5j * k * dt * dealias                                              # d/dx (u^2 / 2)

    def nonlinear(v):  # v: (M, N/2+1) spectrum -> dt * spectrum of -(u^2/2)_x
        return g * torch.fft.rfft(torch.fft.irfft(v, n=n) ** 2)

    v = torch.fft.rfft(u0.to(torch.float64))                                  # (M, N/2+1)
    for _ in progress(range(steps), "solving Burgers", leave=False):
        a = nonlinear(v)
        b = nonlinear(half_step * (v + a / 2))
        c = nonlinear(half_step * v + b / 2)
        d = nonlinear(half_step**2 * v + half_step * c)
        v = half_step**2 * v + (half_step**2 * a + 2 * half_step * (b + c) + d) / 6
    return torch.fft.irfft(v, n=n)                                            # (M, N)


def cole_hopf_solution(x: torch.Tensor, t: float, nu: float, a: float = 2.0,
                       b: float = 1.0) -> torch.Tensor:
    """An exact periodic solution: u = -2 nu phi_x / phi with phi = a + b exp(-4 pi^2 nu t) cos(2 pi x).

    phi solves the heat equation phi_t = nu phi_xx, so u solves Burgers (Cole-Hopf); a > b > 0.
    """
    decay = b * math.exp(-4 * math.pi**2 * nu * t)
    phi = a + decay * torch.cos(2 * math.pi * x)
    return 4 * math.pi * nu * decay * torch.sin(2 * math.pi * x) / phi


def burgers_dataset(n_samples: int, config: BurgersConfig = BurgersConfig(), seed: int = 0) -> dict:
    """``{"u0": (M, N), "u": (M, N)}`` float32 at ``config.resolution`` points, cached on disk."""
    if config.solver_resolution % config.resolution:
        raise ValueError(f"solver_resolution {config.solver_resolution} must be a multiple of "
                         f"resolution {config.resolution}")

    def make():
        generator = torch.Generator().manual_seed(seed)
        u0 = config.amplitude * grf_periodic(n_samples, config.solver_resolution, dims=1,
                                             length_scale=config.length_scale, generator=generator)
        u = solve_burgers(u0, config.nu, config.t_end, config.dt)
        stride = config.solver_resolution // config.resolution
        return {"u0": u0[:, ::stride].float(), "u": u[:, ::stride].float()}  # (M, N) each
    params = {**asdict(config), "n_samples": n_samples, "seed": seed, "version": SOLVER_VERSION}
    return cached("burgers_trajectories", params, make)
