"""Plots a learner can read: log axes only where data spans decades (and then labelled so),
tick labels that never overlap, and a panel that says "press Train" instead of a broken image."""
import itertools

import pytest

import sciml_teach as st
from sciml_teach.viz.render import new_figure, scale_axis

PNG = b"\x89PNG"


def _rows(ms, strategies=("funcloop", "zcs")):
    """Sweep rows as the ZCS benchmark writes them, over M in ``ms`` (no training needed)."""
    return [{"strategy": s, "n_functions": m, "n_points": 500, "status": "ok",
             "memory_bytes": (1 + (s == "funcloop")) * m * 2**20, "step_time_s": 1e-3 * m ** (0.5 + (s == "funcloop")),
             "predicted_bytes": None} for s, m in itertools.product(strategies, ms)]


def _overlaps(fig, axis):
    fig.canvas.draw()
    found = []
    for ax in fig.axes:
        labels = [*ax.get_xticklabels(), *ax.get_xticklabels(minor=True)] if axis == "x" else [
            *ax.get_yticklabels(), *ax.get_yticklabels(minor=True)]  # the 4x10^0 6x10^0 are minor
        boxes = sorted((t.get_window_extent() for t in labels if t.get_text() and t.get_visible()),
                       key=lambda b: b.x0 if axis == "x" else b.y0)
        found += [(a, b) for a, b in zip(boxes, boxes[1:]) if a.overlaps(b)]
    return found


@pytest.mark.parametrize("ms", [[4, 6, 10, 20, 40, 100, 200, 400], [4, 6, 8, 10, 16, 20, 30, 40], [3, 5]],
                         ids=["two-decades", "one-decade", "narrow"])
def test_sweep_curves_tick_labels_do_not_overlap(ms):
    fig = st.sweep_curves(_rows(ms))
    assert _overlaps(fig, "x") == [] and _overlaps(fig, "y") == []


def test_log_scale_only_where_data_spans_decades_and_the_label_says_so():
    fig = st.sweep_curves(_rows([4, 40, 400]))
    mem, _ = fig.axes
    assert mem.get_xscale() == "log" and "(log scale)" in mem.get_xlabel()
    fig = st.sweep_curves(_rows([4, 8, 16]))
    mem, _ = fig.axes
    assert mem.get_xscale() == "linear" and "log" not in mem.get_xlabel()
    ax = new_figure().subplots()
    assert not scale_axis(ax, "y", [1.0, 20.0], "ms") and ax.get_ylabel() == "ms"
    assert scale_axis(ax, "y", [1.0, 40.0, float("nan"), 0.0], "ms") and ax.get_ylabel() == "ms (log scale)"


def test_strategy_bars_use_a_linear_axis_for_close_values():
    fig = st.strategy_bars(_rows([8, 10]))
    assert [ax.get_yscale() for ax in fig.axes] == ["linear", "linear"]
    assert _overlaps(fig, "y") == []


def test_every_panel_shows_a_placeholder_before_the_first_run():
    panels = [st.PrecisionPanel(lambda config, callbacks: None, st.TrainConfig(steps=1)),
              st.StrategyPanel(lambda strategy, M, N: {}, ["zcs"]),
              st.CombinationPanel(lambda combination, callbacks: None, ["zcs"], ["fp32"])]
    for panel in panels:
        assert bytes(panel.image.value).startswith(PNG), f"{type(panel).__name__}: empty image"


def test_live_error_panel_draws_a_curve_not_dots():
    plot = st.LivePlot(every_s=3600)
    st.train_pinn(st.Poisson1D(n_collocation=8), st.TrainConfig(steps=20, error_every=5), [plot.track("a")])
    error_ax = plot.fig.axes[1]
    (line,) = error_ax.get_lines()
    assert line.get_linestyle() == "-" and len(line.get_xdata()) >= 3


def test_lesson_06_table_fits_a_notebook_and_keeps_every_column():
    from sciml_teach.experiments.fno_settings import COLUMNS, TABLE_WIDTH
    rows = [{"problem": "burgers_periodic", "resolution": 256, "input_scale": 1.0,
             "spectral_precision": p, "stabilizer": "tanh", "policy": "amp-bf16", "status": "ok",
             "rel_l2_error": 0.01234, "throughput": 1234.5, "memory_bytes": 3 * 2**20,
             "note": "the run ended normally"} for p in ("full", "mixed", "half")]
    text = st.fno_table(rows)
    assert max(len(line) for line in text.splitlines()) <= TABLE_WIDTH
    headers = [line.split() for line in text.split("\n\n") for line in line.splitlines()[:1]]
    assert len(headers) >= 2 and all(h[:3] == ["spectral_precision", "stabilizer", "policy"] for h in headers)
    assert {c for h in headers for c in h} == set(COLUMNS)
    assert st.format_table(rows, ["problem", "status"], width=TABLE_WIDTH).count("\n\n") == 0
