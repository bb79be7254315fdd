"""Static figures for the lessons: gradient histograms against a format's range, bar charts.

Each function returns a matplotlib Figure; :func:`show` displays it as a PNG in any notebook.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import torch
from matplotlib.figure import Figure

from ..formats import format_facts
from .render import PngView, new_figure


def show(fig: Figure) -> None:
    """Display a figure as a PNG in the current notebook cell."""
    PngView().show(fig)


def gradient_histogram(gradients: Mapping[str, torch.Tensor], fmt: str = "float16") -> Figure:
    """Histograms of log10|g| with the format's smallest subnormal, smallest normal and max marked."""
    facts = format_facts(fmt)
    fig = new_figure(8, 3.6)
    ax = fig.subplots()
    for label, g in gradients.items():
        g = g.detach()[g > 0].double()
        ax.hist(torch.log10(g).cpu().numpy(), bins=60, alpha=0.55, label=label)
    marks = [("smallest subnormal", facts["smallest_subnormal"], "red"),
             ("smallest normal", facts["smallest_normal"], "orange"), ("max", facts["max"], "purple")]
    for name, value, colour in marks:
        ax.axvline(torch.log10(torch.tensor(value)).item(), color=colour, ls="--",
                   label=f"{fmt} {name} ({value:.1e})")
    ax.axvspan(ax.get_xlim()[0], torch.log10(torch.tensor(facts["smallest_subnormal"] / 2)).item(),
               color="red", alpha=0.08)
    ax.set_xlabel("log10 |gradient|")
    ax.set_ylabel("number of weights")
    ax.legend(fontsize=7)
    return fig


def bar_chart(values: Mapping[str, float], ylabel: str, title: str = "",
              log: bool = False, colours: Sequence[str] | None = None) -> Figure:
    """One bar per label, its value written on top."""
    fig = new_figure(6, 3.2)
    ax = fig.subplots()
    labels, heights = list(values), list(values.values())
    bars = ax.bar(labels, heights, color=colours)
    ax.bar_label(bars, fmt="%.3g", fontsize=8)
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    if title:
        ax.set_title(title, fontsize=10)
    ax.tick_params(axis="x", labelsize=8, rotation=15)
    return fig
