"""One training loop for every model in the course, with diagnostics that explain failures.

``train(model, loss_fn, config)`` runs Adam under a :class:`~sciml_teach.precision.PrecisionPolicy`
and records a :class:`History` per step: loss, gradient norm, loss scale, non-finite gradients,
the fraction of weights the step left unchanged (update underflow), step time and memory. A run
that blows up or stops learning is a *result*: it ends with ``status`` ``"diverged"`` or
``"stalled"`` and a ``reason`` in words, never with an exception (Hayford et al. 2024, Sec. 3:
pure float16 gradients diverge early, or updates round to zero and training stalls).
Callbacks are the only seam to plots and widgets. Introduced in notebooks/02_float16_divergence.ipynb.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch

from .capability import resolve_device
from .meters import measure_memory, memory_kind
from .placement import param_dtype  # noqa: F401 (train's docstring names it)
from .precision import PrecisionPolicy, get_policy


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 1000                 # optimizer steps (a run may end early: diverged or stalled)
    lr: float = 1e-3                  # Adam learning rate
    adam_eps: float = 1e-8            # Adam's epsilon; 1e-8 rounds to 0 in float16 (lesson 01)
    policy: str | PrecisionPolicy = "fp32"  # precision policy, by name or object
    loss_scaling: bool | None = None  # None: as the policy says; False/True: override (AMP only)
    device: str = "cpu"               # "cpu", "cuda" or "auto"
    error_every: int = 100            # evaluate error_fn every this many steps (and at the end)
    stall_window: int = 200           # look this many steps back to decide "stalled"
    stall_rtol: float = 0.01          # stalled: best loss improved by less than this fraction ...
    stall_frozen: float = 0.5         # ... while more than this fraction of weights did not move
    max_skipped: int = 50             # loss scaling: this many skipped steps in a row = diverged
    seed: int | None = 0              # torch.manual_seed before training (None: leave RNG alone)

    def __post_init__(self):
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        policy = get_policy(self.policy)  # raises ValueError for an unknown name
        if self.loss_scaling and policy.param_dtype != torch.float32:
            raise ValueError(f"loss scaling needs float32 master weights; policy {policy.name!r} "
                             f"stores {policy.param_dtype} weights (use 'amp-fp16' or 'amp-bf16')")


@dataclass
class History:
    policy: str                                         # policy name
    memory_kind: str                                    # "autograd_saved" or "cuda_peak"
    loss: list[float] = field(default_factory=list)     # loss per step (before the update)
    grad_norm: list[float] = field(default_factory=list)  # L2 norm of the unscaled gradient
    loss_scale: list[float] = field(default_factory=list)  # GradScaler scale (1.0 when off)
    nonfinite_grads: list[int] = field(default_factory=list)  # inf/NaN gradient entries
    frozen_fraction: list[float] = field(default_factory=list)  # weights the step left unchanged
    skipped: list[bool] = field(default_factory=list)   # the scaler skipped this step (inf grads)
    step_time_s: list[float] = field(default_factory=list)  # wall time of the whole step
    memory_bytes: list[int] = field(default_factory=list)   # memory of the step (memory_kind)
    error_steps: list[int] = field(default_factory=list)    # steps at which error was evaluated
    error: list[float] = field(default_factory=list)        # error_fn(model) at those steps
    status: str = "running"                             # "running", "ok", "diverged", "stalled"
    reason: str = ""                                    # why the run ended as it did, in words

    @property
    def steps(self) -> int:
        return len(self.loss)

    @property
    def final_error(self) -> float:
        return self.error[-1] if self.error else math.nan

    @property
    def median_step_time_s(self) -> float:
        times = sorted(self.step_time_s[1:] or self.step_time_s)  # step 0 includes warm-up
        return times[len(times) // 2] if times else math.nan

    def summary(self) -> str:
        return (f"{self.policy:>9}: {self.status:<8} steps={self.steps:<6} "
                f"loss={self.loss[-1] if self.loss else math.nan:.3e} error={self.final_error:.3e}"
                + (f"  ({self.reason})" if self.reason else ""))


class Callback:
    """Override what you need; the loop calls these and nothing else talks to the display."""

    def on_train_start(self, history: History) -> None: ...
    def on_step(self, history: History) -> None: ...
    def on_train_end(self, history: History) -> None: ...


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
    """Return ("running", "") or the reason the run has to stop now."""
    loss, scaled = history.loss[-1], history.loss_scale[-1] != 1.0
    if not params_finite:
        return "diverged", f"weights became inf/NaN at step {history.steps - 1}"
    if not math.isfinite(loss) and not scaled:
        return "diverged", f"loss became {loss} at step {history.steps - 1}"
    recent_skips = history.skipped[-config.max_skipped:]
    if len(recent_skips) == config.max_skipped and all(recent_skips):
        return "diverged", f"{config.max_skipped} steps in a row had inf/NaN gradients"
    w = config.stall_window
    if history.steps >= 2 * w:
        before = min(history.loss[:-w])
        after = min(history.loss[-w:])
        frozen = sum(history.frozen_fraction[-w:]) / w
        if after > before * (1 - config.stall_rtol) and frozen > config.stall_frozen:
            return "stalled", (f"loss stopped improving (best {after:.3e} in the last {w} steps) while "
                               f"{frozen:.0%} of weights did not change per step: updates round to zero")
    return "running", ""


@dataclass(frozen=True)
class StepRecord:
    loss: float              # loss before the update
    grad_norm: float         # L2 norm of the unscaled finite gradient entries
    loss_scale: float        # GradScaler scale used (1.0 when off)
    nonfinite_grads: int     # inf/NaN gradient entries
    frozen_fraction: float   # weights the step left unchanged
    skipped: bool            # the scaler skipped the step
    memory_bytes: int        # memory of forward + backward (History.memory_kind)
    params_finite: bool      # every weight still finite after the step


def _step(model, loss_fn, optimizer, scaler, policy: PrecisionPolicy, device) -> StepRecord:
    """One optimizer step: forward under autocast, scaled backward, unscale, step, update."""
    optimizer.zero_grad(set_to_none=True)
    before = _flat_params(model).clone()
    losses = []

    def forward_backward():
        with policy.autocast_context(device):
            loss = loss_fn(model)
        scaler.scale(loss).backward()
        losses.append(loss.detach().float().item())

    memory = measure_memory(forward_backward, device)
    scale = scaler.get_scale() if scaler.is_enabled() else 1.0
    scaler.unscale_(optimizer)  # a no-op when the scaler is disabled
    grad_norm, nonfinite = _grad_stats(model)
    scaler.step(optimizer)      # skipped by the scaler when gradients are inf/NaN
    scaler.update()
    after = _flat_params(model)
    return StepRecord(losses[0], grad_norm, scale, nonfinite,
                      (after == before).float().mean().item(), scaler.is_enabled() and nonfinite > 0,
                      memory.bytes, bool(torch.isfinite(after).all()))


def _record(history: History, record: StepRecord, seconds: float) -> None:
    for name in ["loss", "grad_norm", "loss_scale", "nonfinite_grads", "frozen_fraction",
                 "skipped", "memory_bytes"]:
        getattr(history, name).append(getattr(record, name))
    history.step_time_s.append(seconds)


def train(model: torch.nn.Module, loss_fn: Callable[[torch.nn.Module], torch.Tensor],
          config: TrainConfig = TrainConfig(),
          error_fn: Callable[[torch.nn.Module], float] | None = None,
          callbacks: Sequence[Callback] = ()) -> History:
    """Train ``model`` (cast in place to the policy's parameter dtype) to minimise ``loss_fn(model)``.

    ``loss_fn`` runs inside the policy's autocast context and returns a scalar; it should cast its
    inputs with :func:`param_dtype`. ``error_fn(model)`` (e.g. relative L2 error against a reference
    solution) is evaluated without gradients every ``config.error_every`` steps and at the end.
    """
    policy = get_policy(config.policy)
    device = resolve_device(config.device)
    if config.seed is not None:
        torch.manual_seed(config.seed)
    model = policy.cast_model(model.to(device))
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, eps=config.adam_eps)
    scaler = policy.make_scaler(device, enabled=config.loss_scaling)
    history = History(policy=policy.name, memory_kind=memory_kind(device))

    def evaluate():
        with torch.no_grad():
            history.error_steps.append(history.steps)
            history.error.append(float(error_fn(model)))

    for cb in callbacks:
        cb.on_train_start(history)
    for step in range(config.steps):
        start = time.perf_counter()
        record = _step(model, loss_fn, optimizer, scaler, policy, device)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        _record(history, record, time.perf_counter() - start)
        if error_fn is not None and (step + 1) % config.error_every == 0:
            evaluate()
        history.status, history.reason = _outcome(history, config, record.params_finite)
        for cb in callbacks:
            cb.on_step(history)
        if history.status != "running":
            break
    if history.status == "running":
        history.status = "ok"
    if error_fn is not None and (not history.error_steps or history.error_steps[-1] != history.steps):
        evaluate()
    for cb in callbacks:
        cb.on_train_end(history)
    return history
