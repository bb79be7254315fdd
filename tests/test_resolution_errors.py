"""Discretisation error against 16-bit round-off over resolution (lesson 06), and the classical
Burgers solver with its FFTs rounded: each against an independent reference (a direct Fourier
series, the Cole-Hopf solution, float64, the formats' unit roundoffs)."""
import math

import pytest
import torch

from sciml_teach import FNO, FNOConfig
from sciml_teach.experiments.resolution_errors import (crossover, on_grid, resolution_errors,
                                                       grf_inputs, spectral_variant, variant_name)
from sciml_teach.experiments.solver_round_off import solve_burgers_rounded, solver_round_off
from sciml_teach.problems.burgers_trajectories import cole_hopf_solution, solve_burgers
from sciml_teach.viz.resolution import error_vs_resolution

UNIT_ROUNDOFF = {torch.float16: 2.0**-11, torch.bfloat16: 2.0**-8}


@pytest.fixture(scope="module")
def small_fno():
    torch.manual_seed(0)
    model = FNO(FNOConfig(modes=(8,), width=8, layers=2, projection=16, stabilizer="tanh"))
    with torch.no_grad():  # spectral weights as large as a trained model's, so they matter
        for layer in model.layers:
            layer.spectral.weight.mul_(20.0)
    return model.eval()


def test_coarse_samples_are_the_same_function_at_coarser_points():
    a = grf_inputs(2, 256, 0.1, seed=3)                                   # (2, 1, 256)
    coef = torch.fft.fft(a[:, 0]) / 256                                      # (2, 256) Fourier series
    k = torch.fft.fftfreq(256, d=1 / 256).double()                           # integer wavenumbers
    x = torch.arange(32, dtype=torch.float64) / 32                           # the 32-point grid
    direct = (coef[:, None, :] * torch.exp(2j * math.pi * k * x[:, None])).sum(-1).real  # (2, 32)
    assert torch.allclose(on_grid(a, 32)[:, 0], direct, atol=1e-12)
    many = grf_inputs(400, 64, 0.1)
    assert abs(many.var().item() - 1.0) < 0.15, "unit pointwise variance"


def test_full_variant_is_the_same_model_and_16_bit_variants_err_by_their_unit_roundoff(small_fno):
    a = grf_inputs(3, 128, 0.1).float()
    with torch.no_grad():
        assert torch.equal(spectral_variant(small_fno, "full", None)(a), small_fno(a))
        exact = small_fno.double()(a.double())
        small_fno.float()
        for dtype, u in UNIT_ROUNDOFF.items():
            error = (spectral_variant(small_fno, "mixed", dtype)(a).double() - exact).norm() / exact.norm()
            assert u / 30 < error < 30 * u, f"{dtype}: round-off {error:.2e}, unit roundoff {u:.2e}"


def test_discretisation_error_falls_first_order_and_round_off_stays_flat(small_fno):
    rows = resolution_errors(small_fno, grf_inputs(3, 4096, 0.1), [32, 64, 128, 256])
    fit = crossover(rows, variant_name("mixed", torch.float16))
    # the appended grid coordinate x is a saw-tooth on the periodic [0, 1): its DFT on n points
    # differs from its Fourier coefficients by O(1/n), so the FNO's discretisation error is first order
    assert -1.4 < fit["order"] < -0.7, rows
    for r in rows:
        assert r["float32"] < 1e-5 < r["mixed-float16"] < r["discretisation"], r
        assert 2 < r["mixed-bfloat16"] / r["mixed-float16"] < 40, "bfloat16 has 3 bits fewer: ~8x"


def test_the_saw_tooth_coordinate_sets_the_first_order(small_fno, monkeypatch):
    """With a smooth periodic coordinate, sin(2 pi x), instead of the saw-tooth x, the same FNO's
    discretisation error falls to float64 round-off: the first order comes from x's jump."""
    import sciml_teach.models.fno as fno_module
    a = grf_inputs(2, 4096, 0.1)
    saw_tooth = resolution_errors(small_fno, a, [64, 256])
    plain = fno_module.grid_coordinates
    monkeypatch.setattr(fno_module, "grid_coordinates",
                        lambda sizes, like: torch.sin(2 * math.pi * plain(sizes, like)))
    smooth = resolution_errors(small_fno, a, [64, 256])
    assert saw_tooth[1]["discretisation"] > 1e-5, saw_tooth
    assert smooth[1]["discretisation"] < 1e-12, smooth


def test_two_dimensional_grids_show_the_same_picture():
    torch.manual_seed(0)
    model = FNO(FNOConfig(modes=(4, 4), width=8, layers=2, projection=16, stabilizer="tanh"))
    with torch.no_grad():
        for layer in model.layers:
            layer.spectral.weight.mul_(20.0)
    a = grf_inputs(2, 128, 0.1, dims=2)                                      # (2, 1, 128, 128)
    assert on_grid(a, 16).shape == (2, 1, 16, 16)
    assert torch.equal(on_grid(a, 16)[0, 0, 3, 5], a[0, 0, 24, 40])         # the point (3/16, 5/16)
    rows = resolution_errors(model.eval(), a, [16, 32])
    assert rows[1]["discretisation"] < 0.75 * rows[0]["discretisation"], rows
    for r in rows:
        assert r["float32"] < 1e-5 < r["mixed-float16"] < r["discretisation"], r


def test_crossover_on_rows_with_known_answer():
    rows = [{"n": n, "discretisation": 1.0 / n, "p": 1e-3} for n in [64, 256, 1024, 4096]]
    fit = crossover(rows, "p")
    assert fit["measured"] == 1024 and fit["order"] == pytest.approx(-1.0)
    assert fit["extrapolated"] == pytest.approx(1000.0, rel=1e-9)
    flat = [{**r, "discretisation": 0.1} for r in rows]
    assert crossover(flat, "p")["extrapolated"] is None


def test_bad_resolutions_are_refused(small_fno):
    a = grf_inputs(1, 256, 0.1)
    with pytest.raises(ValueError, match="divide"):
        on_grid(a, 100)
    with pytest.raises(ValueError, match="at least one"):
        resolution_errors(small_fno, a, [])
    with pytest.raises(ValueError, match="two resolutions"):
        crossover([{"n": 1, "discretisation": 1.0, "p": 1.0}], "p")


def test_error_figure_has_one_panel_per_input(small_fno):
    rows = resolution_errors(small_fno, grf_inputs(1, 256, 0.1), [32, 64])
    fig = error_vs_resolution({"smooth": rows, "rough": rows}, marked=[64])
    assert len(fig.axes) == 2


def test_rounded_solver_in_float64_is_the_solver_and_matches_cole_hopf():
    x = torch.arange(64, dtype=torch.float64) / 64
    u0 = cole_hopf_solution(x, 0.0, 0.05)[None]                              # (1, 64)
    exact = cole_hopf_solution(x, 0.2, 0.05)[None]
    ours = solve_burgers_rounded(u0, 0.05, 0.2, 1e-3, torch.float64)
    assert torch.equal(ours, solve_burgers(u0, 0.05, 0.2, 1e-3))
    assert (ours - exact).abs().max() < 1e-9
    half = solve_burgers_rounded(u0, 0.05, 0.2, 1e-3, torch.float16)
    assert (half - exact).abs().max() > 1e3 * (ours - exact).abs().max(), "float16 loses digits"


def test_solver_round_off_is_far_above_the_solvers_own_error():
    u0 = grf_inputs(2, 256, 0.1)[:, 0]                                    # (2, 256)
    row = solver_round_off(u0, 64, t_end=0.2)
    assert row["solver_error"] < 1e-8 and row["round_off"] > 1e-5, row
    with pytest.raises(ValueError, match="dtype"):
        solve_burgers_rounded(u0, 0.05, 0.1, 1e-3, torch.int32)
    with pytest.raises(ValueError, match="divide"):
        solver_round_off(u0, 100)
