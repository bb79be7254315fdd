"""Turn a matplotlib figure into PNG bytes, without pyplot and without a GUI backend.

Rendering ourselves is what makes the live plots behave the same in JupyterLab, Colab and a
headless nbval run: they only ever show a PNG.
"""
from __future__ import annotations

import io
import math
from typing import Iterable

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogFormatterSciNotation, LogLocator, NullFormatter

LOG_DECADES = 1.5  # data spanning at least this many powers of ten gets a log axis
FEW_DECADES = 3.0  # below this span, ticks at 1, 2, 5 x 10^k read as plain numbers (20, 50, 100)


def new_figure(width: float = 9.0, height: float = 5.0) -> Figure:
    fig = Figure(figsize=(width, height), dpi=90, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def to_png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def placeholder(text: str) -> Figure:
    """A small figure that says what to do (``"press Train"``), shown before there is a plot:
    an empty ``ipywidgets.Image`` shows a broken-image icon."""
    fig = new_figure(6, 1.2)
    fig.text(0.5, 0.5, text, ha="center", va="center", fontsize=12, color="#555")
    return fig


def scale_axis(ax, axis: str, values: Iterable[float], label: str | None) -> bool:
    """Make ``ax``'s ``axis`` ("x" or "y") logarithmic only where the positive ``values`` span at
    least LOG_DECADES powers of ten; its ticks then read 20, 50, 100 (under FEW_DECADES) or 10^k
    (more), and minor ticks are never labelled, so labels like 4x10^0 6x10^0 cannot crowd each
    other. Sets ``label`` (unless None), saying "(log scale)" when it is. Returns whether the axis
    is logarithmic."""
    positive = [v for v in values if v is not None and math.isfinite(v) and v > 0]
    decades = math.log10(max(positive) / min(positive)) if positive else 0.0
    log = decades >= LOG_DECADES
    target = ax.xaxis if axis == "x" else ax.yaxis
    if log:
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
        if decades < FEW_DECADES:  # a decade or two: 20, 50, 100, 200 (short labels, never crowded)
            target.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0), numticks=12))
            target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        else:                      # many decades: 10^k only
            target.set_major_locator(LogLocator(base=10, numticks=6))
            target.set_major_formatter(LogFormatterSciNotation(base=10))
        target.set_minor_formatter(NullFormatter())  # minor ticks drawn, never labelled
    if label is not None:
        (ax.set_xlabel if axis == "x" else ax.set_ylabel)(label + (" (log scale)" if log else ""))
    return log


class PngView:
    """Where a figure is shown: an ``ipywidgets.Image`` (in a panel) or a display handle (a cell)."""

    def __init__(self, image_widget=None):
        self.image_widget = image_widget
        self._handle = None

    def show(self, fig: Figure) -> None:
        png = to_png(fig)
        if self.image_widget is not None:
            self.image_widget.value = png
            return
        from IPython.display import Image, display  # imported late: the library works without IPython
        if self._handle is None:
            self._handle = display(Image(data=png), display_id=True)
        else:
            self._handle.update(Image(data=png))
