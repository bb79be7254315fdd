"""Data follows the model (placement), metrics in float64, and a float64 run stays float64."""
import pytest
import torch

import sciml_teach as st
from sciml_teach.experiments.fno_settings import loss_and_error


def test_to_model_casts_floats_and_only_moves_integers():
    model = torch.nn.Linear(2, 1).to(torch.float16)
    x, idx = st.to_model(model, torch.ones(3, 2, dtype=torch.float64), torch.arange(3))
    assert x.dtype == torch.float16 and idx.dtype == torch.int64
    assert st.model_device(model) == x.device == idx.device
    assert st.param_dtype(model) == torch.float16


@pytest.mark.parametrize("dtype, expected", [(torch.float16, torch.float32),
                                             (torch.bfloat16, torch.float32),
                                             (torch.float32, torch.float32),
                                             (torch.float64, torch.float64)])
def test_upcast_never_downcasts(dtype, expected):
    assert st.upcast(torch.ones(2, dtype=dtype)).dtype == expected


def test_relative_errors_against_a_hand_computed_value():
    reference = torch.tensor([[3.0, 4.0], [0.0, 2.0]])                 # (B, K), norms 5 and 2
    prediction = reference + torch.tensor([[0.0, 0.5], [0.0, 0.1]])    # errors 0.5 and 0.1
    assert st.relative_l2(prediction, reference) == pytest.approx(0.26**0.5 / 29**0.5)
    assert st.mean_relative_l2(prediction, reference) == pytest.approx((0.5 / 5 + 0.1 / 2) / 2)
    with pytest.raises(ValueError, match="expected"):
        st.mean_relative_l2(prediction[:1], reference)


def test_a_float64_run_stays_float64_end_to_end():
    poisson = st.Poisson1D(n_collocation=8, n_test=16)
    assert poisson.loss(poisson.make_model(width=4, depth=1).double()).dtype == torch.float64

    rd = st.ReactionDiffusion(n_sensors=5)
    g = torch.Generator().manual_seed(0)
    v, x = rd.sample_branch(2, g), st.collocation_points(6, 2, g)
    deeponet = st.DeepONet(st.DeepONetConfig(n_sensors=5, coord_dims=2, width=8, n_features=4))
    assert st.physics_loss(rd, "zcs", v, x)(deeponet.double()).dtype == torch.float64

    a = torch.randn(4, 1, 16)
    data = {"a_train": a, "u_train": a.sin(), "a_test": a, "u_test": a.sin()}
    fno = st.FNO(st.FNOConfig(modes=(4,), width=8)).double()
    loss_fn, error_fn = loss_and_error(data, scale=1.0, batch=2, device=torch.device("cpu"))
    assert loss_fn(fno).dtype == torch.float64 and error_fn(fno) > 0
