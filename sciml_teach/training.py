"""One training loop for every model in the course, with diagnostics that explain failures.

``train(model, loss_fn, config)`` runs Adam under a :class:`~sciml_teach.precision.PrecisionPolicy`
and records a :class:`History` per step: loss, gradient norm, loss scale, non-finite gradients,
the fraction of weights the step left unchanged (update underflow), step time and memory. A run
that blows up or stops learning is a *result*: it ends with ``status`` ``"diverged"`` or
``"stalled"`` and a ``reason`` in words, never with an exception (Hayford et al. 2024, Sec. 3:
pure float16 gradients diverge early, or updates round to zero and training stalls). Diverged
means: the weights or (without loss scaling) the loss became inf/NaN, or the loss grew more than
``TrainConfig.diverge_factor`` (10^3) times above its best value since step ``diverge_after``
-- a loss exploding from 1e-3 to 5e9 while staying finite is called by its name too.
Callbacks are the only seam to plots and widgets. The step each iteration runs is
:class:`~sciml_teach.train_step.TrainStep` (its own file, read beside lesson 03's plain-PyTorch
step); this file adds the bookkeeping around it. Introduced in notebooks/02_float16_divergence.ipynb.
"""
from __future__ import annotations

import gc
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch

from .checks import check_bool, check_choice, check_float, check_int
from .placement import resolve_device
from .meters import SavedTensorMeter, memory_kind
from .precision import PrecisionPolicy, get_policy
from .progress import progress
# The step itself lives in train_step.py (lesson 03 reads it beside its plain-PyTorch cell);
# _check_loss keeps its old name here for tests/test_bad_inputs.py.
from .train_step import TrainStep, check_trainable, check_loss as _check_loss  # noqa: F401


MEMORY_KINDS = ("autograd_saved", "cuda_peak", "auto")  # "auto": cuda_peak on a GPU, else saved


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 1000                 # optimizer steps (a run may end early: diverged or stalled)
    lr: float = 1e-3                  # Adam learning rate
    adam_eps: float = 1e-8            # Adam's epsilon; 1e-8 rounds to 0 in float16 (lesson 01)
    policy: str | PrecisionPolicy = "fp32"  # precision policy, by name or object
    loss_scaling: bool | None = None  # None: as the policy says; False/True: override (AMP only)
    device: str = "auto"              # "auto" (the CUDA GPU when there is one, else CPU), "cpu", "cuda"
    error_every: int = 100            # evaluate error_fn every this many steps (and at the end)
    diagnose_every: int = 1           # gradient statistics and frozen weights every this many steps
    memory_every: int = 100           # measure the step's memory at step 0 and every this many steps
    memory_kind: str = "autograd_saved"  # bytes saved for backward (the same on every machine),
    #                                   "cuda_peak" (the allocator's peak, on a GPU) or "auto"
    stall_window: int = 200           # look this many steps back to decide "stalled"
    stall_rtol: float = 0.01          # stalled: best loss improved by less than this fraction ...
    stall_frozen: float = 0.5         # ... while more than this fraction of weights did not move
    max_skipped: int = 50             # loss scaling: this many skipped steps in a row = diverged
    diverge_factor: float = 1e3       # diverged: the loss grew this many times above its best ...
    diverge_after: int = 10           # ... counting from this step on (early transients are normal)
    seed: int | None = 0              # torch.manual_seed before training (None: leave RNG alone)
    max_norm: float | None = None     # clip the gradient norm to this after unscale_ (None: no clip)

    def __post_init__(self):
        for name in ["steps", "error_every", "diagnose_every", "memory_every", "stall_window",
                     "max_skipped"]:
            check_int(f"TrainConfig.{name}", getattr(self, name), minimum=1)
        check_int("TrainConfig.diverge_after", self.diverge_after, minimum=0)
        for name in ["lr", "adam_eps"]:
            check_float(f"TrainConfig.{name}", getattr(self, name), positive=True)
        check_float("TrainConfig.stall_rtol", self.stall_rtol, minimum=0.0, maximum=1.0)
        check_float("TrainConfig.stall_frozen", self.stall_frozen, minimum=0.0, maximum=1.0)
        check_float("TrainConfig.diverge_factor", self.diverge_factor, minimum=1.0)
        check_bool("TrainConfig.loss_scaling", self.loss_scaling, allow_none=True)
        if self.seed is not None:
            check_int("TrainConfig.seed", self.seed, minimum=0)
        if self.max_norm is not None:
            check_float("TrainConfig.max_norm", self.max_norm, positive=True)
        if not isinstance(self.device, (str, torch.device)) or (
                str(self.device) not in {"auto", "cpu", "cuda"}
                and not str(self.device).startswith("cuda:")):
            raise ValueError(f"TrainConfig.device must be 'auto', 'cpu' or 'cuda', got {self.device!r}")
        check_choice("TrainConfig.memory_kind", self.memory_kind, MEMORY_KINDS)
        policy = get_policy(self.policy)  # raises ValueError for an unknown name
        if self.loss_scaling and policy.param_dtype != torch.float32:
            raise ValueError(f"loss scaling needs float32 master weights; policy {policy.name!r} "
                             f"stores {policy.param_dtype} weights (use 'amp-fp16' or 'amp-bf16')")


@dataclass
class History:
    policy: str                                         # policy name
    memory_kind: str                                    # "autograd_saved" or "cuda_peak"
    loss_scaling: bool = False                          # a GradScaler was active
    loss: list[float] = field(default_factory=list)     # loss per step (before the update)
    loss_scale: list[float] = field(default_factory=list)  # GradScaler scale (1.0 when off)
    skipped: list[bool] = field(default_factory=list)   # the scaler skipped this step (inf grads)
    step_time_s: list[float] = field(default_factory=list)  # forward+backward+update only (NaN:
    #                                                     a CPU step whose memory was metered)
    diagnostics_time_s: list[float] = field(default_factory=list)  # time spent diagnosing, per step
    diagnosed_steps: list[int] = field(default_factory=list)  # steps with the three lists below
    grad_norm: list[float] = field(default_factory=list)  # L2 norm of the unscaled gradient
    nonfinite_grads: list[int] = field(default_factory=list)  # inf/NaN gradient entries
    frozen_fraction: list[float] = field(default_factory=list)  # weights the step left unchanged
    memory_steps: list[int] = field(default_factory=list)   # steps whose memory was measured
    memory_bytes: list[int] = field(default_factory=list)   # memory of those steps (memory_kind)
    error_steps: list[int] = field(default_factory=list)    # steps at which error was evaluated
    error: list[float] = field(default_factory=list)        # error_fn(model) at those steps
    status: str = "running"                             # "running", "ok", "diverged", "stalled"
    reason: str = ""                                    # why the run ended as it did, in words
    ended_step: int | None = None                       # the step that ended a diverged/stalled run
    #                                                     (None: the run went to the last step)
    best_loss: float = math.nan                         # lowest finite loss from diverge_after on

    @property
    def steps(self) -> int:
        return len(self.loss)

    @property
    def final_error(self) -> float:
        return self.error[-1] if self.error else math.nan

    @property
    def median_step_time_s(self) -> float:
        """Median of the timed steps after the first (which includes warm-up)."""
        timed = [t for t in self.step_time_s[1:] if math.isfinite(t)]
        timed = sorted(timed or [t for t in self.step_time_s if math.isfinite(t)])
        return timed[len(timed) // 2] if timed else math.nan

    @property
    def diagnostics_share(self) -> float:
        """Diagnostics time over step time: what watching the run costs on top of running it."""
        steps = sum(t for t in self.step_time_s if math.isfinite(t))
        return sum(self.diagnostics_time_s) / steps if steps > 0 else math.nan

    def summary(self) -> str:
        return (f"{self.policy:>9}: {self.status:<8} steps={self.steps:<6} "
                f"loss={self.loss[-1] if self.loss else math.nan:.3e} error={self.final_error:.3e}"
                + (f"  ({self.reason})" if self.reason else ""))


class Callback:
    """Override what you need; the loop calls these and nothing else talks to the display.

    Any object with one or more of these methods works too (subclassing is optional): the loop
    calls the hooks an object has and skips the others."""

    def on_train_start(self, history: History) -> None: ...
    def on_step(self, history: History) -> None: ...
    def on_train_end(self, history: History) -> None: ...


HOOKS = ("on_train_start", "on_step", "on_train_end")  # what the loop calls, each with the History


def _callback_hooks(callbacks) -> dict[str, list[Callable[[History], None]]]:
    """{hook name: the bound hooks to call}; refuses a callback the loop could not call, before
    any step runs (not with an AttributeError after the first one)."""
    if isinstance(callbacks, str) or not isinstance(callbacks, Sequence):
        raise ValueError(f"callbacks must be a list of callback objects, e.g. [my_callback]; "
                         f"got {type(callbacks).__name__}")
    hooks: dict[str, list] = {name: [] for name in HOOKS}
    for i, cb in enumerate(callbacks):
        found = [name for name in HOOKS if hasattr(cb, name)]
        if not found:
            raise ValueError(f"callbacks[{i}] ({type(cb).__name__}) has none of the hooks the loop "
                             f"calls: {', '.join(HOOKS)} (each takes the History; define the ones "
                             f"you need, the rest are optional, e.g. subclass st.Callback)")
        for name in found:
            hook = getattr(cb, name)
            if not callable(hook):
                raise ValueError(f"callbacks[{i}].{name} must be a method taking the History, "
                                 f"got {type(hook).__name__}")
            hooks[name].append(hook)
    return hooks


def _flat_params(model: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def _grad_stats(model: torch.nn.Module) -> tuple[float, int]:
    grads = [p.grad.detach().float().reshape(-1) for p in model.parameters() if p.grad is not None]
    if not grads:
        return 0.0, 0
    g = torch.cat(grads)
    finite = torch.isfinite(g)
    return torch.linalg.vector_norm(g[finite]).item(), int((~finite).sum())


def _outcome(history: History, config: TrainConfig, params_finite: bool) -> tuple[str, str]:
    """Return ("running", "") or the reason the run has to stop now; keeps ``history.best_loss``
    (the running minimum the growth rule measures from) up to date. A negative or zero best loss
    (a custom loss may have one) is never a reason to stop: growth is measured from a best > 0."""
    loss, step = history.loss[-1], history.steps - 1
    if step == 0 and not math.isfinite(loss) and not history.loss_scaling:
        # before any update: the data or the loss itself hold inf/NaN (cheap to say, so say it)
        return "diverged", (f"loss was {loss} at step 0, before any update: check the inputs for "
                            f"NaN/inf, or whether the loss overflows {history.policy}'s range")
    if not params_finite:
        return "diverged", f"weights became inf/NaN at step {step}"
    if not math.isfinite(loss) and not history.loss_scaling:
        return "diverged", f"loss became {loss} at step {step}"
    best = history.best_loss
    if step >= config.diverge_after and math.isfinite(loss):
        # a running minimum: a loss that climbs back by orders of magnitude is caught however
        # slowly it climbs, while Adam's usual ups and downs stay far below the factor
        history.best_loss = loss if math.isnan(best) else min(best, loss)
        if best > 0 and loss > config.diverge_factor * best:
            return "diverged", (f"loss grew {loss / best:.1e} times above its best ({best:.3e}) to "
                                f"{loss:.3e} at step {step} (limit: {config.diverge_factor:g} times)")
    recent_skips = history.skipped[-config.max_skipped:]
    if len(recent_skips) == config.max_skipped and all(recent_skips):
        return "diverged", f"{config.max_skipped} steps in a row had inf/NaN gradients"
    w = config.stall_window
    if history.steps >= 2 * w:
        before = min(history.loss[:-w])
        after = min(history.loss[-w:])
        recent = [f for s, f in zip(history.diagnosed_steps, history.frozen_fraction)
                  if s >= history.steps - w]
        frozen = sum(recent) / len(recent) if recent else 0.0
        if after > before * (1 - config.stall_rtol) and frozen > config.stall_frozen:
            skipped = sum(history.skipped[-w:]) / w
            why = (f"the GradScaler skipped {skipped:.0%} of the steps (inf/NaN gradients)"
                   if skipped > 0.1 else "updates round to zero")
            return "stalled", (f"loss stopped improving (best {after:.3e} in the last {w} steps) while "
                               f"{frozen:.0%} of weights did not change per step: {why}")
    return "running", ""


def _one_number(name: str, value) -> float:
    """``value`` as a float; several values (a tuple, a tensor of many) are refused by name."""
    try:
        return float(value)
    except (TypeError, ValueError, RuntimeError):
        shape = getattr(value, "shape", None)
        got = (f"a {type(value).__name__} of shape {tuple(shape)}" if shape is not None
               else f"{type(value).__name__} {value!r}")
        raise ValueError(f"{name} must return one number (e.g. st.relative_l2(...)), got {got}: "
                         f"return one error, e.g. the mean, and record others in a Callback") from None


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _run_step(step: TrainStep, meter: str | None) -> tuple[torch.Tensor, float, int | None]:
    """(loss, seconds, memory bytes or None); ``meter`` is None or the History's memory_kind.
    The clock sees the step alone: the saved-tensor hooks that count bytes slow a step down, so a
    step metered that way is not timed (NaN); a CUDA peak is read outside the clock."""
    device = step.device
    if meter == "autograd_saved":
        with SavedTensorMeter() as meter_:
            loss = step()
        return loss, math.nan, meter_.bytes
    if meter:
        gc.collect()  # a graph from an earlier step, freed mid-step, would hide this step's peak
    _sync(device)
    if meter:
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
    start = time.perf_counter()
    loss = step()
    _sync(device)  # GPU kernels run asynchronously: stop the clock when they are done
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated(device) - base if meter else None
    return loss, seconds, peak


def _diagnose(history: History, step: TrainStep, before: torch.Tensor) -> bool:
    """Gradient statistics and the fraction of weights the step left unchanged; True while every
    weight is finite. Runs after the timed step (its host syncs cost nothing there)."""
    grad_norm, nonfinite = _grad_stats(step.model)
    after = _flat_params(step.model)
    history.diagnosed_steps.append(history.steps - 1)
    history.grad_norm.append(grad_norm)
    history.nonfinite_grads.append(nonfinite)
    history.frozen_fraction.append((after == before).float().mean().item())
    return bool(torch.isfinite(after).all())


def _train_one(step: TrainStep, history: History, config: TrainConfig, index: int) -> bool:
    """The timed step with its bookkeeping around it; returns whether every weight is finite."""
    start = time.perf_counter()
    diagnose = index % config.diagnose_every == 0 or index == config.steps - 1
    before = _flat_params(step.model).clone() if diagnose else None
    scale = step.scale()
    diagnostics_s = time.perf_counter() - start
    metered = index % config.memory_every == 0
    loss, seconds, memory = _run_step(step, history.memory_kind if metered else None)
    start = time.perf_counter()
    history.loss.append(loss.float().item())
    history.loss_scale.append(scale)
    history.skipped.append(step.scale() < scale)  # the scaler backs off only after an inf step
    history.step_time_s.append(seconds)
    if memory is not None:
        history.memory_steps.append(index)
        history.memory_bytes.append(memory)
    finite = _diagnose(history, step, before) if diagnose else True
    history.diagnostics_time_s.append(diagnostics_s + time.perf_counter() - start)
    return finite


def train(model: torch.nn.Module, loss_fn: Callable[[torch.nn.Module], torch.Tensor],
          config: TrainConfig = TrainConfig(),
          error_fn: Callable[[torch.nn.Module], float] | None = None,
          callbacks: Sequence[Callback] = (),
          make_optimizer: Callable[[torch.nn.Module], torch.optim.Optimizer] | None = None) -> History:
    """Train ``model`` (moved to ``config.device`` and cast in place to the policy's parameter
    dtype) to minimise ``loss_fn(model)``, one :class:`TrainStep` at a time.

    ``make_optimizer(model)`` builds the optimizer from the cast model (default: Adam with
    ``config.lr`` and ``config.adam_eps``), e.g. one of sciml_teach.half_updates' wrappers.

    ``loss_fn`` runs inside the policy's autocast context and returns a scalar; it moves its data
    to the model's device and dtype. ``error_fn(model)`` (e.g. relative L2 error against a
    reference solution) is evaluated without gradients every ``config.error_every`` steps and at
    the end. Step times cover forward, backward and the update only; diagnostics run beside them.
    """
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig, got {type(config).__name__}")
    check_trainable(model)
    hooks = _callback_hooks(callbacks)
    policy = get_policy(config.policy)
    device = resolve_device(config.device)
    if config.seed is not None:
        torch.manual_seed(config.seed)
    model = policy.cast_model(model.to(device))
    optimizer = make_optimizer(model) if make_optimizer is not None else None
    step = TrainStep(model, loss_fn, policy, optimizer=optimizer, lr=config.lr,
                     adam_eps=config.adam_eps, loss_scaling=config.loss_scaling,
                     max_norm=config.max_norm)
    kind = memory_kind(device) if config.memory_kind == "auto" else config.memory_kind
    if kind == "cuda_peak" and device.type != "cuda":
        raise ValueError(f"TrainConfig.memory_kind 'cuda_peak' needs a CUDA device, got {device}")
    history = History(policy=policy.name, memory_kind=kind,
                      loss_scaling=step.scaler.is_enabled())

    def evaluate():
        with torch.no_grad():
            history.error_steps.append(history.steps)
            history.error.append(_one_number("error_fn", error_fn(step.model)))

    for hook in hooks["on_train_start"]:
        hook(history)
    steps = range(config.steps)
    if not callbacks:  # a bar only when nothing else shows the run (a LivePlot is a callback)
        steps = progress(steps, policy.name, leave=False)
    for index in steps:
        params_finite = _train_one(step, history, config, index)
        if error_fn is not None and (index + 1) % config.error_every == 0:
            evaluate()
        history.status, history.reason = _outcome(history, config, params_finite)
        if history.status != "running":
            history.ended_step = index
        for hook in hooks["on_step"]:
            hook(history)
        if history.status != "running":
            break
    if history.status == "running":
        history.status = "ok"
    if error_fn is not None and (not history.error_steps or history.error_steps[-1] != history.steps):
        evaluate()
    for hook in hooks["on_train_end"]:
        hook(history)
    return history
