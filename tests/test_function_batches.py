"""Operator losses take a new batch of input functions at call time (issue 14): a loop that
draws fresh functions each step needs no rebuilt loss, and TrainStep passes the batch through."""
import pytest
import torch

import sciml_teach as st


def _model():
    return st.DeepONet(st.DeepONetConfig(n_sensors=50, width=16, depth=2, n_features=16)).double()


@pytest.mark.parametrize("factory", [st.residual_loss, st.physics_loss])
def test_a_batch_at_call_time_equals_a_loss_built_on_it(factory):
    problem, model = st.ReactionDiffusion(), _model()
    bound, fresh, x = problem.sample_branch(3), problem.sample_branch(4), st.collocation_points(30)
    loss_fn = factory(problem, "zcs", bound, x)
    assert torch.equal(loss_fn(model, fresh), factory(problem, "zcs", fresh, x)(model))
    assert torch.equal(loss_fn(model), factory(problem, "zcs", bound, x)(model))  # today's form
    unbound = factory(problem, "zcs", None, x)
    assert torch.equal(unbound(model, branch=fresh), loss_fn(model, fresh))
    with pytest.raises(ValueError, match=r"loss_fn\(model, branch\)"):
        unbound(model)


def test_data_loss_takes_a_batch_with_its_target():
    model, x = _model(), st.collocation_points(30)
    v, u = torch.randn(3, 50, dtype=torch.float64), torch.randn(3, 30, dtype=torch.float64)
    v2, u2 = torch.randn(5, 50, dtype=torch.float64), torch.randn(5, 30, dtype=torch.float64)
    loss_fn = st.data_loss(v, x, u)
    assert torch.equal(loss_fn(model, v2, u2), st.data_loss(v2, x, u2)(model))
    assert torch.equal(st.data_loss(None, x, None)(model, v, u), loss_fn(model))
    with pytest.raises(ValueError, match="together with its target"):
        loss_fn(model, v2)


def test_train_step_draws_a_fresh_batch_each_step():
    problem = st.ReactionDiffusion()
    x, g = st.collocation_points(40), torch.Generator().manual_seed(1)
    model = _model().float()
    step = st.TrainStep(model, st.physics_loss(problem, "zcs", None, x), lr=1e-2)
    losses = [step(problem.sample_branch(4, generator=g)).item() for _ in range(30)]
    assert all(map(torch.isfinite, torch.tensor(losses)))
    assert sum(losses[-5:]) < sum(losses[:5]), "training on fresh batches should lower the loss"
