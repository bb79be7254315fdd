"""Quick mode: one switch that shrinks every lesson and benchmark.

The test suite (and anyone in a hurry) sets ``SCIML_TEACH_QUICK=1``; notebooks and benchmarks
then use smaller sizes and fewer steps, while every phenomenon the lesson shows stays visible.
Notebooks read the switch only through :func:`is_quick` / :func:`pick`, never the variable itself.
"""
from __future__ import annotations

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
