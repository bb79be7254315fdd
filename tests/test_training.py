import math

import torch

import sciml_teach as st


def _regression(scale: float = 1.0):
    x = torch.linspace(-1, 1, 64)[:, None]
    y = torch.sin(3 * x)

    def loss(model):
        return scale * (model(x.to(st.param_dtype(model))).float() - y).square().mean()

    return loss


def test_forced_overflow_is_diverged_not_an_exception():
    # 1e6 * a squared error overflows float16's 65504: the loop must stop and say so.
    history = st.train(st.MLP([1, 8, 1]), _regression(1e6), st.TrainConfig(steps=20, policy="fp16"))
    assert history.status == "diverged"
    assert "inf" in history.reason or "NaN" in history.reason
    assert history.steps < 20


def test_default_adam_eps_diverges_in_pure_float16():
    problem = st.Poisson1D(n_collocation=32)
    history = st.train_pinn(problem, st.TrainConfig(steps=10, policy="fp16", adam_eps=1e-8))
    assert history.status == "diverged" and history.steps == 1


def test_updates_rounding_to_zero_is_stalled():
    # lr far below bfloat16's ulp: every update rounds away.
    config = st.TrainConfig(steps=200, lr=1e-7, policy="bf16", stall_window=50)
    history = st.train(st.MLP([1, 8, 1]), _regression(), config)
    assert history.status == "stalled"
    assert "round to zero" in history.reason
    assert history.frozen_fraction[-1] > 0.9


def test_float32_with_the_same_settings_is_not_stalled():
    config = st.TrainConfig(steps=200, lr=1e-3, policy="fp32", stall_window=50)
    history = st.train(st.MLP([1, 8, 1]), _regression(), config)
    assert history.status == "ok" and history.frozen_fraction[-1] < 0.1


def test_amp_fp16_skips_inf_steps_and_lowers_the_scale():
    history = st.train(st.MLP([1, 8, 1]), _regression(), st.TrainConfig(steps=30, policy="amp-fp16"))
    assert history.status == "ok"
    assert history.loss_scale[0] == 65536.0
    # a skipped step halves the scale; clean steps keep it
    for s, (a, b) in zip(history.skipped, zip(history.loss_scale, history.loss_scale[1:])):
        assert b == (a / 2 if s else a)


def test_history_records_every_field_and_calls_callbacks():
    events = []

    class Recorder(st.Callback):
        def on_train_start(self, h): events.append("start")
        def on_step(self, h): events.append(h.steps)
        def on_train_end(self, h): events.append("end")

    problem = st.Poisson1D(n_collocation=16)
    history = st.train_pinn(problem, st.TrainConfig(steps=5, error_every=2), [Recorder()])
    assert events == ["start", 1, 2, 3, 4, 5, "end"]
    for name in ["loss", "grad_norm", "loss_scale", "nonfinite_grads", "frozen_fraction", "skipped",
                 "step_time_s", "memory_bytes"]:
        assert len(getattr(history, name)) == 5, name
    assert history.error_steps == [2, 4, 5]
    assert all(math.isfinite(e) for e in history.error)
    assert history.memory_kind == "autograd_saved"


def test_bad_config_values_are_clear_errors():
    import pytest
    with pytest.raises(ValueError, match="steps"):
        st.TrainConfig(steps=0)
    with pytest.raises(ValueError, match="valid names"):
        st.TrainConfig(policy="fp8")
