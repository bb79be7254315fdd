import pytest
import torch

import sciml_teach as st


def test_lookup_by_name_and_object():
    policy = st.get_policy("amp-fp16")
    assert st.get_policy(policy) is policy
    assert policy.param_dtype == torch.float32 and policy.compute_dtype == torch.float16


def test_unknown_policy_lists_valid_names():
    with pytest.raises(ValueError, match="fp32.*amp-bf16"):
        st.get_policy("float8")


def test_policies_are_frozen():
    with pytest.raises(Exception):
        st.get_policy("fp32").name = "x"


@pytest.mark.parametrize("name", list(st.POLICIES))
def test_every_policy_runs_a_training_step(name):
    problem = st.Poisson1D(n_collocation=16)
    history = st.train_pinn(problem, st.TrainConfig(steps=2, policy=name, adam_eps=1e-4))
    assert history.status == "ok" and history.steps == 2
    model_dtype = st.get_policy(name).param_dtype
    assert history.memory_bytes[0] > 0
    assert model_dtype in (torch.float64, torch.float32, torch.float16, torch.bfloat16)


def test_two_policies_side_by_side_do_not_leak():
    """fp32 and AMP in one process: no global default dtype is changed."""
    a = st.get_policy("fp16").cast_model(st.MLP([1, 4, 1]))
    b = st.get_policy("fp32").cast_model(st.MLP([1, 4, 1]))
    assert st.param_dtype(a) == torch.float16 and st.param_dtype(b) == torch.float32
    assert torch.get_default_dtype() == torch.float32
    with st.get_policy("amp-bf16").autocast_context("cpu"):
        y = b(torch.ones(3, 1))
    assert y.dtype == torch.bfloat16
    assert b(torch.ones(3, 1)).dtype == torch.float32  # outside the context: float32 again


def test_scaler_is_a_no_op_unless_float16_amp():
    assert st.get_policy("amp-fp16").make_scaler("cpu").is_enabled()
    for name in ["fp32", "fp16", "bf16", "amp-bf16"]:
        assert not st.get_policy(name).make_scaler("cpu").is_enabled()
    assert not st.get_policy("amp-fp16").make_scaler("cpu", enabled=False).is_enabled()


def test_loss_scaling_needs_float32_master_weights():
    with pytest.raises(ValueError, match="float32 master weights"):
        st.TrainConfig(policy="fp16", loss_scaling=True)
