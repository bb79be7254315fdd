"""A classical spectral solver with its FFTs in 16 bits: the contrast Tu et al. 2024 open with.

"Reducing the precision of the Fourier transform yields poor results in classical numerical
solvers" (Tu et al. 2024, arXiv:2307.15034, abstract). We run our own periodic Burgers solver
(:func:`sciml_teach.problems.burgers_trajectories.solve_burgers`: Fourier pseudo-spectral, 2/3
de-aliasing, integrating-factor RK4) with every FFT's input and output rounded to 16 bits -- as
:mod:`sciml_teach.half_fft` emulates a half-precision FFT on a CPU -- and compare the change with
the solver's own error in float64. A spectral solver is accurate to ~1e-10 here; float16 round-off
is ~1e-4, so 16 bits throw away most of the digits it was built to deliver, where an FNO's
round-off stays below its discretisation error (:mod:`.resolution_errors`).
Introduced in notebooks/06_fno_mixed_precision.ipynb.
"""
from __future__ import annotations

import math

import torch

from ..checks import check_float
from ..metrics import relative_l2
from ..problems.burgers_trajectories import solve_burgers

ROUNDINGS = (torch.float64, torch.float32, torch.float16, torch.bfloat16)


def _round(t: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """Round to ``dtype`` and back to float64 (complex tensors part by part)."""
    if t.is_complex():
        return torch.complex(_round(t.real, dtype), _round(t.imag, dtype))
    return t.to(dtype).to(torch.float64)


def solve_burgers_rounded(u0: torch.Tensor, nu: float, t_end: float, dt: float,
                          dtype: torch.dtype) -> torch.Tensor:
    """:func:`solve_burgers` with every FFT rounded to ``dtype`` on the way in and out: (M, N) float64.

    The same integrating-factor RK4 steps; only ``rfft`` and ``irfft`` differ. float64 rounds
    nothing, so it reproduces :func:`solve_burgers` exactly.
    """
    if dtype not in ROUNDINGS:
        raise ValueError(f"dtype must be one of {', '.join(map(str, ROUNDINGS))}, got {dtype}")
    if u0.dim() != 2:
        raise ValueError(f"u0 must be (M, N), got {tuple(u0.shape)}")
    check_float("nu", nu, positive=True)
    n = u0.shape[-1]
    rfft = lambda u: _round(torch.fft.rfft(_round(u, dtype)), dtype)           # (M, N/2+1)
    irfft = lambda v: _round(torch.fft.irfft(_round(v, dtype), n=n), dtype)    # (M, N)
    steps = max(1, round(t_end / dt))
    dt = t_end / steps
    k = 2 * math.pi * torch.fft.rfftfreq(n, d=1.0 / n, device=u0.device).double()   # (N/2+1,)
    dealias = (torch.arange(k.numel(), device=u0.device) < n / 3).double()           # 2/3 rule
    half_step = torch.exp(-nu * k**2 * dt / 2)                                # integrating factor
    g = -0.5j * k * dt * dealias                                              # d/dx (u^2 / 2)
    nonlinear = lambda v: g * rfft(irfft(v) ** 2)                             # (M, N/2+1)
    v = rfft(u0.to(torch.float64))
    for _ in range(steps):
        a = nonlinear(v)
        b = nonlinear(half_step * (v + a / 2))
        c = nonlinear(half_step * v + b / 2)
        d = nonlinear(half_step**2 * v + half_step * c)
        v = half_step**2 * v + (half_step**2 * a + 2 * half_step * (b + c) + d) / 6
    return irfft(v)                                                           # (M, N)


def solver_round_off(u0_fine: torch.Tensor, n: int, nu: float = 0.05, t_end: float = 1.0,
                     dt: float = 2e-3, dtype: torch.dtype = torch.float16) -> dict:
    """The solver's own error and its round-off in ``dtype`` on the n-point grid.

    ``u0_fine`` (M, fine) are initial conditions on a fine grid (n must divide fine). Returns
    ``{"n", "solver_error", "round_off"}``: ``solver_error`` is the float64 solve at n (time step
    ``dt``) against a float64 solve on the fine grid with ``dt / 2``, at the same points;
    ``round_off`` is the ``dtype`` solve at n against the float64 solve at n. Relative L2 errors.
    """
    fine = u0_fine.shape[-1]
    if n < 1 or fine % n:
        raise ValueError(f"n must divide the fine grid's {fine} points, got {n}")
    u0 = u0_fine[:, ::fine // n]                                              # (M, n)
    reference = solve_burgers(u0_fine, nu, t_end, dt / 2)[:, ::fine // n]     # (M, n)
    exact = solve_burgers(u0, nu, t_end, dt)                                  # (M, n)
    rounded = solve_burgers_rounded(u0, nu, t_end, dt, dtype)                 # (M, n)
    return {"n": n, "solver_error": relative_l2(exact, reference),
            "round_off": relative_l2(rounded, exact)}
