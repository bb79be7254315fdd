"""2-D incompressible Navier-Stokes in vorticity form on the periodic unit square: our own solver.

    w_t + u . grad w = nu lap w + f,    -lap psi = w,    u = (psi_y, -psi_x),    x in [0, 1)^2

The FNO's canonical benchmark (Li et al. 2021, arXiv:2010.08895, Sec. 5.3) and Tu et al. 2024's
main one (arXiv:2307.15034, Sec. 5): forcing f = 0.1 (sin 2 pi (x + y) + cos 2 pi (x + y)),
viscosity nu = 1e-3, initial vorticity from Li et al.'s Gaussian random field with covariance
7^(3/2) (-lap + 49 I)^(-5/2). Pseudo-spectral in space: velocities and gradients from the FFT,
the product u . grad w on the grid, its spectrum cut by the 2/3 rule (dealiasing: modes beyond
2/3 of the largest wavenumber, where the product's aliases land, are set to zero). In time,
as Li et al.'s data generator: Crank-Nicolson for the diffusion (implicit, unconditionally
stable) and Heun's predictor-corrector for advection and forcing (explicit, so the time step is
bounded by the CFL number max|u| dt / h). Second order in time, spectral in space, float64 by
default; ``precision`` runs every FFT in float32, float16 or bfloat16 instead (each transform's
input and output rounded to that precision, see :mod:`sciml_teach.half_fft`).
Introduced in notebooks/06_fno_mixed_precision.ipynb (the Navier-Stokes section).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..checks import check_choice, check_float
from ..half_fft import HALF_DTYPES, irfftn_half, rfftn_half

PRECISIONS = ("float64", "float32", "float16", "bfloat16")
MAX_CFL = 1.0        # refuse a time step whose CFL number max|u| dt / h at the start exceeds this
BLOWUP = 1e3         # diverged: max |w| grew beyond this many times its start (plus the forcing)


@dataclass(frozen=True)
class NavierStokesSolution:
    """What :func:`solve_navier_stokes` returns."""
    w: torch.Tensor          # (M, n, n) vorticity at t_final (NaN/inf where a run diverged)
    diverged: torch.Tensor   # (M,) bool: the vorticity blew up (non-finite or > BLOWUP x start)
    dt: float                # the time step used: t_final / steps
    steps: int               # time steps taken
    cfl: float               # the CFL number max|u| dt / h of the initial state


def wavenumbers(n: int, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Integer wavenumbers of an (n, n) grid's real FFT: kx (n, 1), ky (1, n//2 + 1), float64."""
    kx = torch.fft.fftfreq(n, d=1.0 / n, dtype=torch.float64, device=device)[:, None]
    ky = torch.fft.rfftfreq(n, d=1.0 / n, dtype=torch.float64, device=device)[None, :]
    return kx, ky


def li_forcing(n: int, amplitude: float = 0.1, device=None) -> torch.Tensor:
    """f = amplitude (sin 2 pi (x + y) + cos 2 pi (x + y)) on x = i/n, y = j/n: (n, n) float64."""
    x = torch.arange(n, dtype=torch.float64, device=device) / n
    s = 2 * math.pi * (x[:, None] + x[None, :])                          # (n, n)
    return amplitude * (torch.sin(s) + torch.cos(s))


def initial_vorticity(n_functions: int, n: int, alpha: float = 2.5, tau: float = 7.0,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """Li et al.'s GRF w0 ~ N(0, tau^(2 alpha - 2) (-lap + tau^2 I)^(-alpha)), zero mean: (M, n, n).

    As their ``GaussianRF(2, n, alpha=2.5, tau=7)``: each Fourier coefficient is a complex normal
    times sqrt(2) tau^(alpha - 1) (4 pi^2 |k|^2 + tau^2)^(-alpha/2); the field does not depend on
    n beyond the modes it holds (the n^2 in their scaling cancels the inverse FFT's 1/n^2).
    """
    k = torch.fft.fftfreq(n, d=1.0 / n, dtype=torch.float64)
    k2 = k[:, None] ** 2 + k[None, :] ** 2                               # (n, n)
    sqrt_eig = math.sqrt(2) * tau ** (alpha - 1) * (4 * math.pi**2 * k2 + tau**2) ** (-alpha / 2)
    sqrt_eig[0, 0] = 0.0                                                 # zero mean
    coeff = torch.randn(n_functions, n, n, 2, generator=generator, dtype=torch.float64)
    coeff = torch.view_as_complex(coeff) / math.sqrt(2)                  # (M, n, n), E|c|^2 = 1
    return torch.fft.ifft2(coeff * sqrt_eig * n**2).real                 # (M, n, n)


def check_fft_size(precision: str, device, n: int) -> None:
    """A float16 FFT on a GPU needs a power-of-two grid (cuFFT's rule): refuse others by name."""
    check_choice("precision", precision, PRECISIONS)
    if precision == "float16" and torch.device(device).type == "cuda" and n & (n - 1):
        raise ValueError(f"resolution {n}: cuFFT computes float16 FFTs only for power-of-two "
                         f"sizes; use a resolution of {1 << (n - 1).bit_length()} or "
                         f"{1 << (n.bit_length() - 1)}, or precision float32")


class _Spectral:
    """The solver's FFTs on an (n, n) grid in one precision; spectra come back as complex128 (or
    complex64 below float64) so the arithmetic between transforms is the same in every run."""

    def __init__(self, n: int, precision: str, device):
        self.n, self.precision = n, precision
        self.half = getattr(torch, precision) if precision in ("float16", "bfloat16") else None
        self.real = torch.float64 if precision == "float64" else torch.float32

    def fft(self, x: torch.Tensor) -> torch.Tensor:                      # (M, n, n) -> (M, n, n//2+1)
        if self.half is not None:
            return torch.view_as_complex(rfftn_half(x, 2, self.half).to(self.real).contiguous())
        return torch.fft.rfft2(x.to(self.real))

    def ifft(self, z: torch.Tensor) -> torch.Tensor:                     # (M, n, n//2+1) -> (M, n, n)
        if self.half is not None:
            pairs = torch.view_as_real(z.to(torch.complex64)).to(self.half)
            return irfftn_half(pairs, (self.n, self.n)).to(self.real)
        return torch.fft.irfft2(z, s=(self.n, self.n))


def velocity(w_hat: torch.Tensor, spectral: _Spectral) -> tuple[torch.Tensor, torch.Tensor]:
    """u = psi_y, v = -psi_x with -lap psi = w, from the vorticity's spectrum: two (M, n, n)."""
    kx, ky = wavenumbers(spectral.n, w_hat.device)
    lap = 4 * math.pi**2 * (kx**2 + ky**2)                               # (n, n//2+1) = -lap symbol
    lap[0, 0] = 1.0                                                      # psi's mean is free: 0
    psi_hat = w_hat / lap
    psi_hat[..., 0, 0] = 0
    u = spectral.ifft(2j * math.pi * ky * psi_hat)                       # psi_y
    v = spectral.ifft(-2j * math.pi * kx * psi_hat)                      # -psi_x
    return u, v


def advection(w_hat: torch.Tensor, spectral: _Spectral) -> torch.Tensor:
    """The spectrum of u . grad w, 2/3-rule dealiased: (M, n, n//2+1)."""
    kx, ky = wavenumbers(spectral.n, w_hat.device)
    u, v = velocity(w_hat, spectral)                                     # (M, n, n) each
    w_x = spectral.ifft(2j * math.pi * kx * w_hat)
    w_y = spectral.ifft(2j * math.pi * ky * w_hat)
    keep = (kx.abs() <= spectral.n / 3) & (ky <= spectral.n / 3)         # the 2/3 rule
    return spectral.fft(u * w_x + v * w_y) * keep


def cfl_number(w: torch.Tensor, dt: float) -> float:
    """max |u|, |v| over the batch times dt / h, for vorticity w (M, n, n) in float64."""
    spectral = _Spectral(w.shape[-1], "float64", w.device)
    u, v = velocity(torch.fft.rfft2(w.to(torch.float64)), spectral)
    return float(torch.maximum(u.abs().max(), v.abs().max())) * dt * w.shape[-1]


def solve_navier_stokes(w0: torch.Tensor, t_final: float, dt: float, viscosity: float = 1e-3,
                        forcing: torch.Tensor | None = None, precision: str = "float64") -> NavierStokesSolution:
    """Step the vorticity w0 (M, n, n) from t = 0 to ``t_final`` (Crank-Nicolson + Heun, as in the
    module's notes). ``forcing`` (n, n) defaults to Li et al.'s; pass zeros for none. ``dt`` is
    shortened so that a whole number of steps ends at ``t_final``. A run that blows up is marked
    in ``diverged``; a time step beyond the CFL limit, a negative viscosity or a float16 FFT of a
    non-power-of-two grid on a GPU is refused before any step."""
    check_float("viscosity", viscosity, minimum=0.0)
    check_float("t_final", t_final, positive=True)
    check_float("dt", dt, positive=True)
    if w0.dim() != 3 or w0.shape[-1] != w0.shape[-2] or w0.shape[-1] < 4:
        raise ValueError(f"w0 must be (M, n, n) with n >= 4, got shape {tuple(w0.shape)}")
    n, device = w0.shape[-1], w0.device
    check_fft_size(precision, device, n)
    steps = math.ceil(t_final / dt - 1e-9)
    dt = t_final / steps
    cfl = cfl_number(w0, dt)
    if cfl > MAX_CFL:
        raise ValueError(f"dt={dt:g} is beyond the stable limit at resolution {n}: the CFL number "
                         f"max|u| dt / h is {cfl:.2f} > {MAX_CFL}; use dt <= {dt * MAX_CFL / cfl:.3g}")
    spectral = _Spectral(n, precision, device)
    f = li_forcing(n, device=device) if forcing is None else forcing.to(device, torch.float64)
    f_hat = spectral.fft(f)                                              # (n, n//2+1)
    kx, ky = wavenumbers(n, device)
    lap = 4 * math.pi**2 * (kx**2 + ky**2)
    implicit, explicit = 1 + 0.5 * dt * viscosity * lap, 1 - 0.5 * dt * viscosity * lap
    w_hat = spectral.fft(w0)                                             # (M, n, n//2+1)
    for _ in range(steps):
        nonlinear = advection(w_hat, spectral)
        predictor = (explicit * w_hat + dt * (f_hat - nonlinear)) / implicit      # Euler + CN
        corrected = 0.5 * (nonlinear + advection(predictor, spectral))            # Heun's average
        w_hat = (explicit * w_hat + dt * (f_hat - corrected)) / implicit
    w = spectral.ifft(w_hat).to(torch.float64)                           # (M, n, n)
    start = w0.abs().flatten(1).amax(1).to(torch.float64) + f.abs().max()  # (M,)
    size = w.abs().flatten(1).amax(1)
    diverged = ~torch.isfinite(size) | (size > BLOWUP * start)
    return NavierStokesSolution(w, diverged, dt, steps, cfl)


def taylor_green(n: int, t: float, viscosity: float, k: int = 1) -> torch.Tensor:
    """The decaying Taylor-Green vortex, an exact unforced solution: (1, n, n) float64.

    w = sin(2 pi k x) sin(2 pi k y) exp(-8 pi^2 k^2 nu t): its stream function is w / (8 pi^2 k^2),
    parallel to w, so u . grad w = 0 and only the diffusion acts.
    """
    x = torch.arange(n, dtype=torch.float64) / n
    s = torch.sin(2 * math.pi * k * x)
    return (s[:, None] * s[None, :] * math.exp(-8 * math.pi**2 * k**2 * viscosity * t))[None]
