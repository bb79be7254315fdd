"""Turn a matplotlib figure into PNG bytes, without pyplot and without a GUI backend.

Rendering ourselves is what makes the live plots behave the same in JupyterLab, Colab and a
headless nbval run: they only ever show a PNG.
"""
from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def new_figure(width: float = 9.0, height: float = 5.0) -> Figure:
    fig = Figure(figsize=(width, height), dpi=90, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def to_png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


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
