"""Gaussian random fields: the random input functions of operator learning.

DeepONet lessons draw input functions v(x) from a GRF with the squared-exponential (RBF) kernel
k(x, x') = exp(-|x - x'|^2 / (2 l^2)) (Lu et al. 2021; Hayford et al. 2024 use l = 0.2). FNO data
(Darcy coefficients, Burgers initial conditions) use periodic fields sampled in Fourier space.
Introduced in notebooks/04_deeponet_amp.ipynb.
"""
from __future__ import annotations

import math

import torch


def _check(n_functions: int, length_scale: float) -> None:
    if n_functions < 1:
        raise ValueError(f"n_functions must be >= 1, got {n_functions}")
    if length_scale <= 0:
        raise ValueError(f"length_scale must be > 0, got {length_scale}")


def grf_1d(n_functions: int, x: torch.Tensor, length_scale: float = 0.2, variance: float = 1.0,
           generator: torch.Generator | None = None) -> torch.Tensor:
    """Samples of a zero-mean GRF with the RBF kernel at the points ``x`` (N,) -> (M, N), float64.

    Drawn exactly with a Cholesky factor of the (N, N) covariance; a tiny jitter keeps it positive
    definite when points are much closer than the length scale.
    """
    _check(n_functions, length_scale)
    x = x.to(torch.float64).reshape(-1)                                   # (N,)
    cov = variance * torch.exp(-(x[:, None] - x[None, :]) ** 2 / (2 * length_scale**2))  # (N, N)
    chol = torch.linalg.cholesky(cov + 1e-10 * variance * torch.eye(len(x), dtype=torch.float64))
    z = torch.randn(n_functions, len(x), generator=generator, dtype=torch.float64)  # (M, N)
    return z @ chol.T                                                     # (M, N)


def _periodic_spectrum(n: int, length_scale: float, dims: int) -> torch.Tensor:
    """Standard deviation of each Fourier coefficient of a periodic RBF field on [0, 1)^dims."""
    k = torch.fft.fftfreq(n, d=1.0 / n).to(torch.float64)                 # integer wavenumbers
    k2 = sum(kk**2 for kk in torch.meshgrid(*([k] * dims), indexing="ij"))  # (n,)*dims
    # The RBF kernel's spectral density is Gaussian: exp(-(2 pi |k| l)^2 / 2).
    return torch.exp(-((2 * math.pi * length_scale) ** 2) * k2 / 4)


def grf_periodic(n_functions: int, n: int, dims: int = 1, length_scale: float = 0.1,
                 variance: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """Periodic GRF samples on the uniform grid of [0, 1)^dims with n points per side.

    Returns (M, n) for dims=1 and (M, n, n) for dims=2, float64, normalised so each field has
    pointwise variance ``variance``. Used for periodic Burgers initial conditions and Darcy
    coefficients.
    """
    _check(n_functions, length_scale)
    if dims not in (1, 2):
        raise ValueError(f"dims must be 1 or 2, got {dims}")
    sigma = _periodic_spectrum(n, length_scale, dims)                     # (n,)*dims
    # Parseval: filtering white noise by sigma gives pointwise variance sum(sigma^2) / n^dims.
    sigma = sigma * math.sqrt(n**dims / sigma.square().sum().item())      # unit pointwise variance
    shape = (n_functions,) + (n,) * dims
    noise = torch.randn(shape, generator=generator, dtype=torch.float64)  # white noise, (M, n, ...)
    spectrum = torch.fft.fftn(noise, dim=tuple(range(1, dims + 1))) * sigma
    field = torch.fft.ifftn(spectrum, dim=tuple(range(1, dims + 1))).real  # (M, n, ...)
    return math.sqrt(variance) * field
