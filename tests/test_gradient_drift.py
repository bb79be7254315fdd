"""Float16 against float32 gradients (lesson 02, Diagnosis 4), checked against independent
references: closed-form angles and distances, a closed-form least-squares gradient in float64,
and a float32 Adam loop written out by hand."""
import copy
import math

import pytest
import torch

import sciml_teach as st
from sciml_teach.experiments.gradient_drift import flat_gradient, half_gradient


class LeastSquares:
    """loss(w, b) = mean((x·w + b - y)^2): its gradient is known in closed form."""

    def __init__(self, n: int = 64, d: int = 4):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, d, generator=g, dtype=torch.float64)          # (N, D)
        self.y = torch.randn(n, 1, generator=g, dtype=torch.float64)          # (N, 1)

    def make_model(self, width=None, depth=None):
        return torch.nn.Linear(self.x.shape[1], 1)

    def loss(self, model):
        x, y = st.to_model(model, self.x, self.y)                             # data follows the model
        return (model(x) - y).square().mean()

    def exact_gradient(self, model):
        w, b = model.weight.detach().double(), model.bias.detach().double()   # (1, D), (1,)
        r = self.x @ w.T + b - self.y                                          # (N, 1)
        return torch.cat([(2 * r * self.x).mean(0), (2 * r).mean(0)])          # (D + 1,)


def test_gradient_gap_matches_the_closed_form_angle_and_distance():
    theta, r = 0.3, 1.5
    g32 = torch.tensor([2.0, 0.0], dtype=torch.float64)
    g16 = torch.tensor([2 * r * math.cos(theta), 2 * r * math.sin(theta)], dtype=torch.float64)
    distance, cosine = st.gradient_gap(g16, g32)
    assert cosine == pytest.approx(math.cos(theta), rel=1e-12)
    assert distance == pytest.approx(math.hypot(r * math.cos(theta) - 1, r * math.sin(theta)), rel=1e-12)
    with pytest.raises(ValueError, match="one shape"):
        st.gradient_gap(torch.zeros(3), torch.zeros(2))


def test_half_gradient_against_the_closed_form():
    problem = LeastSquares()
    torch.manual_seed(0)
    model = problem.make_model()
    exact = problem.exact_gradient(model)
    g32, g16 = flat_gradient(model, problem.loss), half_gradient(model, problem.loss, "float16")
    assert g16.dtype == torch.float64 and g16.shape == exact.shape
    assert ((g32 - exact).norm() / exact.norm()).item() < 1e-6               # float32 rounding
    error16 = ((g16 - exact).norm() / exact.norm()).item()
    assert 1e-5 < error16 < 2e-2                                             # float16: a few ulps
    assert model.weight.dtype == torch.float32                               # the model is not cast


def adam_losses_by_hand(problem, steps, every, seed=0):
    torch.manual_seed(seed)
    model = problem.make_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for step in range(steps + 1):
        if step % every == 0 or step == steps:
            losses.append(problem.loss(model).item())
        if step < steps:
            opt.zero_grad()
            problem.loss(model).backward()
            opt.step()
    return losses


def test_gradient_drift_follows_a_float32_adam_run_and_compares_at_its_weights():
    problem = LeastSquares()
    drift = st.gradient_drift(problem, steps=30, every=7, device="cpu")
    assert drift.steps == [0, 7, 14, 21, 28, 30] and drift.dtype == "float16"
    assert drift.loss == pytest.approx(adam_losses_by_hand(problem, 30, 7), rel=1e-6)
    torch.manual_seed(0)
    model = problem.make_model()
    first = st.gradient_gap(half_gradient(model, problem.loss), problem.exact_gradient(model))
    assert drift.distance[0] == pytest.approx(first[0], rel=1e-3)            # vs the float64 truth
    assert all(0 < d < 2e-2 for d in drift.distance) and min(drift.cosine) > 0.999


def test_a_float32_gradient_in_place_of_the_half_one_shows_no_drift():
    problem = LeastSquares()
    same = st.gradient_drift(problem, steps=10, every=5, dtype="float32")
    assert same.distance == [0.0] * 3 and same.cosine == pytest.approx([1.0] * 3, abs=1e-12)
    paths = st.trajectory_drift(problem, steps=10, every=5, dtype="float32", half_eps=1e-8)
    assert paths.distance == [0.0] * 3                                        # two identical runs


def test_trajectory_drift_starts_at_the_same_weights_then_runs_apart():
    problem = st.Poisson1D(n_collocation=32)
    same = st.gradient_drift(problem, steps=60, every=30, width=8, depth=2)
    paths = st.trajectory_drift(problem, steps=60, every=30, width=8, depth=2)
    assert paths.distance[0] == pytest.approx(same.distance[0], rel=1e-9)    # same initial weights
    assert paths.loss == pytest.approx(same.loss, rel=1e-6)                  # the same float32 run
    assert paths.norm16[-1] != same.norm16[-1]                               # its own weights


@pytest.mark.parametrize("kwargs, message", [({"steps": 0, "every": 1}, "steps"),
                                             ({"steps": 5, "every": 1.5}, "every"),
                                             ({"steps": 5, "every": 1, "dtype": "float8"}, "float8")])
def test_bad_input_is_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        st.gradient_drift(LeastSquares(), **kwargs)
