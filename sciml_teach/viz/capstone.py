"""The capstone's table and panel: two toggle groups (derivative strategy, precision policy), a live
plot and the table of every combination trained so far.

Each press of Train runs the same function the notebook runs in a plain cell, adds the run to one
live plot and re-prints the table of every combination trained so far, so ZCS and AMP can be
switched on one at a time and together. Introduced in notebooks/07_capstone_zcs_amp.ipynb.
"""
from __future__ import annotations

import html
from typing import Callable, Mapping, Sequence

from ..experiments.capstone import Combination
from ..meters import format_bytes
from ..training import Callback, History
from .live import TRAIN_PLACEHOLDER, LivePlot
from .panels import Panel, check_history

CombinationRun = Callable[[Combination, Sequence[Callback]], History]


def combination_label(combination: Combination) -> str:
    """'zcs + amp-bf16'."""
    return " + ".join(combination)


def combination_table(runs: Mapping[Combination, History], reference: Combination) -> str:
    """Error, step time and memory per combination, with each saving relative to ``reference``."""
    ref = runs[reference]
    lines = [f"{'combination':<22}{'status':<8}{'error':>10}{'ms/step':>10}{'speed-up':>10}"
             f"{'memory':>12}{'saving':>9}"]
    for combination, h in runs.items():
        speed = ref.median_step_time_s / h.median_step_time_s
        saving = ref.memory_bytes[-1] / h.memory_bytes[-1]
        lines.append(f"{combination_label(combination):<22}{h.status:<8}{h.final_error:>10.3e}"
                     f"{1e3 * h.median_step_time_s:>10.2f}{speed:>9.1f}x"
                     f"{format_bytes(h.memory_bytes[-1]):>12}{saving:>8.1f}x")
    return "\n".join(lines)


class CombinationPanel(Panel):
    """Pick a strategy and a policy, press Train; runs accumulate on the plot and in the table.

    ``run(combination, callbacks)`` trains one ``(strategy, policy)`` pair and returns its History.
    The table's savings are relative to the first run trained (press Clear to start over).
    """

    def __init__(self, run: CombinationRun, strategies: Sequence[str], policies: Sequence[str]):
        import ipywidgets as widgets  # imported late: experiments and benchmarks run without it
        for name, options in [("strategies", strategies), ("policies", policies)]:
            if not list(options):
                raise ValueError(f"{name} must list at least one choice, got {list(options)}")
        self._run = run
        self.runs: dict[Combination, History] = {}
        self.strategy = widgets.ToggleButtons(options=list(strategies), description="derivatives")
        self.policy = widgets.ToggleButtons(options=list(policies), description="precision")
        self.button = widgets.Button(description="Train", button_style="primary", icon="play")
        self.clear = widgets.Button(description="Clear")
        self.result, self.out = widgets.HTML(), widgets.Output()
        self.image = widgets.Image(format="png")
        self.plot = LivePlot(every_s=0.5, image_widget=self.image,
                             placeholder=TRAIN_PLACEHOLDER)
        self.button.on_click(self.on_train)
        self.clear.on_click(self.on_clear)
        self.widget = widgets.VBox([self.strategy, self.policy,
                                    widgets.HBox([self.button, self.clear]), self.result,
                                    self.image, self.out])

    def combination(self) -> Combination:
        return self.strategy.value, self.policy.value

    def on_train(self, _button=None) -> History | None:
        return self._guarded(self._train)

    def _train(self) -> History:
        combination = self.combination()
        history = check_history(self._run(combination,
                                          [self.plot.track(combination_label(combination))]))
        self.runs[combination] = history
        table = combination_table(self.runs, reference=next(iter(self.runs)))
        self.result.value = f"<pre>{html.escape(table)}</pre>"
        return history

    def on_clear(self, _button=None) -> None:
        self.runs.clear()
        self.plot.runs.clear()
        self.result.value = ""
        self.plot.draw(force=True)
