import math

import pytest

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
                 "step_time_s", "diagnostics_time_s", "diagnosed_steps"]:
        assert len(getattr(history, name)) == 5, name
    assert history.memory_steps == [0] and history.memory_bytes[0] > 0  # memory_every=100
    assert history.error_steps == [2, 4, 5]
    assert all(math.isfinite(e) for e in history.error)
    assert history.memory_kind == "autograd_saved"


def test_bad_config_values_are_clear_errors():
    import pytest
    with pytest.raises(ValueError, match="steps"):
        st.TrainConfig(steps=0)
    with pytest.raises(ValueError, match="valid names"):
        st.TrainConfig(policy="fp8")


def test_the_timed_step_holds_only_forward_backward_and_update(monkeypatch):
    # Diagnostics (parameter snapshots, gradient statistics) must run outside the clock: count
    # what the timed call does by patching the diagnostics helpers to record when they run.
    import sciml_teach.training as training
    inside = {"now": False, "diagnostics_inside": 0}
    real_run, real_flat = training._run_step, training._flat_params

    def run(step, meter):
        inside["now"] = True
        try:
            return real_run(step, meter)
        finally:
            inside["now"] = False

    def flat(model):
        inside["diagnostics_inside"] += inside["now"]
        return real_flat(model)

    monkeypatch.setattr(training, "_run_step", run)
    monkeypatch.setattr(training, "_flat_params", flat)
    history = st.train(st.MLP([1, 8, 1]), _regression(), st.TrainConfig(steps=5))
    assert inside["diagnostics_inside"] == 0
    assert len(history.frozen_fraction) == 5 and all(t >= 0 for t in history.diagnostics_time_s)


def test_diagnose_every_thins_the_diagnostics_but_not_the_loss():
    config = st.TrainConfig(steps=10, diagnose_every=4, memory_every=5)
    history = st.train(st.MLP([1, 8, 1]), _regression(), config)
    assert history.steps == 10 and len(history.loss) == 10
    assert history.diagnosed_steps == [0, 4, 8, 9]  # and always the last step
    assert history.memory_steps == [0, 5]
    # on a CPU the metered steps are not timed (the counting hooks would slow them down)
    timed = [i for i, t in enumerate(history.step_time_s) if math.isfinite(t)]
    assert timed == [1, 2, 3, 4, 6, 7, 8, 9]


def test_train_step_is_a_public_step_for_your_own_loop():
    torch.manual_seed(0)
    model = st.MLP([1, 8, 1])
    step = st.TrainStep(model, _regression(), policy="amp-fp16")
    losses = [step().item() for _ in range(50)]
    assert step.scaler.is_enabled() and step.scale() > 1
    assert losses[-1] < losses[0]
    # the same 50 steps through train() end at the same loss: train() adds only bookkeeping
    torch.manual_seed(0)
    history = st.train(st.MLP([1, 8, 1]), _regression(),
                       st.TrainConfig(steps=50, policy="amp-fp16", seed=None))
    assert history.loss == pytest.approx(losses, rel=1e-6)


def test_train_config_rejects_nonsense_values():
    for field, value in [("error_every", 0), ("diagnose_every", 0), ("memory_every", -1),
                         ("stall_window", 0), ("lr", -1e-3), ("adam_eps", float("nan")),
                         ("steps", 2.5), ("device", "tpu"), ("memory_kind", "rss")]:
        with pytest.raises(ValueError, match=field):
            st.TrainConfig(**{field: value})


def test_lessons_count_saved_bytes_unless_asked_for_the_cuda_peak():
    # Saved bytes are the same number on every machine, so a lesson's memory check holds on a
    # laptop and on Colab alike; benchmarks ask for "auto" (the CUDA peak on a GPU).
    assert st.TrainConfig().memory_kind == "autograd_saved"
    history = st.train(st.MLP([1, 8, 1]), _regression(), st.TrainConfig(steps=2, memory_kind="auto",
                                                                         device="cpu"))
    assert history.memory_kind == "autograd_saved"  # "auto" on a CPU
    with pytest.raises(ValueError, match="cuda_peak"):
        st.train(st.MLP([1, 8, 1]), _regression(), st.TrainConfig(steps=2, memory_kind="cuda_peak",
                                                                  device="cpu"))


def _plain_amp_losses(dtype: torch.dtype, steps: int, max_norm: float) -> list[float]:
    """The AMP step written out in plain torch (lesson 03's cell), independent of sciml_teach."""
    torch.manual_seed(0)
    model, loss_fn = st.MLP([1, 8, 1]), _regression()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-8)
    scaler = torch.amp.GradScaler("cpu", enabled=dtype == torch.float16)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device_type="cpu", dtype=dtype):
            loss = loss_fn(model)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        scaler.step(optimizer)
        scaler.update()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("policy, dtype", [("amp-fp16", torch.float16), ("amp-bf16", torch.bfloat16)])
def test_train_step_is_the_plain_torch_amp_step_bit_for_bit(policy, dtype):
    plain = _plain_amp_losses(dtype, 25, max_norm=0.5)
    assert plain != _plain_amp_losses(dtype, 25, max_norm=1e9), "the test's clipping should act"
    torch.manual_seed(0)
    step = st.TrainStep(st.MLP([1, 8, 1]), _regression(), policy, max_norm=0.5)
    assert [step().item() for _ in range(25)] == plain
    # train() runs the same step, with TrainConfig.max_norm
    torch.manual_seed(0)
    history = st.train(st.MLP([1, 8, 1]), _regression(),
                       st.TrainConfig(steps=25, policy=policy, max_norm=0.5, seed=None, device="cpu"))
    assert history.loss == plain


def test_max_norm_must_be_positive():
    with pytest.raises(ValueError, match="max_norm"):
        st.TrainStep(st.MLP([1, 4, 1]), _regression(), max_norm=0.0)
    with pytest.raises(ValueError, match="max_norm"):
        st.TrainConfig(max_norm=-1.0)
