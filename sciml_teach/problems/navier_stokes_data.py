"""The FNO's Navier-Stokes data: w(0) -> w(T) pairs from our own solver, cached and checksummed.

Li et al. 2021 (arXiv:2010.08895, Sec. 5.3) learn the vorticity's evolution under the solver of
:mod:`sciml_teach.problems.navier_stokes`; we learn one map, the initial vorticity w(0) (their
GRF) to w(T) (T = 1 by default, long enough for advection and forcing to change the field by
about half its size). Solutions are computed on ``solver_resolution`` points per side and
sampled at ``resolution`` (every k-th point): the same flows at n, 2n and 4n points are what
zero-shot super-resolution needs. Cached like the Darcy data (:mod:`sciml_teach.data_cache`).
Introduced in notebooks/06_fno_mixed_precision.ipynb (the Navier-Stokes section).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from ..checks import check_float, check_int
from ..data_cache import cached
from ..placement import resolve_device
from ..progress import progress
from .navier_stokes import initial_vorticity, solve_navier_stokes

SOLVER_VERSION = 1   # bump when the solver changes, so cached data sets are regenerated
CHUNK = 64           # flows solved at once (one batched FFT per stage; a progress-bar tick each)


@dataclass(frozen=True)
class NavierStokesConfig:
    resolution: int = 64                 # points per side of the returned fields
    solver_resolution: int | None = None  # points per side the solver runs on (None: resolution)
    viscosity: float = 1e-3              # nu (Li et al.'s 1e-3)
    t_final: float = 1.0                 # T: the data map w(0) -> w(T)
    dt: float = 0.02                     # time step (CFL ~0.1 at 64^2, ~0.4 at 256^2)
    alpha: float = 2.5                   # GRF smoothness of w(0) (Li et al.)
    tau: float = 7.0                     # GRF inverse length scale of w(0) (Li et al.)

    def __post_init__(self):
        check_int("NavierStokesConfig.resolution", self.resolution, minimum=4, maximum=4096)
        if self.solver_resolution is not None:
            check_int("NavierStokesConfig.solver_resolution", self.solver_resolution,
                      minimum=self.resolution, maximum=4096)
            if self.solver_resolution % self.resolution:
                raise ValueError(f"NavierStokesConfig.solver_resolution {self.solver_resolution} "
                                 f"must be a multiple of resolution {self.resolution}")
        check_float("NavierStokesConfig.viscosity", self.viscosity, minimum=0.0)
        for name in ["t_final", "dt", "alpha", "tau"]:
            check_float(f"NavierStokesConfig.{name}", getattr(self, name), positive=True)

    @property
    def grid(self) -> int:
        """Points per side the solver runs on."""
        return self.solver_resolution or self.resolution


def _solve_all(n_samples: int, config: NavierStokesConfig, seed: int) -> dict:
    """w0 and w(T) on the solver's grid, (M, s, s) float32; a diverged flow is a ValueError.
    The flows are solved on the GPU when there is one (float64 either way)."""
    device = resolve_device("auto")
    generator = torch.Generator().manual_seed(seed)
    w0 = initial_vorticity(n_samples, config.grid, config.alpha, config.tau, generator)
    chunks = list(torch.split(w0, CHUNK))
    w1 = []
    for chunk in progress(chunks, f"solving Navier-Stokes ({config.grid}^2)"):
        solution = solve_navier_stokes(chunk.to(device), config.t_final, config.dt,
                                       config.viscosity)
        if solution.diverged.any():
            raise ValueError(f"Navier-Stokes diverged for {int(solution.diverged.sum())} of "
                             f"{len(chunk)} flows at dt={config.dt} (CFL {solution.cfl:.2f}); "
                             f"use a smaller NavierStokesConfig.dt")
        w1.append(solution.w.cpu())
    return {"w0": w0.float(), "w1": torch.cat(w1).float()}


def navier_stokes_dataset(n_samples: int, config: NavierStokesConfig = NavierStokesConfig(),
                          seed: int = 0) -> dict:
    """``{"w0": (M, n, n), "w1": (M, n, n)}`` float32 at ``config.resolution``: w(0) and w(T).

    The solver-grid fields are cached (keyed by everything but ``resolution``), so asking for the
    same flows at n, 2n and 4n solves them once."""
    check_int("n_samples", n_samples, minimum=1)
    params = {**asdict(config), "solver_resolution": config.grid, "n_samples": n_samples,
              "seed": seed, "version": SOLVER_VERSION}
    params.pop("resolution")
    data = cached("navier-stokes", params, lambda: _solve_all(n_samples, config, seed))
    step = config.grid // config.resolution
    return {k: v[:, ::step, ::step].contiguous() for k, v in data.items()}   # (M, n, n)
