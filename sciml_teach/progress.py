"""Progress bars for long runs that have no live plot: one policy, one wrapper.

A benchmark row, a data set being solved, a seed sweep or a full-mode training run without a
:class:`~sciml_teach.LivePlot` can take minutes with nothing on screen. :func:`progress` wraps such
a loop in a ``tqdm.auto`` bar (a text bar in a terminal, a widget in Jupyter) when
:func:`show_progress` says so, and hands the loop back untouched otherwise.

The policy, in one place: ``SCIML_TEACH_PROGRESS=1`` forces bars on and ``0`` off (the benchmark
CLI's ``--progress`` / ``--no-progress`` set it); unset, bars show in full mode and stay quiet in
quick mode and under pytest, so test output and quick-mode lessons stay clean.
"""
from __future__ import annotations

import os
from typing import Iterable, Iterator, TypeVar

from .quick import is_quick

T = TypeVar("T")

ENV_VAR = "SCIML_TEACH_PROGRESS"
_ON, _OFF = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def show_progress() -> bool:
    """Whether long loops show a bar: ``SCIML_TEACH_PROGRESS`` if set, else only in full mode and
    outside pytest."""
    setting = os.environ.get(ENV_VAR, "").strip().lower()
    if setting in _ON or setting in _OFF:
        return setting in _ON
    return not is_quick() and "PYTEST_CURRENT_TEST" not in os.environ


def progress(iterable: Iterable[T], desc: str, total: int | None = None,
             leave: bool = True) -> Iterator[T]:
    """Yield from ``iterable``, with a bar labelled ``desc`` when :func:`show_progress` is true.

    The bar is closed when the loop ends, also on ``break`` or an exception, so an early stop
    (a diverged run) leaves no half-drawn bar behind.
    """
    if not show_progress():
        yield from iterable
        return
    from tqdm.auto import tqdm  # imported late: quiet runs never pay for it
    bar = tqdm(iterable, desc=desc, total=total, leave=leave, dynamic_ncols=True)
    try:
        yield from bar
    finally:
        bar.close()
