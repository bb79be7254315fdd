"""The lesson-05 panel and figures: set widget values, press the buttons, check what changed."""
import torch

from sciml_teach import StrategyPanel, SweepCase, strategy_bars, strategy_sweep, sweep_curves
from sciml_teach.viz.render import placeholder, to_png as png


def _one_step(strategy, M, N):
    return strategy_sweep([SweepCase("reaction_diffusion", M, N)], [strategy], width=8, repeats=1)[0]


def test_panel_runs_the_chosen_strategy_and_draws_bars():
    panel = StrategyPanel(_one_step, ["zcs", "datavect"], n_functions=3, n_points=20)
    panel.strategy.value, panel.M.value, panel.N.value = "datavect", 4, 30
    panel.button.click()
    assert [(r["strategy"], r["n_functions"], r["n_points"]) for r in panel.rows] == [("datavect", 4, 30)]
    assert panel.image.value[:4] == b"\x89PNG" and "ok" in panel.result.value
    panel.clear.click()
    assert panel.rows == [] and panel.image.value == png(placeholder(panel.PLACEHOLDER))


def test_panel_shows_errors_instead_of_raising():
    def broken(strategy, M, N):
        raise ValueError("M must be positive")
    panel = StrategyPanel(broken, ["zcs"])
    assert panel.on_run() is None and "M must be positive" in panel.result.value


def test_figures_draw_ok_and_over_budget_rows():
    rows = strategy_sweep([SweepCase("reaction_diffusion", m, 64) for m in (2, 8)],
                          ["funcloop", "zcs"], width=8, repeats=1, budget=300_000)
    assert {r["status"] for r in rows} == {"ok", "over_budget"}
    assert len(strategy_bars(rows).axes) == 2 and len(sweep_curves(rows).axes) == 2
