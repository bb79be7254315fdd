import math

import numpy as np
import pytest
import torch

import sciml_teach as st
from sciml_teach.problems.burgers_pinn import NU


class Closed(torch.nn.Module):
    """A 'network' that is a closed-form function, to check residuals against hand derivatives."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn
        self.dummy = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))

    def forward(self, x):
        return self.fn(x) + self.dummy


def test_cole_hopf_satisfies_burgers_by_finite_differences():
    h = 1e-4
    x, t = np.array([-0.5, 0.3, 0.7, 0.05]), np.array([0.2, 0.5, 0.8, 0.6])
    u = st.cole_hopf
    u_t = (u(x, t + h) - u(x, t - h)) / (2 * h)
    u_x = (u(x + h, t) - u(x - h, t)) / (2 * h)
    u_xx = (u(x + h, t) - 2 * u(x, t) + u(x - h, t)) / h**2
    assert np.abs(u_t + u(x, t) * u_x - NU * u_xx).max() < 1e-5


def test_cole_hopf_initial_and_boundary_values():
    x = np.linspace(-1, 1, 11)
    assert np.allclose(st.cole_hopf(x, 0 * x), -np.sin(np.pi * x))
    t = np.linspace(0.1, 1, 5)
    assert np.abs(st.cole_hopf(np.ones_like(t), t)).max() < 1e-10
    assert np.abs(st.cole_hopf(-np.ones_like(t), t)).max() < 1e-10


def test_cole_hopf_converges_in_quadrature_nodes():
    x, t = np.linspace(-0.9, 0.9, 19), np.full(19, 0.7)
    coarse, fine = st.cole_hopf(x, t, n_nodes=60), st.cole_hopf(x, t, n_nodes=200)
    assert np.abs(coarse - fine).max() < 1e-6
    with pytest.raises(ValueError):
        st.cole_hopf(x, t, n_nodes=400)


def test_burgers_residual_matches_hand_derivatives():
    problem = st.BurgersPINN(n_collocation=50)
    xt = problem.xt
    model = Closed(lambda z: (z[:, :1] ** 3) * z[:, 1:])  # u = x^3 t
    x, t = xt[:, :1], xt[:, 1:]
    expected = x**3 + (x**3 * t) * (3 * x**2 * t) - NU * 6 * x * t
    assert torch.allclose(problem.residual(model, xt), expected, atol=1e-12)


def test_poisson_exact_solution_has_zero_loss():
    for amplitude in [1.0, 1e-3]:
        problem = st.Poisson1D(amplitude=amplitude, frequency=2)
        model = Closed(lambda x: amplitude * torch.sin(2 * math.pi * x))
        assert problem.loss(model).item() < 1e-20
        assert problem.relative_l2_error(model) < 1e-12


def test_relative_l2_checks_shapes():
    assert st.relative_l2(torch.ones(4), torch.ones(4)) == 0
    with pytest.raises(ValueError):
        st.relative_l2(torch.ones(4), torch.ones(5))


def test_fp32_pinn_learns_poisson():
    history = st.train_pinn(st.Poisson1D(), st.TrainConfig(steps=400, error_every=100))
    assert history.status == "ok" and history.final_error < 0.05


def test_grf_1d_matches_its_kernel():
    x = torch.linspace(0, 1, 30)
    v = st.grf_1d(4000, x, length_scale=0.2, generator=torch.Generator().manual_seed(0))
    empirical = (v.T @ v / len(v))  # (N, N) sample covariance
    exact = torch.exp(-(x[:, None] - x[None, :]).double() ** 2 / (2 * 0.2**2))
    assert (empirical - exact).abs().max() < 0.1


@pytest.mark.parametrize("dims", [1, 2])
def test_grf_periodic_has_unit_variance_and_is_periodic(dims):
    v = st.grf_periodic(300, 32, dims=dims, length_scale=0.1, generator=torch.Generator().manual_seed(0))
    assert v.shape == (300,) + (32,) * dims
    assert v.var(0).mean().item() == pytest.approx(1.0, rel=0.15)


def test_grf_bad_input():
    with pytest.raises(ValueError):
        st.grf_1d(0, torch.linspace(0, 1, 5))
    with pytest.raises(ValueError):
        st.grf_periodic(2, 8, dims=3)
