"""st.descent_trace (lesson 03): the gradients it records are the float32 and the AMP gradients at
the step's weights, and its secant L is the authors' estimate -- checked against independent
references: an autograd gradient computed here, and a quadratic whose Hessian is known."""
import math

import pytest
import torch

import sciml_teach as st


class Quadratic:
    """loss(W) = 1/2 sum_ij d_j^2 W_ij^2 (a bias-free linear layer on diag(d)): Hessian diag(d^2),
    so every secant ||g_k - g_(k-1)|| / ||W_k - W_(k-1)|| lies in [min d^2, max d^2]."""
    d = torch.tensor([1.0, 2.0, 3.0, 4.0])

    def make_model(self):
        return torch.nn.Linear(4, 3, bias=False)

    def loss(self, model):
        out = model(torch.diag(self.d).to(model.weight.device))   # (4, 3) = diag(d) W^T
        return 0.5 * out.float().square().sum()


def test_secant_lies_between_the_hessians_extreme_eigenvalues():
    trace = st.descent_trace(Quadratic(), 40, device="cpu")
    finite = [lip for lip in trace.lipschitz if math.isfinite(lip)]
    assert len(finite) >= 30
    assert all(0.99 <= lip <= 16 * 1.01 for lip in finite), (min(finite), max(finite))


def test_recorded_gradients_are_the_float32_and_amp_gradients_at_the_weights():
    problem = st.Poisson1D(n_collocation=32)
    trace = st.descent_trace(problem, 10, device="cpu")
    torch.manual_seed(0)
    model = problem.make_model()
    weights = [p for p in model.parameters() if p.ndim >= 2]      # matrices only, as the authors
    theta0 = torch.cat([w.detach().reshape(-1) for w in weights])
    grad0 = torch.cat([g.reshape(-1) for g in torch.autograd.grad(problem.loss(model), weights)])
    first = trace.steps.index(0) if 0 in trace.steps else None
    if first is not None:                                          # step 0 not skipped by the scaler
        assert torch.equal(trace.theta[first], theta0)
        assert torch.allclose(trace.grad[first], grad0, rtol=1e-5, atol=1e-6)
    assert trace.theta.shape[1] == theta0.numel()
    cos = torch.nn.functional.cosine_similarity(trace.grad, trace.grad_mixed, dim=1)
    assert (cos > 0.99).all(), "AMP gradients are float16-rounded versions of the float32 ones"
    lip = [(trace.grad[i] - trace.grad[i - 1]).norm() / (trace.theta[i] - trace.theta[i - 1]).norm()
           for i in range(1, len(trace.steps)) if math.isfinite(trace.lipschitz[i])]
    assert torch.allclose(torch.stack(lip), torch.tensor([x for x in trace.lipschitz if math.isfinite(x)]))


def test_holds_compares_the_margin_with_c():
    trace = st.descent_trace(st.Poisson1D(n_collocation=32), 12, device="cpu")
    margin = trace.margin()
    assert trace.holds(0.0) == [math.isfinite(m) for m in margin]
    assert not any(trace.holds(float("inf")))


@pytest.mark.parametrize("kwargs, words", [({"steps": 1}, ["steps", ">= 2"]),
                                           ({"steps": 10, "loss_weight": 0.0}, ["loss_weight", "> 0"])])
def test_bad_input_is_named(kwargs, words):
    with pytest.raises(ValueError) as err:
        st.descent_trace(st.Poisson1D(), **kwargs)
    assert all(w in str(err.value) for w in words), str(err.value)
