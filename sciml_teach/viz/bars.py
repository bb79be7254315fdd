"""Bars and curves for the derivative-strategy lesson, and the panel that re-runs one step.

Figures come back as matplotlib Figures (no pyplot); the panel shows them as PNGs in an
``ipywidgets.Image``, so it behaves the same in JupyterLab, Colab and headless runs.
Introduced in notebooks/05_zero_coordinate_shift.ipynb (Leng et al. 2024, arXiv:2311.00860).
"""
from __future__ import annotations

import html
from typing import Callable, Sequence

from matplotlib.figure import Figure

from ..checks import check_int
from ..tables import format_table
from .panels import Panel
from .render import new_figure as _figure
from .render import placeholder, scale_axis
from .render import to_png as png

COLOURS = {"funcloop": "#d62728", "datavect": "#ff7f0e", "zcs": "#2ca02c", "forward": "#1f77b4"}


def _label(row: dict) -> str:
    return f"{row['strategy']}\nM={row['n_functions']} N={row['n_points']}"


def _nothing_ran(rows: Sequence[dict]) -> str:
    statuses = ", ".join(f"{_label(r).replace(chr(10), ' ')}: {r['status']}" for r in rows[-3:])
    return f"no step ran, nothing to draw ({statuses})" if rows else "no rows yet"


ROW_KEYS = ("strategy", "n_functions", "n_points", "status")  # what the figures and panel read
STATUSES = ("ok", "oom", "over_budget")


def check_rows(rows: Sequence[dict]) -> None:
    """Each row must be a sweep row: a dict with ROW_KEYS, a known status, and the step time and
    memory of an ``ok`` row (a panel's ``run`` returning something else is named here)."""
    for i, row in enumerate(rows):
        missing = [k for k in ROW_KEYS if not isinstance(row, dict) or k not in row]
        if missing:
            raise ValueError(f"row {i} must be a dict with keys {', '.join(ROW_KEYS)} (a row of "
                             f"strategy_sweep); it lacks {', '.join(missing)}")
        if row["status"] not in STATUSES:
            raise ValueError(f"row {i} has status {row['status']!r}; allowed: {', '.join(STATUSES)}")
        if row["status"] == "ok" and not all(isinstance(row.get(k), (int, float))
                                             for k in ("step_time_s", "memory_bytes")):
            raise ValueError(f"row {i} is 'ok' but lacks a numeric step_time_s and memory_bytes")


def strategy_bars(rows: Sequence[dict]) -> Figure:
    """Step time and memory, one bar per ``ok`` row of the ZCS benchmark (a log scale only where
    the bars span decades, and then the axis says so)."""
    ok = [r for r in rows if r["status"] == "ok"]
    if not ok:  # every row oom/over_budget: say so instead of drawing empty axes
        return placeholder(_nothing_ran(rows))
    fig = _figure(9, 3.2)
    for ax, key, scale, unit in zip(fig.subplots(1, 2), ["step_time_s", "memory_bytes"],
                                    [1e3, 2.0**-20], ["ms per training step", "MiB"]):
        bars = ax.bar([_label(r) for r in ok], [r[key] * scale for r in ok],
                      color=[COLOURS.get(r["strategy"], "grey") for r in ok])
        ax.bar_label(bars, fmt="%.3g", fontsize=7)
        scale_axis(ax, "y", [r[key] * scale for r in ok], unit)
        ax.tick_params(axis="x", labelsize=7)
    return fig


def sweep_curves(rows: Sequence[dict], x: str = "n_functions") -> Figure:
    """Memory and time against ``x`` per strategy; over-budget cells are crosses at the
    predicted memory (which is exact for saved bytes), oom cells are marked at the top."""
    if not any(r["status"] in ("ok", "over_budget") for r in rows):
        return placeholder(_nothing_ran(rows))
    fig = _figure(9, 3.4)
    ax_mem, ax_time = fig.subplots(1, 2)
    for name in dict.fromkeys(r["strategy"] for r in rows):
        mine = [r for r in rows if r["strategy"] == name]
        ok = [r for r in mine if r["status"] == "ok"]
        colour = COLOURS.get(name, "grey")
        ax_mem.plot([r[x] for r in ok], [r["memory_bytes"] / 2**20 for r in ok], "o-",
                    color=colour, label=name)
        ax_time.plot([r[x] for r in ok], [1e3 * r["step_time_s"] for r in ok], "o-",
                     color=colour, label=name)
        over = [r for r in mine if r["status"] == "over_budget"]
        ax_mem.plot([r[x] for r in over], [r["predicted_bytes"] / 2**20 for r in over], "x",
                    color=colour, ms=10, mew=2)
    shown = [r for r in rows if r["status"] in ("ok", "over_budget")]
    memory = [(r["memory_bytes"] if r["status"] == "ok" else r["predicted_bytes"]) / 2**20 for r in shown]
    times = [1e3 * r["step_time_s"] for r in rows if r["status"] == "ok"]
    for ax, unit, ys in [(ax_mem, "MiB (x = over budget)", memory),
                         (ax_time, "ms per step", times)]:
        scale_axis(ax, "x", [r[x] for r in shown], x.replace("n_", "number of "))
        scale_axis(ax, "y", ys, unit)
    ax_mem.legend(fontsize=8)
    return fig


RowFn = Callable[[str, int, int], dict]  # (strategy, M, N) -> one benchmark row


class StrategyPanel(Panel):
    """Pick a strategy, M and N; press Run to time one training step; bars accumulate."""

    PLACEHOLDER = "press Run one step: the bars appear here"

    def __init__(self, run: RowFn, strategies: Sequence[str], n_functions: int = 20,
                 n_points: int = 1000, max_functions: int = 200, max_points: int = 8000):
        import ipywidgets as widgets  # imported late: experiments and benchmarks run without it
        if not strategies:
            raise ValueError("strategies must name at least one strategy, e.g. ['zcs']")
        check_int("max_functions", max_functions, minimum=1)
        check_int("max_points", max_points, minimum=10)
        check_int("n_functions", n_functions, minimum=1, maximum=max_functions)
        check_int("n_points", n_points, minimum=10, maximum=max_points)
        self._run = run
        self.rows: list[dict] = []
        self.strategy = widgets.ToggleButtons(options=list(strategies), description="strategy")
        self.M = widgets.IntSlider(value=n_functions, min=1, max=max_functions, description="M")
        self.N = widgets.IntSlider(value=n_points, min=10, max=max_points, step=10,
                                   description="N")
        self.button = widgets.Button(description="Run one step", button_style="primary")
        self.clear = widgets.Button(description="Clear")
        self.result, self.out = widgets.HTML(), widgets.Output()
        self.image = widgets.Image(value=png(placeholder(self.PLACEHOLDER)), format="png")
        self.button.on_click(self.on_run)
        self.clear.on_click(self.on_clear)
        self.widget = widgets.VBox([self.strategy, widgets.HBox([self.M, self.N]),
                                    widgets.HBox([self.button, self.clear]), self.result,
                                    self.image, self.out])

    def on_run(self, _button=None) -> dict | None:
        return self._guarded(self._run_one)

    def _run_one(self) -> dict:
        row = self._run(self.strategy.value, self.M.value, self.N.value)
        check_rows([row])
        self.rows.append(row)
        self.result.value = html.escape(
            f"{row['strategy']} M={row['n_functions']} N={row['n_points']}: {row['status']}")
        if not any(r["status"] == "ok" for r in self.rows):  # nothing to plot: show the table
            table = format_table(self.rows, ["strategy", "n_functions", "n_points", "status",
                                             "predicted_bytes"])
            self.result.value += f"<pre>{html.escape(table)}</pre>"
        self.image.value = png(strategy_bars(self.rows))
        return row

    def on_clear(self, _button=None) -> None:
        self.rows.clear()
        self.image.value = png(placeholder(self.PLACEHOLDER))
