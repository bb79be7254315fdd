"""A live training plot: one figure, updated in place, throttled.

``LivePlot`` collects several runs so policies can be compared on the same axes; each run
reports through a :class:`~sciml_teach.training.Callback` from :meth:`LivePlot.track`.
Introduced in notebooks/03_amp_recovery.ipynb.
"""
from __future__ import annotations

import math
import time

from ..meters import format_bytes
from ..training import Callback, History
from .render import PngView, new_figure, scale_axis
from .render import placeholder as placeholder_figure

TRAIN_PLACEHOLDER = "press Train: loss, error, step time and memory appear here"

PANELS = [("loss", "loss", True), ("error", "relative L2 error", True),
          ("step_time_s", "step time (ms)", False), ("memory_bytes", "memory (MiB)", False)]


class _Tracker(Callback):
    def __init__(self, plot: "LivePlot", label: str):
        self.plot, self.label = plot, label

    def on_train_start(self, history: History) -> None:
        self.plot.runs[self.label] = history
        self.plot.draw(force=True)

    def on_step(self, history: History) -> None:
        self.plot.draw()

    def on_train_end(self, history: History) -> None:
        self.plot.draw(force=True)


class LivePlot:
    """Loss, error, step time and memory of one or more runs, redrawn at most every ``every_s``.

    Rendering the figure costs about half a second of CPU, so after each draw the throttle also
    waits four times as long as that draw took: at most ``DRAW_SHARE`` (20%) of the wall time goes
    to drawing, however slow or busy the machine (a fixed 1 s throttle let drawing take most of a
    loaded CPU and made lesson 03's quick run several times slower).
    """

    DRAW_SHARE = 0.2  # largest fraction of wall time spent redrawing

    def __init__(self, every_s: float = 1.0, image_widget=None, title: str = "",
                 placeholder: str | None = None):
        self.every_s, self.title = every_s, title
        self.placeholder = placeholder  # shown while there are no runs (a panel's "press Train")
        self.runs: dict[str, History] = {}
        self.view = PngView(image_widget)
        self.fig = new_figure()
        if placeholder is not None:
            self.view.show(placeholder_figure(placeholder))
        self.draws = 0  # how many times the figure was redrawn (tests and the browser check it)
        self._last = -math.inf  # when the last draw ended
        self._draw_s = 0.0      # how long the last draw took

    def track(self, label: str) -> Callback:
        """A callback that adds the run to this plot under ``label``."""
        return _Tracker(self, label)

    def draw(self, force: bool = False) -> None:
        start = time.perf_counter()
        wait = max(self.every_s, self._draw_s * (1 - self.DRAW_SHARE) / self.DRAW_SHARE)
        if not force and start - self._last < wait:
            return
        if not self.runs and self.placeholder is not None:
            self.view.show(placeholder_figure(self.placeholder))
            return
        self.fig.clear()
        axes = self.fig.subplots(2, 2)
        for ax, (key, label, log) in zip(axes.ravel(), PANELS):
            for name, h in self.runs.items():
                self._plot_metric(ax, h, key, name)
            ax.set_xlabel("step", fontsize=8)
            if log:  # a log scale only where the values span decades, and the title says so
                values = [v for h in self.runs.values() for v in (h.loss if key == "loss" else h.error)]
                label += " (log scale)" if scale_axis(ax, "y", values, None) else ""
            else:  # time and memory from zero, so a 4-byte difference does not fill the panel
                ax.set_ylim(bottom=0)
                ax.ticklabel_format(axis="y", useOffset=False)
            ax.set_title(label, fontsize=9)
        if self.runs:
            axes[0, 0].legend(fontsize=8)
        if self.title:
            self.fig.suptitle(self.title, fontsize=10)
        self.view.show(self.fig)
        self.draws += 1
        self._last = time.perf_counter()
        self._draw_s = self._last - start

    @staticmethod
    def _plot_metric(ax, h: History, key: str, name: str) -> None:
        if key == "error":
            ax.plot(h.error_steps, h.error, "o-", ms=3, label=name)  # a curve, points marked
        elif key == "step_time_s":
            ax.plot([1e3 * s for s in h.step_time_s], label=name, lw=0.8)
        elif key == "memory_bytes":
            ax.plot(h.memory_steps, [b / 2**20 for b in h.memory_bytes], marker="o", ms=3,
                    label=name)  # measured every TrainConfig.memory_every steps
        else:
            finite = [v if math.isfinite(v) else math.nan for v in h.loss]
            ax.plot(finite, label=name, lw=0.8)


def summary_table(histories: dict[str, History]) -> str:
    """Plain-text comparison: status, error, median step time and memory per run."""
    lines = [f"{'run':<22}{'status':<10}{'error':>10}{'ms/step':>10}{'memory':>12}"]
    for name, h in histories.items():
        mem = format_bytes(h.memory_bytes[-1]) if h.memory_bytes else "-"
        lines.append(f"{name:<22}{h.status:<10}{h.final_error:>10.2e}"
                     f"{1e3 * h.median_step_time_s:>10.2f}{mem:>12}")
    return "\n".join(lines)
