"""Where a step's memory goes: one stacked bar per policy or strategy, and the same as a table.

The parts are those of :class:`~sciml_teach.memory_account.MemoryAccount`: parameters, gradients,
optimizer state, autocast's weight copies, activations. Introduced in
notebooks/03_amp_recovery.ipynb ("why does AMP not halve my memory?") and
notebooks/05_zero_coordinate_shift.ipynb (ZCS shrinks the activations only).
"""
from __future__ import annotations

from typing import Mapping

from matplotlib.figure import Figure

from ..memory_account import PARTS, MemoryAccount
from ..tables import format_table
from .render import new_figure

PART_LABELS = {"param_bytes": "parameters", "grad_bytes": "gradients",
               "optimizer_bytes": "optimizer state (Adam's moments)",
               "weight_copy_bytes": "16-bit weight copies (autocast)",
               "activation_bytes": "activations (saved for backward)"}
PART_COLOURS = {"param_bytes": "#1f77b4", "grad_bytes": "#aec7e8", "optimizer_bytes": "#ff7f0e",
                "weight_copy_bytes": "#9467bd", "activation_bytes": "#2ca02c"}


def _unit(largest: float) -> tuple[str, float]:
    for unit, size in [("GiB", 2.0**30), ("MiB", 2.0**20), ("KiB", 2.0**10)]:
        if largest >= size:
            return unit, size
    return "bytes", 1.0


def memory_bars(accounts: Mapping[str, MemoryAccount], title: str = "") -> Figure:
    """One stacked bar per label, a segment per part, the total written on top; a black line
    marks the CUDA allocator's peak where it was measured. A linear axis: stacked parts on a
    log axis would misstate their shares."""
    labels = list(accounts)
    largest = max([1] + [a.total for a in accounts.values()]
                  + [a.cuda_peak_bytes or 0 for a in accounts.values()])
    unit, size = _unit(largest)
    fig = new_figure(max(6.0, 1.3 * len(labels) + 3.5), 3.6)
    ax = fig.subplots()
    bottom = [0.0] * len(labels)
    for part in PARTS:
        heights = [accounts[k].parts()[part] / size for k in labels]
        if any(heights):
            ax.bar(labels, heights, bottom=bottom, color=PART_COLOURS[part], label=PART_LABELS[part])
            bottom = [b + h for b, h in zip(bottom, heights)]
    peaks = [(i, accounts[k].cuda_peak_bytes) for i, k in enumerate(labels)
             if accounts[k].cuda_peak_bytes is not None]
    for n, (i, peak) in enumerate(peaks):
        ax.hlines(peak / size, i - 0.4, i + 0.4, colors="black", label=None if n else "CUDA peak")
    for i, total in enumerate(bottom):
        ax.annotate(f"{total:.3g}", (i, total), ha="center", va="bottom", fontsize=8)
    ax.set_ylabel(f"{unit} in one training step")
    ax.set_ylim(0, 1.15 * largest / size)
    ax.tick_params(axis="x", labelsize=8)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def account_table(accounts: Mapping[str, MemoryAccount]) -> str:
    """The accounts as a text table, one row per label, bytes as KiB/MiB."""
    rows = [{"run": label, **a.as_row()} for label, a in accounts.items()]
    return format_table(rows, ["run", *PARTS, "total_bytes", "cuda_peak_bytes"])
