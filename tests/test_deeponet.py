"""DeepONet in Cartesian-product form: shapes, errors, pairs form, every precision policy."""
import pytest
import torch

from sciml_teach import POLICIES, DeepONet, DeepONetConfig, get_policy

SMALL = DeepONetConfig(n_sensors=6, coord_dims=2, width=8, depth=2, n_features=5)


def test_output_shape_is_functions_by_points():
    model = DeepONet(SMALL)
    assert model(torch.randn(3, 6), torch.rand(7, 2)).shape == (3, 7)


def test_several_output_fields():
    model = DeepONet(DeepONetConfig(n_sensors=6, width=8, depth=1, n_features=5, n_outputs=3))
    assert model(torch.randn(3, 6), torch.rand(7, 2)).shape == (3, 7, 3)


def test_bias_is_added():
    model = DeepONet(SMALL)
    v, x = torch.randn(2, 6), torch.rand(4, 2)
    before = model(v, x)
    with torch.no_grad():
        model.bias.fill_(0.5)
    assert torch.allclose(model(v, x), before + 0.5)


@pytest.mark.parametrize("branch_shape, points_shape, expected", [
    ((3, 5), (7, 2), "(M, 6)"), ((3, 6), (7, 3), "(N, 2)"), ((3, 6), (7,), "(N, 2)")])
def test_shape_errors_name_the_expected_shape(branch_shape, points_shape, expected):
    with pytest.raises(ValueError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        DeepONet(SMALL)(torch.randn(branch_shape), torch.rand(points_shape))


def test_bad_config_is_a_clear_error():
    with pytest.raises(ValueError, match="n_features"):
        DeepONetConfig(n_features=0)


def test_pairs_form_matches_product_form():
    model = DeepONet(SMALL).double()
    v, x = torch.randn(3, 6, dtype=torch.float64), torch.rand(4, 2, dtype=torch.float64)
    b = model.branch_features(v).repeat_interleave(4, dim=0)      # (M*N, C, K)
    t = model.trunk_features(x.repeat(3, 1))                      # (M*N, C, K)
    assert torch.allclose(model.combine_pairs(b, t).reshape(3, 4), model(v, x))


@pytest.mark.parametrize("name", list(POLICIES))
def test_every_precision_policy_runs_forward_and_backward(name):
    policy = get_policy(name)
    model = policy.cast_model(DeepONet(SMALL))
    v, x = policy.cast_input(torch.randn(2, 6)), policy.cast_input(torch.rand(3, 2))
    with policy.autocast_context("cpu"):
        loss = model(v, x).float().square().mean()
    loss.backward()
    assert torch.isfinite(loss)
    assert all(p.grad is not None and p.grad.dtype == policy.param_dtype for p in model.parameters())
