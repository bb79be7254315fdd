"""The FNO lesson's data: Darcy and Burgers solvers against exact solutions, and the disk cache."""
import math

import numpy as np
import pytest
import torch

from sciml_teach.data_cache import cache_dir, cache_path
from sciml_teach.problems import (BurgersConfig, DarcyConfig, burgers_dataset, cole_hopf_solution,
                                  darcy_coefficients, darcy_dataset, solve_burgers, solve_darcy)


@pytest.fixture(autouse=True)
def temp_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIML_TEACH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def darcy_error(n: int) -> float:
    """Manufactured u = sin(pi x) sin(pi y), a = 2 + cos(pi x) cos(2 pi y): max error at cell centres."""
    x = (np.arange(n) + 0.5) / n
    X, Y = np.meshgrid(x, x, indexing="ij")
    pi = np.pi
    a = 2 + np.cos(pi * X) * np.cos(2 * pi * Y)
    u = np.sin(pi * X) * np.sin(pi * Y)
    a_x, a_y = -pi * np.sin(pi * X) * np.cos(2 * pi * Y), -2 * pi * np.cos(pi * X) * np.sin(2 * pi * Y)
    u_x, u_y = pi * np.cos(pi * X) * np.sin(pi * Y), pi * np.sin(pi * X) * np.cos(pi * Y)
    f = -(a_x * u_x + a_y * u_y - 2 * pi**2 * a * u)              # -div(a grad u)
    return np.abs(solve_darcy(a, f) - u).max()


def test_darcy_solver_converges_at_second_order():
    errors = [darcy_error(n) for n in (16, 32, 64)]
    orders = [math.log2(e1 / e2) for e1, e2 in zip(errors, errors[1:])]
    assert errors[-1] < 1e-3 and all(1.9 < p < 2.1 for p in orders), (errors, orders)


def test_darcy_constant_coefficient_is_symmetric_and_positive():
    u = solve_darcy(np.ones((16, 16)))
    assert (u > 0).all() and np.allclose(u, u.T) and np.allclose(u, u[::-1])
    with pytest.raises(ValueError, match="positive"):
        solve_darcy(-np.ones((4, 4)))


def test_darcy_coefficients_are_thresholded_grf():
    a = darcy_coefficients(3, DarcyConfig(resolution=16), torch.Generator().manual_seed(0))
    assert a.shape == (3, 16, 16) and set(a.unique().tolist()) <= {3.0, 12.0}


def test_burgers_matches_cole_hopf_with_fourth_order_in_time():
    x = torch.arange(64, dtype=torch.float64) / 64
    nu = 0.02
    exact = cole_hopf_solution(x, 0.5, nu, a=1.5)
    errors = [(solve_burgers(cole_hopf_solution(x, 0, nu, a=1.5)[None], nu, 0.5, dt)[0] - exact)
              .abs().max().item() for dt in (0.05, 0.025, 0.0125)]
    orders = [math.log2(e1 / e2) for e1, e2 in zip(errors, errors[1:])]
    assert errors[-1] < 1e-6 and all(p > 3.5 for p in orders), (errors, orders)


def test_datasets_are_cached_and_reproducible(temp_cache):
    config = DarcyConfig(resolution=8)
    first = darcy_dataset(4, config, seed=3)
    path = cache_path("darcy", {**config.__dict__, "n_samples": 4, "seed": 3, "version": 1})
    assert cache_dir() == temp_cache and path.exists()
    path.unlink()
    again = darcy_dataset(4, config, seed=3)                          # regenerated from the seed
    assert torch.equal(first["u"], again["u"]) and first["u"].shape == (4, 8, 8)
    assert not torch.equal(first["a"], darcy_dataset(4, config, seed=4)["a"])
    burgers = burgers_dataset(3, BurgersConfig(resolution=16, solver_resolution=64, dt=0.01))
    assert burgers["u0"].shape == burgers["u"].shape == (3, 16)
    assert len(list(temp_cache.glob("*.pt"))) == 3
    with pytest.raises(ValueError, match="multiple"):
        burgers_dataset(3, BurgersConfig(resolution=48, solver_resolution=64))
