"""Quick mode: one switch that shrinks every lesson and benchmark.

The test suite (and anyone in a hurry) sets ``SCIML_TEACH_QUICK=1``; notebooks and benchmarks
then use smaller sizes and fewer steps, while every phenomenon the lesson shows stays visible.
Notebooks read the switch only through :func:`is_quick` / :func:`pick`, never the variable itself,
and can flip it from their first cell with :func:`set_quick` (a Colab learner cannot set an
environment variable before the kernel starts).
"""
from __future__ import annotations

import os
from typing import TypeVar

from .checks import env_flag

T = TypeVar("T")

ENV_VAR = "SCIML_TEACH_QUICK"


def is_quick() -> bool:
    """True when ``SCIML_TEACH_QUICK`` is 1/true/yes/on (any case); unset, empty or 0/false/no/off
    is not quick; any other value (``2``, ``y``) is a ValueError naming the variable, because
    quietly reading it as "not quick" turns a one-minute lesson into an hour."""
    return env_flag(ENV_VAR)


def pick(quick: T, full: T) -> T:
    """Return ``quick`` in quick mode and ``full`` otherwise, e.g. ``steps = pick(300, 20_000)``."""
    return quick if is_quick() else full


def set_quick(quick: bool | None) -> bool:
    """Switch quick mode for this kernel from a notebook cell and return the mode now in force.

    ``True``/``False`` set ``SCIML_TEACH_QUICK`` to 1/0 in this process, so every later cell, run and
    benchmark reads the new mode; ``None`` leaves the environment as it is (the default in each
    lesson's first cell, so the test suite's ``SCIML_TEACH_QUICK=1`` still decides). Cells that
    already ran keep the sizes they ran with: switch in the first cell, or re-run the lesson.
    """
    if quick is not None:
        if not isinstance(quick, bool):
            raise ValueError(f"quick must be True, False or None, got {quick!r} ({type(quick).__name__})")
        os.environ[ENV_VAR] = "1" if quick else "0"
    return is_quick()
