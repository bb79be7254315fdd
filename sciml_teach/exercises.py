"""Checkers for the exercises at the end of each lesson.

``check("01.2", answer)`` says *correct*, or gives a hint without revealing the answer. The right
answers are computed from the library (never typed in), so they stay true if the library changes.
Worked solutions live in ``solutions/``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from .formats import format_facts, mantissa_bits, update_survives, get_dtype


@dataclass(frozen=True)
class Exercise:
    question: str                     # what the exercise asks, in one line
    is_correct: Callable[[Any], bool]  # the checker
    hint: str                         # shown on a wrong answer; never the answer itself


def _close(expected: float, rel: float = 0.02) -> Callable[[Any], bool]:
    return lambda a: isinstance(a, (int, float)) and math.isclose(float(a), expected, rel_tol=rel)


def _largest_exact_integer(fmt: str) -> int:
    return 2 ** (mantissa_bits(get_dtype(fmt)) + 1)


def _capstone_memory_ratio(fast: tuple[str, str], n_functions: int) -> float:
    """Saved bytes of one DataVect+fp32 training step over those of ``fast`` (lesson 07's sizes)."""
    from .models import DeepONetConfig
    from .problems import ReactionDiffusion
    from .problems.combinations import step_memory
    problem, config = ReactionDiffusion(), DeepONetConfig(width=32, n_features=32)
    base = step_memory(problem, ("datavect", "fp32"), n_functions, 200, config)
    return base / step_memory(problem, fast, n_functions, 200, config)


def _smallest_surviving_power_of_two(w: float, fmt: str) -> float:
    return next(2.0**k for k in range(-30, 30) if update_survives(w, 2.0**k, fmt))


EXERCISES: dict[str, Exercise] = {
    "01.1": Exercise("largest n such that all integers 0..n are exact in float16",
                     lambda a: a == _largest_exact_integer("float16"),
                     "float16 has 10 stored mantissa bits plus an implicit leading 1."),
    "01.2": Exercise("smallest power of two u with 1024 + u != 1024 in float16",
                     lambda a: isinstance(a, (int, float))
                     and float(a) == _smallest_surviving_power_of_two(1024.0, "float16"),
                     "compute st.ulp(1024.0, 'float16'); remember ties round to even."),
    "01.3": Exercise("format that keeps a loss of 1e-9 nonzero",
                     lambda a: isinstance(a, str) and a.strip().lower() == "bfloat16",
                     "compare 1e-9 with each format's smallest subnormal (st.format_facts)."),
    "02.1": Exercise("the float16 value of Adam's default eps=1e-8",
                     lambda a: isinstance(a, (int, float)) and float(a) == 0.0,
                     "use st.round_to(1e-8, 'float16')."),
    "02.2": Exercise("the smallest positive float16 number (a subnormal)",
                     _close(format_facts("float16")["smallest_subnormal"]),
                     "it is the smallest normal number divided by 2**10."),
    "03.1": Exercise("the factor by which 16-bit autocast shrinks an MLP's saved-for-backward bytes",
                     _close(2.0, rel=0.05),
                     "compare the bytes of a float32 and a float16 element (st.saved_bytes)."),
    "03.2": Exercise("loss scale needed to lift a gradient of 1e-9 to float16's smallest normal",
                     lambda a: isinstance(a, (int, float))
                     and 0.5 <= float(a) * 1e-9 / format_facts("float16")["smallest_normal"] <= 2.0,
                     "divide float16's smallest normal (6.1e-5) by the gradient; the scaler "
                     "uses powers of two, any within a factor 2 is fine."),
    # Capstone (lesson 07): measured with st.step_memory, so they follow the library
    "07.1": Exercise("M=8, N=200, width 32: DataVect+fp32's saved bytes over ZCS+amp-bf16's",
                     lambda a: _close(_capstone_memory_ratio(("zcs", "amp-bf16"), 8), rel=0.05)(a),
                     "call st.step_memory for both combinations with "
                     "st.DeepONetConfig(width=32, n_features=32) and divide."),
    "07.2": Exercise("M=1, N=200, width 32: DataVect+fp32's saved bytes over ZCS+fp32's",
                     lambda a: _close(_capstone_memory_ratio(("zcs", "fp32"), 1), rel=0.05)(a),
                     "with one function there is nothing for ZCS to share; measure it with "
                     "st.step_memory rather than guessing."),
}


def check(exercise_id: str, answer: Any) -> bool:
    """Print whether ``answer`` is right (or a hint) and return True when it is."""
    if exercise_id not in EXERCISES:
        raise ValueError(f"unknown exercise {exercise_id!r}; valid ids: {', '.join(EXERCISES)}")
    exercise = EXERCISES[exercise_id]
    if answer is None:
        print(f"[{exercise_id}] not answered yet: {exercise.question}")
        return False
    if exercise.is_correct(answer):
        print(f"[{exercise_id}] correct!")
        return True
    print(f"[{exercise_id}] not quite. Hint: {exercise.hint}")
    return False
