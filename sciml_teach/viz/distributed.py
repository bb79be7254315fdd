"""Figures of a data-parallel run read back from the ddp benchmark's JSON rows.

:func:`ddp_figure` draws what lesson 08 checks: the loss curves of W ranks x M/W functions
against 1 process x M from the same start, and the bytes one rank saves for backward at 1 and
W ranks for each derivative strategy. Introduced in notebooks/08_beyond_one_device.ipynb.
"""
from __future__ import annotations

from typing import Sequence

from matplotlib.figure import Figure

from .render import new_figure


def _label(row: dict) -> str:
    return f"{row['ranks']} ranks x M/{row['ranks']}, {row['compression']} gradients"


def ddp_figure(rows: Sequence[dict]) -> Figure:
    """Left: loss per step, every row with a reference (1 process x M) against it. Right: MiB
    saved for backward per rank, 1 process x M beside W ranks x M/W, per strategy (fp32 rows)."""
    with_reference = [r for r in rows if r.get("reference_loss")]
    if not with_reference:
        raise ValueError("no row has a 1-process reference: run the ddp benchmark with --reference")
    fig = new_figure(10, 3.6)
    curves, bars = fig.subplots(1, 2, width_ratios=[3, 2])
    first = with_reference[0]
    curves.plot(first["reference_loss"], "k-", lw=3, alpha=0.35, label="1 process x M")
    for row in with_reference:
        if row["strategy"] == first["strategy"]:
            curves.plot(row["loss"], "--", lw=1.3, label=_label(row))
    curves.set(xlabel="step", ylabel="loss over all M functions", yscale="log",
               title=f"same start, same data ({first['strategy']})")
    curves.legend(fontsize=8)
    fp32 = [r for r in with_reference if r["compression"] == "fp32"]
    names = [r["strategy"] for r in fp32]
    xs = range(len(fp32))
    one = bars.bar([x - 0.2 for x in xs], [r["reference_saved_bytes"] / 2**20 for r in fp32], 0.4,
                   label="1 process x M")
    per = bars.bar([x + 0.2 for x in xs], [r["saved_bytes"] / 2**20 for r in fp32], 0.4,
                   label=f"per rank, {fp32[0]['ranks']} ranks" if fp32 else "per rank")
    bars.bar_label(one, fmt="%.2g", fontsize=8)
    bars.bar_label(per, fmt="%.2g", fontsize=8)
    bars.set_xticks(list(xs), names)
    bars.set(ylabel="MiB saved for backward", title="memory of one rank")
    bars.legend(fontsize=8)
    return fig
