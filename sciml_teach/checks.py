"""Checks at the edges: one place that says what a value must be, in the course's words.

Every public config checks its fields in ``__post_init__`` with these helpers, and the command
line reuses them, so a wrong value is refused once, where it enters, with a message that names
the field, the value it got and what is allowed -- never a ZeroDivisionError three calls later.
"""
from __future__ import annotations

import math
import numbers
import os
from typing import Iterable

import torch

ENV_FLAGS = {"1": True, "true": True, "yes": True, "on": True,
             "0": False, "false": False, "no": False, "off": False, "": False}


def check_int(name: str, value, minimum: int | None = 1, maximum: int | None = None) -> int:
    """``value`` as an int in [minimum, maximum]; bools, floats (1.7, even 2.0) and strings are
    refused, because silently truncating them hides a mistake."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}, got {value}")
    return value


def check_float(name: str, value, minimum: float | None = None, maximum: float | None = None,
                positive: bool = False) -> float:
    """``value`` as a finite float (>= minimum, <= maximum, > 0 if ``positive``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be a number > 0, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be a number >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be a number <= {maximum}, got {value}")
    return value


def check_choice(name: str, value, choices: Iterable):
    """``value`` if it is one of ``choices``; else a ValueError listing them."""
    choices = list(choices)
    if not any(value == c and type(value) is type(c) for c in choices):
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def check_bool(name: str, value, allow_none: bool = False):
    """``value`` if it is True or False (or None where ``allow_none``)."""
    if value is None and allow_none:
        return value
    if not isinstance(value, bool):
        allowed = "True, False or None" if allow_none else "True or False"
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return value


def env_flag(var: str) -> bool:
    """The yes/no environment variable ``var``: 1/0, true/false, yes/no, on/off in any case;
    unset or empty means no. Anything else is refused, naming the variable."""
    text = os.environ.get(var, "").strip().lower()
    if text not in ENV_FLAGS:
        raise ValueError(f"environment variable {var}={os.environ[var]!r} is not a yes/no value; "
                         f"set it to 1 or 0 (also true/false, yes/no, on/off), or unset it")
    return ENV_FLAGS[text]


def check_tensor(name: str, x, ndim: int | None = None, like: torch.Tensor | None = None,
                 shape_hint: str = "") -> torch.Tensor:
    """``x`` as a floating tensor with ``ndim`` axes on ``like``'s device and, outside autocast,
    in ``like``'s dtype (the model's parameters). The message says what to pass, e.g.
    ``st.to_model(model, x)``, instead of torch's "mat1 and mat2 must have the same dtype"."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor{shape_hint}, got {type(x).__name__}")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} axes{shape_hint}, got shape {tuple(x.shape)}")
    if like is None:
        return x
    if x.device != like.device:
        raise ValueError(f"{name} is on {x.device} but the model is on {like.device}: pass "
                         f"st.to_model(model, {name})")
    if not x.is_floating_point() or (x.dtype != like.dtype and not _autocast_on(x.device.type)):
        raise ValueError(f"{name} is {x.dtype} but the model's weights are {like.dtype}: pass "
                         f"st.to_model(model, {name})")
    return x


def _autocast_on(device_type: str) -> bool:
    """Whether autocast is on for ``device_type`` (never, for a device autocast does not know,
    such as ``meta``, which the placement tests use)."""
    try:
        return torch.is_autocast_enabled(device_type)
    except RuntimeError:
        return False
