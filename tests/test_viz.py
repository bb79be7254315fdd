import sciml_teach as st
from sciml_teach.viz.panels import describe_html

PNG = b"\x89PNG"


def _panel(steps=20):
    problem = st.Poisson1D(n_collocation=16)
    return st.PrecisionPanel(lambda config, callbacks: st.train_pinn(problem, config, callbacks),
                             st.TrainConfig(steps=steps, error_every=10), policies=["fp32", "amp-bf16", "fp16"])


def test_pressing_train_runs_the_chosen_policy_and_draws():
    panel = _panel()
    panel.policy.value = "amp-bf16"
    panel.steps.value = 30
    panel.button.click()
    (label, history), = panel.histories.items()
    assert label.startswith("amp-bf16") and history.steps == 30 and history.policy == "amp-bf16"
    assert bytes(panel.image.value).startswith(PNG)
    assert "amp-bf16" in panel.result.value
    assert panel.plot.draws >= 2 and not panel.button.disabled


def test_runs_accumulate_and_clear_resets():
    panel = _panel()
    panel.button.click()
    panel.policy.value = "fp16"
    panel.eps.value = 1e-8
    panel.button.click()
    assert len(panel.histories) == 2
    assert panel.histories["fp16 eps=1e-08"].status == "diverged"
    panel.clear.click()
    assert not panel.histories and not panel.plot.runs


def test_an_invalid_combination_is_shown_not_raised():
    panel = _panel()
    panel.policy.value = "fp16"
    panel.scaling.value = "on"  # loss scaling needs float32 master weights
    assert panel.on_train() is None
    assert "Error" in panel.result.value and "master weights" in panel.result.value
    assert not panel.button.disabled


def test_format_explorer_updates_on_input():
    explorer = st.FormatExplorer("0.1")
    assert "float16" in explorer.table.value
    explorer.text.value = "70000"
    assert "inf" in explorer.table.value
    explorer.text.value = "abc"
    assert "not a number" in explorer.table.value
    assert "bfloat16" in describe_html("1e-8")


def test_live_plot_throttles_but_always_draws_start_and_end():
    plot = st.LivePlot(every_s=3600)
    st.train_pinn(st.Poisson1D(n_collocation=8), st.TrainConfig(steps=10), [plot.track("a")])
    assert plot.draws == 2  # start and end only: the throttle held back the 10 steps


def test_live_plot_spends_at_most_a_fifth_of_the_time_drawing(monkeypatch):
    from sciml_teach.viz import live
    clock = [0.0]
    monkeypatch.setattr(live.time, "perf_counter", lambda: clock[0])
    plot = st.LivePlot(every_s=0.1)

    def slow_render(fig):  # pretend one render takes 1 s on this (fake) clock
        clock[0] += 1.0
    monkeypatch.setattr(plot.view, "show", slow_render)
    plot.draw(force=True)  # ends at t = 1
    clock[0] = 4.9         # 3.9 s of training since: not yet 4x the draw's 1 s
    plot.draw()
    assert plot.draws == 1
    clock[0] = 5.0
    plot.draw()
    assert plot.draws == 2


def test_figures_render():
    import torch
    from sciml_teach.viz.render import to_png
    fig = st.gradient_histogram({"g": torch.rand(100) * 1e-6}, "float16")
    assert to_png(fig).startswith(PNG)
    assert to_png(st.bar_chart({"a": 1.0, "b": 2.0}, "x")).startswith(PNG)
