"""Derivative strategies: each against the others and against a closed form, in float64.

Leng et al. 2024 (arXiv:2311.00860): FuncLoop, DataVect and ZCS give identical derivatives; we
add forward mode. Also: the parameter gradient of a PDE loss agrees, and the saved-bytes ratios
(deterministic) show ZCS's memory advantage.
"""
import math

import pytest
import torch

from sciml_teach import (STRATEGIES, DeepONet, DeepONetConfig, ReactionDiffusion, TrainConfig,
                         get_strategy, physics_loss, residual_loss, saved_bytes, train)
from sciml_teach.derivatives import DerivativeStrategy

REQUESTS = [(1, 0), (0, 1), (2, 0), (1, 1), (3, 0), (4, 0), (2, 2), (0, 4)]


class SineFeatures(torch.nn.Module):
    """Trunk features sin(x W + c), whose derivatives are known in closed form."""

    def __init__(self, dims: int, n_features: int):
        super().__init__()
        self.W = torch.nn.Parameter(torch.randn(dims, n_features, dtype=torch.float64))
        self.c = torch.nn.Parameter(torch.randn(n_features, dtype=torch.float64))

    def forward(self, x):
        return torch.sin(x @ self.W + self.c)                 # (N, K)

    def derivative(self, x, request):
        """d^r sin(x.w + c) = prod_d w_d^r_d * sin(x.w + c + |r| pi / 2)."""
        scale = torch.prod(self.W ** torch.tensor(request, dtype=torch.float64)[:, None], dim=0)
        return scale * torch.sin(x @ self.W + self.c + sum(request) * math.pi / 2)  # (N, K)


def _sine_deeponet(seed=0):
    torch.manual_seed(seed)
    config = DeepONetConfig(n_sensors=4, coord_dims=2, width=8, depth=2, n_features=6)
    model = DeepONet(config).double()
    model.trunk = SineFeatures(2, 6)
    return model


def _inputs(M=3, N=5, m=4, seed=1):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(M, m, generator=g, dtype=torch.float64),
            torch.rand(N, 2, generator=g, dtype=torch.float64))


def _rel(a, b):
    return float((a - b).detach().abs().max() / b.detach().abs().max())


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_strategy_matches_closed_form(name):
    model, (v, x) = _sine_deeponet(), _inputs()
    fields = get_strategy(name).fields(model, v, x, REQUESTS)
    b = model.branch_features(v)[:, 0, :]                     # (M, K)
    for r in REQUESTS:
        exact = b @ model.trunk.derivative(x, r).T            # (M, N)
        assert _rel(fields[r], exact) <= 1e-10, f"{name} {r}"
    assert _rel(fields[(0, 0)], model(v, x)) <= 1e-12


def test_all_strategies_agree_on_a_tanh_deeponet():
    torch.manual_seed(0)
    model = DeepONet(DeepONetConfig(n_sensors=4, width=16, depth=3, n_features=8)).double()
    v, x = _inputs(M=4, N=6)
    results = {n: get_strategy(n).fields(model, v, x, REQUESTS) for n in STRATEGIES}
    for name, fields in results.items():
        for r in REQUESTS:
            assert _rel(fields[r], results["zcs"][r]) <= 1e-10, f"{name} vs zcs on {r}"


def test_funcloop_runs_the_trunk_once_as_the_authors_did():
    # Leng et al.'s FuncLoop (DeepXDE's PDEOperatorCartesianProd in their code): one
    # Cartesian-product forward pass on the N shared points, then a loop of derivative graphs.
    torch.manual_seed(0)
    model = DeepONet(DeepONetConfig(n_sensors=4, width=16, depth=2, n_features=8)).double()
    calls = []
    model.trunk.register_forward_hook(lambda module, inputs, output: calls.append(inputs[0].shape))
    v, x = _inputs(M=5, N=6)
    fields = get_strategy("funcloop").fields(model, v, x, [(2, 0), (0, 1)])
    assert calls == [torch.Size([6, 2])], "one trunk pass on the N points, not one per function"
    reference = get_strategy("forward").fields(model, v, x, [(2, 0), (0, 1)])
    for r in [(0, 0), (2, 0), (0, 1)]:
        assert _rel(fields[r], reference[r]) <= 1e-12, r


def test_funcloop_with_no_functions_gives_empty_fields():
    model, (_, x) = _sine_deeponet(), _inputs()
    fields = get_strategy("funcloop").fields(model, torch.zeros(0, 4, dtype=torch.float64), x, [(2, 0)])
    assert fields[(2, 0)].shape == (0, 5) and fields[(0, 0)].shape == (0, 5)


def test_tanh_deeponet_second_derivative_matches_finite_differences():
    torch.manual_seed(0)
    model = DeepONet(DeepONetConfig(n_sensors=4, width=16, depth=2, n_features=8)).double()
    v, x = _inputs()
    h = 1e-4
    shift = torch.tensor([h, 0.0], dtype=torch.float64)
    fd = (model(v, x + shift) - 2 * model(v, x) + model(v, x - shift)) / h**2
    assert _rel(get_strategy("zcs").fields(model, v, x, [(2, 0)])[(2, 0)], fd) <= 1e-5


def _param_grad(model, loss):
    grads = torch.autograd.grad(loss, list(model.parameters()))
    return torch.cat([g.reshape(-1) for g in grads])


@pytest.mark.parametrize("name", ["funcloop", "datavect", "forward"])
def test_pde_loss_parameter_gradients_agree(name):
    problem = ReactionDiffusion(n_sensors=4)
    torch.manual_seed(0)
    model = DeepONet(DeepONetConfig(n_sensors=4, width=16, depth=2, n_features=8)).double()
    v, x = _inputs()
    reference = _param_grad(model, physics_loss(problem, "zcs", v, x)(model))
    grad = _param_grad(model, physics_loss(problem, name, v, x)(model))
    assert _rel(grad, reference) <= 1e-10


def test_zcs_combination_equals_sum_of_fields():
    model, (v, x) = _sine_deeponet(), _inputs()
    coefficients = {(0, 1): 1.0, (2, 0): -0.01, (2, 2): 3.0}
    fields = get_strategy("datavect").fields(model, v, x, coefficients)
    expected = sum(c * fields[r] for r, c in coefficients.items())
    assert _rel(get_strategy("zcs").combination(model, v, x, coefficients), expected) <= 1e-12


def test_zcs_returns_u_beside_the_combination():
    model, (v, x) = _sine_deeponet(), _inputs()
    coefficients = {(0, 1): 1.0, (2, 0): -0.01}
    zcs = get_strategy("zcs")
    u, combined = zcs.field_and_combination(model, v, x, coefficients)
    assert torch.equal(u, model(v, x))
    assert torch.equal(combined, zcs.combination(model, v, x, coefficients))


def test_training_is_identical_under_every_strategy():
    problem = ReactionDiffusion(n_sensors=4)
    v, x = _inputs(M=3, N=8)
    losses = {}
    for name in STRATEGIES:
        torch.manual_seed(0)
        model = DeepONet(DeepONetConfig(n_sensors=4, width=8, depth=2, n_features=4))
        history = train(model, physics_loss(problem, name, v, x),
                        TrainConfig(steps=3, policy="fp64", seed=None))
        losses[name] = history.loss
    for name, loss in losses.items():
        assert loss == pytest.approx(losses["zcs"], rel=1e-10), name


@pytest.mark.parametrize("policy", ["fp32", "amp-bf16"])
def test_training_runs_under_mixed_precision(policy):
    v, x = _inputs(M=3, N=8)
    model = DeepONet(DeepONetConfig(n_sensors=4, width=8, depth=2, n_features=4))
    history = train(model, physics_loss(ReactionDiffusion(n_sensors=4), "zcs", v, x),
                    TrainConfig(steps=3, policy=policy))
    assert history.status == "ok" and all(math.isfinite(loss) for loss in history.loss)


def test_zcs_saves_much_less_than_datavect_and_funcloop_and_is_flat_in_m():
    torch.manual_seed(0)
    model = DeepONet(DeepONetConfig(n_sensors=4, width=32, depth=2, n_features=32))
    problem = ReactionDiffusion(n_sensors=4)
    x = torch.rand(128, 2, dtype=torch.float64)

    def memory(name, M):
        v = torch.randn(M, 4, dtype=torch.float64)
        return saved_bytes(lambda: residual_loss(problem, name, v, x)(model).backward())
    zcs_small, zcs_large = memory("zcs", 8), memory("zcs", 64)
    assert zcs_large <= 1.2 * zcs_small, "ZCS memory should barely grow with M"
    assert memory("datavect", 64) >= 10 * zcs_large
    assert memory("funcloop", 64) >= 10 * zcs_large


def test_unknown_strategy_lists_the_valid_names():
    with pytest.raises(ValueError, match="funcloop, datavect, zcs, forward"):
        get_strategy("zsc")


def test_strategy_object_passes_through():
    strategy = get_strategy("zcs")
    assert get_strategy(strategy) is strategy and isinstance(strategy, DerivativeStrategy)


def test_bad_request_is_a_clear_error():
    model, (v, x) = _sine_deeponet(), _inputs()
    with pytest.raises(ValueError, match="2 non-negative integer orders"):
        get_strategy("zcs").fields(model, v, x, [(2,)])


def test_multi_output_model_is_refused():
    model = DeepONet(DeepONetConfig(n_sensors=4, width=8, depth=1, n_features=4, n_outputs=2))
    with pytest.raises(ValueError, match="single-output"):
        get_strategy("zcs").fields(model, torch.randn(2, 4), torch.rand(3, 2), [(1, 0)])
