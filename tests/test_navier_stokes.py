"""Our Navier-Stokes solver against exact solutions, its observed orders, bad input and its data."""
import math

import pytest
import torch

from sciml_teach.problems import (NavierStokesConfig, initial_vorticity, navier_stokes_dataset,
                                  solve_navier_stokes, taylor_green)
from sciml_teach.problems.navier_stokes import (PRECISIONS, _Spectral, advection, check_fft_size,
                                                initial_vorticity as grf)


@pytest.fixture(autouse=True)
def temp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIML_TEACH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def orders(errors):
    return [math.log2(e1 / e2) for e1, e2 in zip(errors, errors[1:])]


def test_taylor_green_decays_as_the_exact_solution_at_second_order_in_time():
    nu, zero = 0.01, torch.zeros(16, 16, dtype=torch.float64)
    exact = taylor_green(16, 1.0, nu)
    errors = [(solve_navier_stokes(taylor_green(16, 0.0, nu), 1.0, dt, nu, forcing=zero).w - exact)
              .abs().max().item() for dt in (0.1, 0.05, 0.025)]
    assert errors[-1] < 2e-5 and all(1.9 < p < 2.1 for p in orders(errors)), errors


def test_advection_term_against_the_hand_computed_product():
    """w = sin 2 pi x + cos 4 pi y: psi = sin(2 pi x)/(4 pi^2) + cos(4 pi y)/(16 pi^2), so
    u = psi_y = -sin(4 pi y)/(4 pi), v = -psi_x = -cos(2 pi x)/(2 pi) and
    u w_x + v w_y = 1.5 cos(2 pi x) sin(4 pi y): the signs of u, v and of -lap psi = w."""
    n = 16
    x = torch.arange(n, dtype=torch.float64) / n
    w = torch.sin(2 * math.pi * x)[:, None] + torch.cos(4 * math.pi * x)[None, :]    # (n, n)
    product = torch.fft.irfft2(advection(torch.fft.rfft2(w[None]), _Spectral(n, "float64", "cpu")),
                               s=(n, n))[0]
    expected = 1.5 * torch.cos(2 * math.pi * x)[:, None] * torch.sin(4 * math.pi * x)[None, :]
    assert torch.allclose(product, expected, atol=1e-12)


def smooth_vorticity(n: int) -> torch.Tensor:
    """A few low modes (an analytic field): spectral convergence in n is then visible."""
    x = torch.arange(n, dtype=torch.float64) / n
    X, Y = x[:, None], x[None, :]
    return (torch.sin(2 * math.pi * X) * torch.cos(2 * math.pi * Y)
            + 0.5 * torch.cos(2 * math.pi * (X + 2 * Y)) + 0.3 * torch.sin(4 * math.pi * X))[None]


def test_spectral_convergence_in_resolution():
    """n = 8, 16, 32 against n = 64 at the shared points: the error falls faster than any power
    (observed orders above 8; a second-order scheme would give 2)."""
    ref = solve_navier_stokes(smooth_vorticity(64), 0.5, 0.02, 1e-2).w
    errors = [(solve_navier_stokes(smooth_vorticity(n), 0.5, 0.02, 1e-2).w
               - ref[:, ::64 // n, ::64 // n]).abs().max().item() for n in (8, 16, 32)]
    assert errors[-1] < 1e-9 and all(p > 8 for p in orders(errors)), errors


def test_second_order_in_time_on_forced_grf_flows():
    w0 = initial_vorticity(2, 16, generator=torch.Generator().manual_seed(0))
    ref = solve_navier_stokes(w0, 0.5, 0.0025).w
    errors = [((solve_navier_stokes(w0, 0.5, dt).w - ref).norm() / ref.norm()).item()
              for dt in (0.05, 0.025, 0.0125)]
    assert all(1.8 < p < 2.3 for p in orders(errors)), errors


def test_grf_has_li_et_al_pointwise_variance():
    """Each coefficient is c_k s_k with E|c_k|^2 = 1 and s_k = sqrt(2) 7^1.5 (4 pi^2 |k|^2 + 49)^-1.25
    (Li et al.'s GaussianRF(2, n, alpha=2.5, tau=7)), so Re w has variance sum_k s_k^2 / 2."""
    n = 32
    k = torch.fft.fftfreq(n, d=1.0 / n, dtype=torch.float64)
    s = math.sqrt(2) * 7**1.5 * (4 * math.pi**2 * (k[:, None]**2 + k[None, :]**2) + 49) ** -1.25
    s[0, 0] = 0
    w = grf(4000, n, generator=torch.Generator().manual_seed(1))       # (M, n, n)
    assert abs(w.var().item() / (s.square().sum().item() / 2) - 1) < 0.03
    assert w.mean(dim=(1, 2)).abs().max() < 1e-12                      # zero mean, every sample


def test_lower_precision_ffts_round_the_solution():
    w0 = initial_vorticity(2, 32, generator=torch.Generator().manual_seed(0))
    ref = solve_navier_stokes(w0, 0.5, 0.02).w
    errs = {p: ((solve_navier_stokes(w0, 0.5, 0.02, precision=p).w - ref).norm() / ref.norm()).item()
            for p in PRECISIONS[1:]}
    assert errs["float32"] < 1e-5 < errs["float16"] < errs["bfloat16"], errs


def test_bad_input_is_named():
    w0 = initial_vorticity(1, 16, generator=torch.Generator().manual_seed(0))
    with pytest.raises(ValueError, match="viscosity must be a number >= 0"):
        solve_navier_stokes(w0, 1.0, 0.01, viscosity=-1e-3)
    with pytest.raises(ValueError, match=r"dt=2 is beyond the stable limit.*use dt <="):
        solve_navier_stokes(w0, 2.0, 2.0)
    with pytest.raises(ValueError, match="resolution 48: cuFFT .* 64 or 32"):
        check_fft_size("float16", "cuda", 48)
    check_fft_size("float16", "cpu", 48)          # emulated on a CPU: any size
    check_fft_size("float16", "cuda", 64)
    with pytest.raises(ValueError, match="precision must be one of"):
        check_fft_size("float8", "cpu", 64)
    with pytest.raises(ValueError, match="multiple of resolution"):
        NavierStokesConfig(resolution=24, solver_resolution=64)
    with pytest.raises(ValueError, match="viscosity"):
        NavierStokesConfig(viscosity=-1.0)


def test_blow_up_is_reported_as_diverged_not_raised():
    """Inviscid, at the CFL limit, for long: the run ends with its flows marked diverged."""
    w0 = 40 * initial_vorticity(2, 16, generator=torch.Generator().manual_seed(0))
    dt = 0.99 / (solve_navier_stokes(w0, 1e-3, 1e-3, 0.0).cfl / 1e-3)   # CFL 0.99
    result = solve_navier_stokes(w0, 50 * dt, dt, viscosity=0.0)
    assert result.diverged.all() and result.steps == 50


def test_dataset_is_cached_and_subsampled(temp_cache):
    config = NavierStokesConfig(resolution=8, solver_resolution=16, t_final=0.2, dt=0.05)
    coarse = navier_stokes_dataset(3, config)
    fine = navier_stokes_dataset(3, NavierStokesConfig(**{**config.__dict__, "resolution": 16}))
    assert coarse["w0"].shape == (3, 8, 8) and fine["w1"].shape == (3, 16, 16)
    assert torch.equal(coarse["w1"], fine["w1"][:, ::2, ::2])          # the same flows, solved once
    assert len(list(temp_cache.glob("*.pt"))) == 1
