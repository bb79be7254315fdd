"""Trained accuracy per strategy and the order sweep (Leng et al. 2024, Table 1 and their scaling
study; lesson 05): strategies trained alike reach the same error, a wrong derivative does not, and
the order sweep's fields match a float64 forward-mode reference."""
import json

import pytest
import torch

import sciml_teach as st
from sciml_teach.bench.__main__ import main
from sciml_teach.experiments.strategy_training import order_coefficients

TINY = st.TrainedCase("reaction_diffusion", n_functions=3, n_points=60, steps=8, width=8)


def test_strategies_trained_alike_reach_the_same_error():
    rows = st.trained_accuracy(TINY, ["zcs", "funcloop", "datavect", "forward"], n_test=3)
    assert [r["strategy"] for r in rows] == ["zcs", "funcloop", "datavect", "forward"]
    assert rows[0]["error_vs_reference"] == 0.0
    for r in rows:
        assert r["status"] == "ok" and r["steps"] == 8 and r["part"] == "trained"
        assert r["error_vs_reference"] <= r["tolerance"] == st.ROUNDING_DRIFT["fp32"], r["strategy"]
        assert r["memory_bytes"] > 0 and r["step_time_s"] > 0


def test_a_wrong_derivative_trains_to_another_error():
    class HalfUt(st.DerivativeStrategy):
        name = "half-u_t"

        def _fields(self, model, v, x, requests):
            f = st.ZCS()._fields(model, v, x, requests)
            return {r: (0.5 * t if r == (0, 1) else t) for r, t in f.items()}
    rows = st.trained_accuracy(TINY, ["zcs", "datavect", HalfUt()], policy="fp64", n_test=3)
    assert rows[1]["error_vs_reference"] <= rows[1]["tolerance"] == st.ROUNDING_DRIFT["fp64"]
    assert rows[2]["error_vs_reference"] > 100 * rows[2]["tolerance"]


@pytest.mark.parametrize("problem", ["burgers", "plate"])
def test_every_full_mode_problem_has_a_reference(problem):
    case = st.TrainedCase(problem, n_functions=2, n_points=30, steps=2, width=8)
    rows = st.trained_accuracy(case, ["zcs", "datavect"], n_test=2)
    assert all(r["status"] == "ok" and 0 < r["rel_l2_error"] for r in rows)


def test_order_sweep_matches_forward_mode_and_leaves_the_budget():
    rows = st.order_sweep([1, 2, 3], ["zcs", "datavect"], n_functions=3, n_points=40, width=8,
                          budget=2**40)
    assert [(r["order"], r["strategy"]) for r in rows] == [(k, s) for k in (1, 2, 3)
                                                          for s in ("zcs", "datavect")]
    assert all(r["status"] == "ok" and r["max_rel_diff"] <= 1e-4 for r in rows)
    small = st.order_sweep([1, 2, 3, 4], ["datavect"], n_functions=3, n_points=40, width=8,
                           budget=rows[1]["memory_bytes"] * 2)
    status = [r["status"] for r in small]
    assert status[0] == "ok" and status[-1] == "over_budget", status
    assert status == sorted(status, key=lambda s: s == "over_budget"), "once out, it stays out"


def test_order_operator_is_the_sum_of_x_derivatives():
    assert order_coefficients(2) == {(0, 0): 1.0, (1, 0): 1.0, (2, 0): 1.0}
    with pytest.raises(ValueError, match="order"):
        order_coefficients(0)


def test_bad_cases_are_named():
    with pytest.raises(ValueError, match="TrainedCase.problem must be one of"):
        st.TrainedCase("darcy", 2, 10, 2)
    with pytest.raises(ValueError, match="TrainedCase.steps"):
        st.TrainedCase("plate", 2, 10, 0)


def test_bench_zcs_writes_trained_and_order_rows(tmp_path):
    out = tmp_path / "z.json"
    assert main(["zcs", "--quick", "--device", "cpu", "--parts", "orders", "--strategies",
                 "zcs,datavect", "--memory-budget", "3MiB", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert rows and {r["part"] for r in rows} == {"order"}
    assert {r["status"] for r in rows} == {"ok", "over_budget"}
    with pytest.raises(SystemExit):
        main(["zcs", "--parts", "sweep,nope"])
