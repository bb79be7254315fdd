"""Lesson 07: ZCS x mixed precision -- the training helper, the savings, the table and the panel."""
import math

import pytest
import torch

import sciml_teach as st

PROBLEM = st.ReactionDiffusion()
CONFIG = st.DeepONetConfig(width=16, depth=2, n_features=16)


def _data(M=4, N=60):
    g = torch.Generator().manual_seed(0)
    return PROBLEM.sample_branch(M, g), st.collocation_points(N, 2, g)


def _run(combination, callbacks=(), steps=3):
    v, x = _data()
    return st.train_combination(PROBLEM, combination, v, x, CONFIG,
                                st.TrainConfig(steps=steps, policy="fp32"), callbacks=callbacks)


def test_combination_list_and_labels():
    pairs = st.combination_list("datavect", "amp-bf16")
    assert pairs == [("datavect", "fp32"), ("datavect", "amp-bf16"), ("zcs", "fp32"), ("zcs", "amp-bf16")]
    assert st.combination_label(pairs[-1]) == "zcs + amp-bf16"


def test_strategies_agree_under_one_policy_and_the_policy_is_the_combinations():
    # Same seed, same data: FuncLoop, DataVect and ZCS compute the same loss (to float32 rounding).
    runs = {s: _run((s, "fp32")) for s in ["funcloop", "datavect", "zcs"]}
    for h in runs.values():
        assert h.status == "ok" and h.policy == "fp32"
        assert h.loss == pytest.approx(runs["zcs"].loss, rel=1e-4)
    assert _run(("zcs", "amp-bf16"), steps=1).policy == "amp-bf16"


def test_step_memory_zcs_and_amp_savings_multiply():
    mem = {c: st.step_memory(PROBLEM, c, 8, 50, CONFIG) for c in st.combination_list("datavect", "amp-bf16")}
    assert mem["zcs", "amp-bf16"] == min(mem.values())
    # Nearly repeatable: the meter de-duplicates by storage address, and a freed temporary's address
    # can be reused, so a few KiB may differ between calls in one process (seen after other tests).
    assert st.step_memory(PROBLEM, ("zcs", "fp32"), 8, 50, CONFIG) == pytest.approx(mem["zcs", "fp32"], rel=0.05)
    zcs = mem["datavect", "fp32"] / mem["zcs", "fp32"]
    amp = mem["datavect", "fp32"] / mem["datavect", "amp-bf16"]
    both = mem["datavect", "fp32"] / mem["zcs", "amp-bf16"]
    assert zcs > 2 and amp > 1.5 and both == pytest.approx(zcs * amp, rel=0.2)


def test_combined_savings_and_table_from_histories():
    def fake(memory, time_s):
        h = st.History(policy="x", memory_kind="autograd_saved", error=[0.1], status="ok")
        h.memory_bytes, h.step_time_s, h.loss = [memory], [time_s] * 3, [1.0]
        return h
    runs = {("datavect", "fp32"): fake(1000, 0.4), ("datavect", "amp-bf16"): fake(500, 0.2),
            ("zcs", "fp32"): fake(100, 0.1), ("zcs", "amp-bf16"): fake(50, 0.1)}
    saved = st.combined_savings(runs, "datavect", "amp-bf16")
    assert saved["memory"] == {"zcs": 10.0, "amp": 2.0, "both": 20.0, "product": 20.0}
    assert saved["time"]["both"] == 4.0 and saved["time"]["product"] == 8.0
    table = st.combination_table(runs, reference=("datavect", "fp32")).splitlines()
    assert len(table) == 5 and "zcs + amp-bf16" in table[-1] and "20.0x" in table[-1]


def test_panel_trains_the_chosen_pair_and_tabulates():
    panel = st.CombinationPanel(_run, ["datavect", "zcs"], ["fp32", "amp-bf16"])
    panel.strategy.value, panel.policy.value = "zcs", "amp-bf16"
    panel.button.click()
    panel.strategy.value, panel.policy.value = "datavect", "fp32"
    history = panel.on_train()
    assert list(panel.runs) == [("zcs", "amp-bf16"), ("datavect", "fp32")]
    assert history.status == "ok" and not math.isnan(history.loss[-1])
    assert "datavect + fp32" in panel.result.value and panel.image.value[:4] == b"\x89PNG"
    panel.clear.click()
    assert panel.runs == {} and panel.plot.runs == {} and panel.result.value == ""


def test_panel_shows_errors_instead_of_raising():
    def broken(combination, callbacks):
        raise ValueError("unknown derivative strategy 'nope'")
    panel = st.CombinationPanel(broken, ["zcs"], ["fp32"])
    assert panel.on_train() is None and "unknown derivative strategy" in panel.result.value
