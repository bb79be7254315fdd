"""Quick mode: one switch that shrinks every lesson and benchmark.

The test suite (and anyone in a hurry) sets ``SCIML_TEACH_QUICK=1``; notebooks and benchmarks
then use smaller sizes and fewer steps, while every phenomenon the lesson shows stays visible.
Notebooks read the switch only through :func:`is_quick` / :func:`pick`, never the variable itself.
"""
from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")

ENV_VAR = "SCIML_TEACH_QUICK"


def is_quick() -> bool:
    """True when the environment variable ``SCIML_TEACH_QUICK`` is set to 1/true/yes/on."""
    return os.environ.get(ENV_VAR, "").strip().lower() in {"1", "true", "yes", "on"}


def pick(quick: T, full: T) -> T:
    """Return ``quick`` in quick mode and ``full`` otherwise, e.g. ``steps = pick(300, 20_000)``."""
    return quick if is_quick() else full
