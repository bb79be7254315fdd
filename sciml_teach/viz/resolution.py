"""The error-vs-resolution figure of lesson 06: discretisation error and 16-bit round-off, log-log.

Rows come from :func:`sciml_teach.experiments.resolution_errors.resolution_errors`, one panel per
input (smooth and rough GRFs). Introduced in notebooks/06_fno_mixed_precision.ipynb.
"""
from __future__ import annotations

from typing import Mapping, Sequence

from matplotlib.figure import Figure

from .render import new_figure

STYLES = {"discretisation": ("black", "-", "o"), "mixed-float16": ("tab:blue", "-", "s"),
          "half-float16": ("tab:blue", ":", "^"), "mixed-bfloat16": ("tab:orange", "-", "s"),
          "half-bfloat16": ("tab:orange", ":", "^"), "float32": ("tab:gray", "--", ".")}


def error_vs_resolution(panels: Mapping[str, Sequence[dict]], marked: Sequence[int] = ()) -> Figure:
    """One log-log panel per ``panels`` entry (title -> rows): each error against n; the
    resolutions in ``marked`` (those the lesson trains on) as vertical lines."""
    if not panels:
        raise ValueError("panels must hold at least one set of rows")
    fig = new_figure(4.6 * len(panels), 3.6)
    axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
    for ax, (title, rows) in zip(axes, panels.items()):
        n = [r["n"] for r in rows]
        for key, (colour, line, marker) in STYLES.items():
            if key in rows[0]:
                label = "discretisation error" if key == "discretisation" else f"round-off, {key}"
                ax.plot(n, [r[key] for r in rows], color=colour, ls=line, marker=marker,
                        ms=4, label=label)
        for m in marked:
            ax.axvline(m, color="green", alpha=0.4, lw=3)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("grid points n (log scale)")
        ax.set_title(title, fontsize=10)
    axes[0].set_ylabel("relative L2 error (log scale)")
    axes[-1].legend(fontsize=7, loc="lower left")
    return fig
