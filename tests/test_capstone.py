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


# --- 07.4: the learner's ZCS + AMP loop, checked against st.TrainStep + ZCS ---------------------

def _lesson_loop(edit=("", "")):
    """Lesson 07's own zcs_residual and zcs_amp_loop (read from the notebook), with one text edit."""
    import json
    from pathlib import Path
    nb = json.loads((Path(__file__).resolve().parent.parent / "notebooks" / "07_capstone_zcs_amp.ipynb").read_text())
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    source = "\n".join(next(s for s in code if s.startswith(f"def {name}(")) for name in ("zcs_residual", "zcs_amp_loop"))
    assert edit[0] in source, f"lesson 07's loop no longer contains {edit[0]!r}"
    namespace = {"torch": torch}
    exec(source.replace(*edit), namespace)
    return namespace["zcs_amp_loop"]


def test_loop_checker_accepts_the_lessons_loop_and_equivalent_forms(capsys):
    from sciml_teach import exercises
    assert exercises.check("07.4", _lesson_loop())
    as_tensor = lambda *args: torch.tensor(_lesson_loop()(*args))            # losses as one tensor
    reordered = _lesson_loop(("return u_t - D * u_xx + k * u**2 - f", "return k * u * u + u_t - f - D * u_xx"))
    assert exercises.check("07.4", as_tensor) and exercises.check("07.4", reordered)
    assert "correct!" in capsys.readouterr().out


@pytest.mark.parametrize("edit, says", [
    (("a = torch.ones_like(u, requires_grad=True)", "a = torch.ones_like(u)"), "raised RuntimeError"),
    (("requires_grad=True)  # BLANK 1", ")  # BLANK 1"),
     "raised RuntimeError"),
    (("with torch.autocast(device, dtype=dtype):", "with torch.autocast(device, enabled=False):"),
     "first loss off by"),                                                   # float32, not AMP
    (("scaler.step(optimizer)", "pass"), "off by"),                       # the step skipped
    (("optimizer.zero_grad(set_to_none=True)", "pass"), "off by"),          # gradients pile up
])
def test_loop_checker_refuses_a_broken_loop_and_says_where(capsys, edit, says):
    from sciml_teach import exercises
    assert not exercises.check("07.4", _lesson_loop(edit))
    out = capsys.readouterr().out
    assert says in out and "Hint:" in out, out


def test_loop_checker_leaves_the_random_state_and_refuses_non_functions():
    from sciml_teach import exercises
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    exercises.check("07.4", _lesson_loop())
    assert torch.equal(before, torch.random.get_rng_state())
    assert not exercises.check("07.4", 3.0) and not exercises.check("07.4", [1.0] * 20)
