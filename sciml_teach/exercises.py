"""Checkers for the exercises at the end of each lesson.

``check("01.2", answer)`` says *correct*, or gives a hint without revealing the answer. The right
answers are computed from the library (never typed in), so they stay true if the library changes.
Worked solutions live in ``solutions/``.
"""
from __future__ import annotations

import copy
import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable

import torch

from .derivatives import ZCS
from .formats import format_facts, mantissa_bits, round_to, update_survives, get_dtype
from .half_fft import rfftn_half
from .models import DeepONet, DeepONetConfig
from .problems import ReactionDiffusion
from .distributed import allreduce_bytes
from .experiments import physics_loss, step_memory
from .experiments import FNOSetting, fno_data, run_fno_setting
from .problems import collocation_points
from .train_step import TrainStep
from .teach.attempts import record_attempt


@dataclass(frozen=True)
class Exercise:
    question: str                     # what the exercise asks, in one line
    is_correct: Callable[[Any], bool]  # the checker
    hint: str                         # shown on a wrong answer; never the answer itself
    number: bool = True               # the answer is one number (a tensor of several is refused)


def _close(expected: float, rel: float = 0.02) -> Callable[[Any], bool]:
    return lambda a: isinstance(a, (int, float)) and math.isclose(float(a), expected, rel_tol=rel)


def _largest_exact_integer(fmt: str) -> int:
    return 2 ** (mantissa_bits(get_dtype(fmt)) + 1)


def _capstone_memory_ratio(fast: tuple[str, str], n_functions: int) -> float:
    """Saved bytes of one DataVect+fp32 training step over those of ``fast`` (lesson 07's sizes)."""
    problem, config = ReactionDiffusion(), DeepONetConfig(width=32, n_features=32)
    base = step_memory(problem, ("datavect", "fp32"), n_functions, 200, config)
    return base / step_memory(problem, fast, n_functions, 200, config)


def _format_name(answer: Any) -> str | None:
    """A 16-bit format named any usual way ("bf16", "BFloat16", torch.bfloat16) as its torch name;
    None for anything else."""
    if isinstance(answer, torch.dtype):
        answer = str(answer).replace("torch.", "")
    if not isinstance(answer, str):
        return None
    name = answer.strip().lower().replace("torch.", "")
    return {"bf16": "bfloat16", "fp16": "float16", "half": "float16"}.get(name, name)


# Lesson 03 asserts that autocast stores at most 0.6x float32's saved bytes; by hand (2 bytes
# instead of 4, a few tensors stay float32) the factor is at most 2. 03.1 accepts that range.
SAVED_FACTOR_RANGE = (1 / 0.6, 2.0)


def _saved_bytes_factor(answer: Any) -> bool:
    """03.1: float32 bytes / autocast bytes within SAVED_FACTOR_RANGE (2% slack above 2, the
    by-hand answer); an answer below 1 is read as the fraction kept and inverted."""
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return False
    answer = float(answer)
    if not math.isfinite(answer) or answer <= 0:
        return False
    factor = 1 / answer if answer < 1 else answer
    low, high = SAVED_FACTOR_RANGE
    return low <= factor <= 1.02 * high


# --- lesson 07: the learner's ZCS + AMP loop against the library's step ---------------------------

LOOP_STEPS = 20           # 07.4 trains this many steps ...
LOOP_FIRST_RTOL = 1e-6    # ... the first loss (no update yet) must match to float32 rounding ...
LOOP_RTOL = 1e-2          # ... and every loss within 1% (broken loops are off by far more)


def _zcs_amp_case():
    """Lesson 07's loop inputs at a small size, float32 on the CPU: a DeepONet drawn from seed 0,
    v (4, 50), x (64, 2), the source f = v(x) (4, 64) and the boundary points xb (150, 2)."""
    rd = ReactionDiffusion()
    g = torch.Generator().manual_seed(0)
    v, x = rd.sample_branch(4, g).float(), collocation_points(64, 2, g).float()
    s = torch.linspace(0, 1, rd.n_boundary)                              # (n,)
    zero, one = torch.zeros_like(s), torch.ones_like(s)
    xb = torch.cat([torch.stack([zero, s], 1), torch.stack([one, s], 1),
                    torch.stack([s, zero], 1)])                           # (3n, 2)
    torch.manual_seed(0)
    model = DeepONet(DeepONetConfig(n_sensors=rd.n_sensors, coord_dims=2, width=16, depth=2,
                                    n_features=16))
    return rd, model, v, x, rd.source(v, x), xb


def _loop_gaps(loop: Callable, dtype: torch.dtype) -> list[float]:
    """Relative gap, step by step, between ``loop``'s losses and st.TrainStep + ZCS's."""
    rd, model, v, x, f, xb = _zcs_amp_case()
    policy = {torch.bfloat16: "amp-bf16", torch.float16: "amp-fp16"}[dtype]
    step = TrainStep(copy.deepcopy(model), physics_loss(rd, "zcs", v, x), policy, lr=1e-3)
    library = [step().item() for _ in range(LOOP_STEPS)]
    mine = [float(loss) for loss in loop(model, v, x, f, xb, LOOP_STEPS, dtype)]
    if len(mine) != LOOP_STEPS:
        raise ValueError(f"it returned {len(mine)} losses for {LOOP_STEPS} steps: one per step")
    return [abs(a / b - 1) for a, b in zip(mine, library)]


def _loop_matches_library(loop: Any) -> bool:
    """07.4: ``loop(model, v, x, f, xb, steps, dtype)`` trains like st.TrainStep with ZCS under
    amp-bf16 and amp-fp16; says which dtype and step differ (never the right losses)."""
    if not callable(loop):
        return False
    threads = torch.get_num_threads()
    torch.set_num_threads(1)          # a tiny model: one thread is fastest, and never oversubscribes
    try:
        with torch.random.fork_rng(devices=[]):            # the learner's random state stays
            return _loop_verdict(loop)
    finally:
        torch.set_num_threads(threads)


def _loop_verdict(loop: Callable) -> bool:
    """True when ``loop`` matches the library in bfloat16 and float16; else prints why, False."""
    for dtype in (torch.bfloat16, torch.float16):
        try:
            gaps = _loop_gaps(loop, dtype)
        except Exception as err:  # noqa: BLE001 -- any error in the learner's loop: say it
            print(f"[07.4] with dtype={dtype} your loop raised {type(err).__name__}: {err}")
            return False
        if gaps[0] > LOOP_FIRST_RTOL or max(gaps) > LOOP_RTOL:
            worst = max(range(len(gaps)), key=gaps.__getitem__)
            print(f"[07.4] with dtype={dtype}: first loss off by {gaps[0]:.1e} (allowed "
                  f"{LOOP_FIRST_RTOL:g}), step {worst} off by {gaps[worst]:.1e} (allowed {LOOP_RTOL:g})")
            return False
    return True


def _smallest_surviving_power_of_two(w: float, fmt: str) -> float:
    return next(2.0**k for k in range(-30, 30) if update_survives(w, 2.0**k, fmt))


# --- lessons 04-06: answers computed with the library on small float64 examples -----------------

def _tiny_deeponet_case(n_sensors: int = 5):
    """A fixed small float64 DeepONet, M = 3 input functions and N = 7 points (x, t), built
    without touching the learner's random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1234)
        model = DeepONet(DeepONetConfig(n_sensors=n_sensors, coord_dims=2, width=16, depth=2,
                                        n_features=8)).double()
        v = torch.randn(3, n_sensors, dtype=torch.float64)        # (M, m)
        x = torch.rand(7, 2, dtype=torch.float64)                 # (N, 2)
    return model, v, x


def _same_field(got: Any, expected: torch.Tensor, rtol: float = 1e-6) -> bool:
    """``got`` is a tensor of ``expected``'s shape within ``rtol`` of its largest value."""
    if not torch.is_tensor(got) or tuple(got.shape) != tuple(expected.shape):
        return False
    got = got.detach().to(torch.float64)
    return bool(torch.isfinite(got).all()
                and (got - expected).abs().max() <= rtol * expected.abs().max())


def _function_matches(reference: Callable[..., torch.Tensor],
                      cases: Callable[[], list[tuple]]) -> Callable[[Any], bool]:
    """A checker for a function the learner writes: it must return ``reference``'s field on
    every argument tuple ``cases()`` gives (built only when checking); an exception counts as a
    wrong answer."""
    def is_correct(fn: Any) -> bool:
        if not callable(fn):
            return False
        try:
            return all(_same_field(fn(*args), reference(*args).detach()) for args in cases())
        except Exception:  # noqa: BLE001 -- any error in the learner's function is a wrong answer
            return False
    return is_correct


def _residual_cases() -> list[tuple]:
    """Lesson 04's problem (m = 50 sensors): a small float64 DeepONet and three sources v."""
    rd = ReactionDiffusion()
    model, _, x = _tiny_deeponet_case(rd.n_sensors)
    v = rd.sample_branch(3, torch.Generator().manual_seed(5))     # (M, 50) float64
    return [(model, v, x)]


def _rd_residual_reference(model, v, x):
    """The residual lesson 04 trains on, from ZCS fields."""
    rd = ReactionDiffusion(n_sensors=v.shape[1])
    return rd.residual(ZCS().fields(model, v, x, rd.requests), v, x)


def _residual_is_correct(fn: Any) -> bool:
    """04.1: ``fn(model, v, x)`` returns the residual as one (M, N) tensor -- or array, any float
    dtype -- within 1e-6 of the ZCS reference's largest value (float32 arithmetic passes)."""
    if not callable(fn):
        return False
    try:
        for args in _residual_cases():
            got = fn(*args)
            if not torch.is_tensor(got) and hasattr(got, "__array__"):
                got = torch.as_tensor(got)            # a NumPy array is the same answer
            if not _same_field(got, _rd_residual_reference(*args).detach()):
                return False
        return True
    except Exception:  # noqa: BLE001 -- any error in the learner's function is a wrong answer
        return False


def _zcs_gradient_counts(request: tuple[int, ...]) -> tuple[int, int]:
    """(gradients w.r.t. the zero shifts z, gradients w.r.t. the dummy weights a) that the
    library's ZCS takes for one request, counted by watching torch.autograd.grad."""
    model, v, x = _tiny_deeponet_case()
    counts = {"z": 0, "a": 0}
    grad = torch.autograd.grad

    def counting_grad(outputs, inputs, *args, **kwargs):
        leaf = inputs[0] if isinstance(inputs, (tuple, list)) else inputs
        counts["z" if leaf.ndim == 1 else "a"] += 1             # z is (D,), a is (M, N)
        return grad(outputs, inputs, *args, **kwargs)

    torch.autograd.grad = counting_grad
    try:
        ZCS().fields(model, v, x, [request])
    finally:
        torch.autograd.grad = grad
    return counts["z"], counts["a"]


def _largest_safe_power_of_two_grid() -> int:
    """Largest power-of-two n whose n x n float16 spectrum of values |x| <= 1 stays finite."""
    n = 1
    while torch.isfinite(rfftn_half(torch.ones(1, 1, 2 * n, 2 * n), 2, torch.float16)).all():
        n *= 2
    return n


def _first_overflowing_scale() -> float:
    """Smallest 10**k at which lesson 06's un-stabilised mixed FNO overflows on the Burgers data,
    as the training run's own check finds it (st.run_fno_setting reports "overflow"). The
    learner's random state is left alone."""
    data = fno_data("burgers")
    with torch.random.fork_rng():
        return next(10.0 ** k for k in range(9)
                    if run_fno_setting(FNOSetting("mixed", "none", True, 10.0 ** k), data,
                                       steps=1)["status"] == "overflow")


def _is_first_overflowing_scale(a: Any) -> bool:
    """A number (not a bool) equal to :func:`_first_overflowing_scale`; 1e4 and 10000 both count."""
    return (isinstance(a, numbers.Real) and not isinstance(a, bool)
            and math.isclose(float(a), _first_overflowing_scale(), rel_tol=1e-9))


def _smallest_overflowing_count() -> int:
    """Smallest N whose sum of N ones (a DFT's zero mode) rounds to inf in float16."""
    largest = int(format_facts("float16")["max"])
    return next(n for n in range(largest, 2 * largest) if math.isinf(round_to(float(n), "float16")))


def _is_int(a: Any) -> bool:
    """A Python or NumPy integer (not a bool)."""
    return isinstance(a, numbers.Integral) and not isinstance(a, bool)


def _int_pair(expected: Callable[[], tuple[int, int]]) -> Callable[[Any], bool]:
    return lambda a: (isinstance(a, (tuple, list)) and len(a) == 2 and all(_is_int(k) for k in a)
                      and tuple(int(k) for k in a) == expected())


def _int_equals(expected: Callable[[], int]) -> Callable[[Any], bool]:
    return lambda a: _is_int(a) and int(a) == expected()


def _whole_number_equals(expected: Callable[[], int]) -> Callable[[Any], bool]:
    """An int, or a float that is the same whole number (33410.0 counts as 33410); not a bool."""
    return lambda a: (isinstance(a, numbers.Real) and not isinstance(a, bool)
                      and math.isfinite(float(a)) and float(a) == expected())


def _lesson08_allreduce_bytes() -> int:
    """bfloat16 bytes all-reduced per step for a width-64 DeepONet, built on the meta device: no
    weights are drawn, so checking leaves the learner's random state alone."""
    with torch.device("meta"):
        return allreduce_bytes(DeepONet(DeepONetConfig(width=64, n_features=64)), "bf16")


EXERCISES: dict[str, Exercise] = {
    "01.1": Exercise("largest n such that all integers 0..n are exact in float16",
                     lambda a: a == _largest_exact_integer("float16"),
                     "float16 has 10 stored mantissa bits plus an implicit leading 1."),
    "01.2": Exercise("smallest power of two u with 1024 + u != 1024 in float16",
                     lambda a: isinstance(a, (int, float))
                     and float(a) == _smallest_surviving_power_of_two(1024.0, "float16"),
                     "compute st.ulp(1024.0, 'float16'); remember ties round to even."),
    "01.3": Exercise("format that keeps a loss of 1e-9 nonzero: a name ('float16', 'bfloat16', "
                     "'bf16', any case) or a torch dtype (torch.float16, torch.bfloat16)",
                     lambda a: _format_name(a) == "bfloat16",
                     "compare 1e-9 with each format's smallest subnormal (lesson 01 derives it from "
                     "the bits; st.format_facts lists it); answer with a format's name, e.g. "
                     "'float16', or a torch dtype.", number=False),
    "02.1": Exercise("the float16 value of Adam's default eps=1e-8",
                     lambda a: isinstance(a, (int, float)) and float(a) == 0.0,
                     "use st.round_to(1e-8, 'float16')."),
    "02.2": Exercise("the smallest positive float16 number (a subnormal)",
                     _close(format_facts("float16")["smallest_subnormal"]),
                     "it is the smallest normal number divided by 2**10 (lesson 01, 'The four "
                     "numbers, read off the bits'); answer with a number."),
    "03.1": Exercise("the factor by which 16-bit autocast shrinks the saved-for-backward bytes of "
                     "the Poisson PINN's step: a number, float32 bytes / autocast bytes (e.g. 1.5); "
                     "the fraction kept, autocast / float32 (e.g. 0.67), counts too",
                     _saved_bytes_factor,
                     "measure one step per policy, st.train_pinn(poisson, st.TrainConfig(steps=1, "
                     "policy=...)).memory_bytes[0] for 'fp32' and 'amp-bf16', and divide; by hand, "
                     "compare the bytes of a float32 and a 16-bit element."),
    "03.2": Exercise("loss scale needed to lift a gradient of 1e-9 to float16's smallest normal",
                     lambda a: isinstance(a, (int, float))
                     and 0.5 <= float(a) * 1e-9 / format_facts("float16")["smallest_normal"] <= 2.0,
                     "divide float16's smallest normal (6.1e-5) by the gradient; the scaler "
                     "uses powers of two, any within a factor 2 is fine."),
    # Lessons 04-06
    "04.1": Exercise("a function residual(model, v, x) -> one (M, N) tensor: u_t - 0.01 u_xx + "
                     "0.01 u^2 - v, with derivatives from the 'datavect' strategy",
                     _residual_is_correct,
                     "fields = st.get_strategy('datavect').fields(model, v, x, rd.requests) maps "
                     "(0, 0) to u, (0, 1) to u_t and (2, 0) to u_xx, each (M, N); v at the points "
                     "is rd.source(v, x), (M, N). Combine them (or call rd.residual(fields, v, x)) "
                     "and return one (M, N) tensor.", number=False),
    "05.1": Exercise("(gradients w.r.t. z, gradients w.r.t. a) ZCS needs for the request (4, 0)",
                     _int_pair(lambda: _zcs_gradient_counts((4, 0))),
                     "write out zcs_u_xx's torch.autograd.grad calls for this order and count which "
                     "take z and which take a; answer with a tuple of two ints.",
                     number=False),
    "05.4": Exercise("a function zcs_field(model, v, x, request) -> (M, N) generalising zcs_u_xx",
                     _function_matches(lambda m, v, x, r: ZCS().fields(m, v, x, [r])[r],
                                       lambda: [(*_tiny_deeponet_case(), r)
                                                for r in [(1, 0), (2, 2), (0, 3)]]),
                     "differentiate omega w.r.t. z, always picking component d of the gradient, "
                     "request[d] times per coordinate d; keep create_graph=True for every step.",
                     number=False),
    "06.1": Exercise("largest power-of-two n (an int, or a float holding a whole number) such that an "
                     "n x n float16 spectrum after tanh cannot overflow",
                     _whole_number_equals(_largest_safe_power_of_two_grid),
                     "an n x n grid sums n * n values of at most 1; compare with float16's largest "
                     "number (st.format_facts('float16'))."),
    "06.2": Exercise("smallest power of ten input_scale (a number, e.g. 1e3 or 1000) at which the "
                     "un-stabilised mixed FNO overflows on the Burgers data",
                     _is_first_overflowing_scale,
                     "try input_scale = 1, 10, 100, ...: st.nonfinite_spectral_layers on "
                     "10.0 ** k * data['a_train'][:16], as in the lesson's stress test, or explore()."),
    "06.4": Exercise("smallest N (an int, or a float holding a whole number) such that N, the exact "
                     "sum of N ones, is inf in float16",
                     _whole_number_equals(_smallest_overflowing_count),
                     "a sum a little above float16's largest number still rounds down to it; use "
                     "st.round_to(N, 'float16') and remember that ties round to even."),
    # Capstone (lesson 07): measured with st.step_memory, so they follow the library
    "07.1": Exercise("M=8, N=200, width 32: DataVect+fp32's saved bytes over ZCS+amp-bf16's "
                     "(a float ratio, within 5%)",
                     lambda a: _close(_capstone_memory_ratio(("zcs", "amp-bf16"), 8), rel=0.05)(a),
                     "call st.step_memory for both combinations with "
                     "st.DeepONetConfig(width=32, n_features=32) and divide."),
    "07.2": Exercise("M=1, N=200, width 32: DataVect+fp32's saved bytes over ZCS+fp32's "
                     "(a float ratio, within 5%)",
                     lambda a: _close(_capstone_memory_ratio(("zcs", "fp32"), 1), rel=0.05)(a),
                     "with one function there is nothing for ZCS to share; measure it with "
                     "st.step_memory rather than guessing."),
    "07.4": Exercise("a function my_zcs_amp_loop(model, v, x, f, xb, steps, dtype) -> a list of "
                     "`steps` losses (floats), training with ZCS derivatives under autocast to "
                     "dtype like st.TrainStep(model, st.physics_loss(rd, 'zcs', v, x), 'amp-bf16' "
                     "or 'amp-fp16', lr=1e-3): 20 steps from the same weights, first loss within "
                     "1e-6 relative, every loss within 1%, for torch.bfloat16 and torch.float16",
                     _loop_matches_library,
                     "compare your blanks with lesson 07's zcs_residual and zcs_amp_loop: z and a "
                     "need requires_grad=True, every autograd.grad keeps create_graph=True, the whole "
                     "loss runs under torch.autocast(device, dtype=dtype), and the GradScaler "
                     "(enabled only for float16) scales, backpropagates, unscales, steps and updates.",
                     number=False),
    # Beyond one device (lesson 08): what data parallelism sends, and what 16 bits cost it
    "08.1": Exercise("bytes one rank all-reduces per step with bfloat16 gradients, "
                     "st.DeepONet(st.DeepONetConfig(width=64, n_features=64)): a whole number "
                     "of bytes (an int, or a float such as 3.0e4 that is one)",
                     _whole_number_equals(_lesson08_allreduce_bytes),
                     "every parameter sends one gradient per step: count the weights (a*b) and "
                     "biases (b) of every Linear(a, b) that print(model) lists, in branch and "
                     "trunk, plus the one output bias, times the 2 bytes of a bfloat16."),
    "08.2": Exercise("the largest relative error one rounding to bfloat16 puts on a gradient "
                     "element (the unit roundoff u): a float, e.g. 2.0**-k, within 2%",
                     _close(format_facts("bfloat16")["ulp_of_1"] / 2),
                     "round to nearest errs by at most half an ulp; bfloat16's ulp of 1.0 is "
                     "st.format_facts('bfloat16')['ulp_of_1']."),
}


class Verdict:
    """True or False for code (``assert check(...)``), and nothing extra on a notebook's screen:
    the printed line already says it, so the cell does not also echo ``False``."""

    def __init__(self, correct: bool):
        self.correct = correct

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        return f"Verdict({self.correct})"

    def _ipython_display_(self) -> None:  # IPython shows nothing for a cell ending in check(...)
        return None


def _as_number(exercise_id: str, answer: Any) -> Any:
    """A one-element tensor or array as the Python number it holds (so a right value computed
    with torch counts as right); an answer of several numbers is refused by name."""
    if not (torch.is_tensor(answer) or hasattr(answer, "__array__")):
        return answer
    size = answer.numel() if torch.is_tensor(answer) else getattr(answer, "size", 1)
    if size != 1:
        raise ValueError(f"answer to {exercise_id} must be one number, got an array of shape "
                         f"{tuple(answer.shape)} ({type(answer).__name__}): pick the value the "
                         f"question asks for, e.g. answer[0].item()")
    return answer.item()


def check(exercise_id: str, answer: Any) -> Verdict:
    """Print whether ``answer`` is right (or a hint); the result is truthy when it is. Where the
    answer is a number, a one-element tensor or array counts as the number it holds."""
    if not isinstance(exercise_id, str) or exercise_id not in EXERCISES:
        raise ValueError(f"unknown exercise_id {exercise_id!r}: ids are strings such as '01.2'; "
                         f"valid ids: {', '.join(EXERCISES)}")
    exercise = EXERCISES[exercise_id]
    if answer is None:
        print(f"[{exercise_id}] not answered yet: {exercise.question}")
        return Verdict(False)
    if exercise.number:
        answer = _as_number(exercise_id, answer)
    correct = bool(exercise.is_correct(answer))
    record_attempt(exercise_id, correct)  # one line in ./.sciml_teach_attempts.jsonl (docs/teaching.md)
    if correct:
        print(f"[{exercise_id}] correct!")
        return Verdict(True)
    print(f"[{exercise_id}] not quite. Hint: {exercise.hint}")
    return Verdict(False)
