"""2-D Darcy flow -div(a grad u) = f on the unit square, u = 0 on the boundary.

The FNO benchmark of Li et al. 2021 (arXiv:2010.08895, Sec. 5.2) and Tu et al. 2024
(arXiv:2307.15034, Sec. 5): the coefficient a is piecewise constant, 12 where a Gaussian random
field is positive and 3 elsewhere; f = 1. We solve it ourselves with a cell-centred finite-volume
scheme (harmonic means of a on the faces, second order for smooth a), one sparse solve per
sample. Introduced in notebooks/06_fno_mixed_precision.ipynb.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import torch

from ..checks import check_float, check_int
from ..data_cache import cached
from ..progress import progress
from .grf import grf_periodic

SOLVER_VERSION = 1  # bump when the solver changes, so cached data sets are regenerated


@dataclass(frozen=True)
class DarcyConfig:
    resolution: int = 32         # cells per side; the fields are (n, n) at cell centres
    length_scale: float = 0.1    # length scale of the GRF that is thresholded into a
    a_high: float = 12.0         # coefficient where the GRF is >= 0 (Li et al. 2021)
    a_low: float = 3.0           # coefficient where the GRF is < 0
    forcing: float = 1.0         # the constant right-hand side f

    def __post_init__(self):
        check_int("DarcyConfig.resolution", self.resolution, minimum=2, maximum=4096)
        for name in ["length_scale", "a_high", "a_low"]:
            check_float(f"DarcyConfig.{name}", getattr(self, name), positive=True)
        check_float("DarcyConfig.forcing", self.forcing)


def solve_darcy(a: np.ndarray, f: float | np.ndarray = 1.0) -> np.ndarray:
    """Finite-volume solution of -div(a grad u) = f, u = 0 on the boundary of [0, 1]^2.

    ``a`` and ``f`` are cell averages on an (n, n) grid (index [i, j] at x = (i + 1/2) h,
    y = (j + 1/2) h, h = 1/n); returns u at the cell centres, (n, n).
    """
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or (a <= 0).any():
        raise ValueError(f"a must be a positive (n, n) array, got shape {a.shape}")
    n = a.shape[0]
    # Face transmissibilities (times h^2): harmonic mean of the two cells' coefficients.
    tx = 2 * a[:-1, :] * a[1:, :] / (a[:-1, :] + a[1:, :])             # (n-1, n) x-faces
    ty = 2 * a[:, :-1] * a[:, 1:] / (a[:, :-1] + a[:, 1:])             # (n, n-1) y-faces
    diag = np.zeros((n, n))
    diag[:-1, :] += tx
    diag[1:, :] += tx
    diag[:, :-1] += ty
    diag[:, 1:] += ty
    # Boundary faces: u = 0 half a cell away, so the transmissibility is a / (h/2) = 2a.
    diag[0, :] += 2 * a[0, :]
    diag[-1, :] += 2 * a[-1, :]
    diag[:, 0] += 2 * a[:, 0]
    diag[:, -1] += 2 * a[:, -1]
    idx = np.arange(n * n).reshape(n, n)
    rows = np.concatenate([idx.ravel(), idx[:-1].ravel(), idx[1:].ravel(),
                           idx[:, :-1].ravel(), idx[:, 1:].ravel()])
    cols = np.concatenate([idx.ravel(), idx[1:].ravel(), idx[:-1].ravel(),
                           idx[:, 1:].ravel(), idx[:, :-1].ravel()])
    vals = np.concatenate([diag.ravel(), -tx.ravel(), -tx.ravel(), -ty.ravel(), -ty.ravel()])
    matrix = sp.csr_matrix((vals * n**2, (rows, cols)), shape=(n * n, n * n))
    rhs = np.broadcast_to(np.asarray(f, dtype=np.float64), (n, n)).ravel()
    return spla.spsolve(matrix, rhs).reshape(n, n)


def darcy_coefficients(n_samples: int, config: DarcyConfig,
                       generator: torch.Generator | None = None) -> torch.Tensor:
    """Piecewise-constant coefficients, (M, n, n) float64: a_high where a GRF >= 0, else a_low."""
    field = grf_periodic(n_samples, config.resolution, dims=2, length_scale=config.length_scale,
                         generator=generator)                          # (M, n, n)
    return torch.where(field >= 0, config.a_high, config.a_low).to(torch.float64)


def darcy_dataset(n_samples: int, config: DarcyConfig = DarcyConfig(), seed: int = 0) -> dict:
    """``{"a": (M, n, n), "u": (M, n, n)}`` float32, cached on disk (see :mod:`data_cache`)."""
    def make():
        generator = torch.Generator().manual_seed(seed)
        a = darcy_coefficients(n_samples, config, generator)
        u = np.stack([solve_darcy(ai.numpy(), config.forcing) for ai in progress(a, "solving Darcy")])
        return {"a": a.float(), "u": torch.from_numpy(u).float()}
    params = {**asdict(config), "n_samples": n_samples, "seed": seed, "version": SOLVER_VERSION}
    return cached("darcy", params, make)
