"""AMP in practice: the details a working training loop trips over -- the loss scale's dynamics,
clipping after ``unscale_``, the scaler in a checkpoint, TF32 and tensor-core-friendly shapes.

The recipe is PyTorch's (``torch.amp`` documentation, "Automatic Mixed Precision examples":
gradient clipping, saving/resuming; "TensorFloat-32 on Ampere devices"); the loss scaling is
Micikevicius et al. 2018 ("Mixed Precision Training", arXiv:1710.03740, Sec. 3.2) as used by
Hayford et al. 2024, Sec. 3. Introduced in notebooks/03_amp_recovery.ipynb: the loss scale in
"The loss scale at work", the rest in the optional part "Optional — AMP in practice on a GPU".
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import torch

from ..meters import time_fn
from ..placement import resolve_device
from ..train_step import TrainStep


@dataclass(frozen=True)
class ScaleTrace:
    scales: list[float]     # the loss scale each step used
    skipped: list[bool]     # the step found inf/NaN gradients and was skipped (the scale halved)
    final_error: float      # the problem's relative L2 error after the last step

    @property
    def grew(self) -> int:
        """How many times the scale doubled (after ``growth_interval`` clean steps)."""
        return sum(b > a for a, b in zip(self.scales, self.scales[1:]))

    @property
    def backed_off(self) -> int:
        """How many times the scale halved (after a step with inf/NaN gradients)."""
        return sum(b < a for a, b in zip(self.scales, self.scales[1:]))


def _model(problem, seed: int, device: str | torch.device) -> torch.nn.Module:
    torch.manual_seed(seed)
    return problem.make_model().to(resolve_device(device))


def scale_trace(problem, steps: int, loss_weight: float = 1.0, init_scale: float = 2.0**16,
                growth_interval: int = 50, seed: int = 0, device: str | torch.device = "auto"
                ) -> ScaleTrace:
    """Train ``problem``'s PINN with float16 AMP and record the GradScaler's scale at every step.

    The scaler multiplies the loss by S before backward; a step whose float16 gradients overflow
    (inf/NaN) is skipped and S halves; after ``growth_interval`` clean steps in a row S doubles.
    PyTorch's default interval is 2000 steps -- longer than a lesson's run, so a trace with the
    default stays flat; a shorter interval shows both moves.
    """
    model = _model(problem, seed, device)
    scaler = torch.amp.GradScaler(resolve_device(device).type, init_scale=init_scale,
                                  growth_interval=growth_interval)
    step = TrainStep(model, lambda m: loss_weight * problem.loss(m), "amp-fp16", scaler=scaler)
    scales, skipped = [], []
    for _ in range(steps):
        scale = step.scale()
        step()
        scales.append(scale)
        skipped.append(step.scale() < scale)
    with torch.no_grad():
        error = float(problem.relative_l2_error(model))
    return ScaleTrace(scales, skipped, error)


def clipped_step(model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                 scaler: torch.amp.GradScaler, loss: torch.Tensor, max_norm: float,
                 unscale_first: bool = True) -> float:
    """Backward, clip the gradient norm to ``max_norm``, step; returns the norm the optimizer used.

    ``scaler.scale(loss).backward()`` leaves gradients multiplied by the scale S. Clipping must see
    them in true units, so ``scaler.unscale_(optimizer)`` comes first; ``scaler.step`` then knows
    they are unscaled. Clip first (``unscale_first=False``) and the threshold applies to S times
    the gradient: every step is cut to ``max_norm / S`` once unscaled.
    """
    scaler.scale(loss).backward()
    if unscale_first:
        scaler.unscale_(optimizer)                 # gradients now in true units
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    if not unscale_first:
        scaler.unscale_(optimizer)                 # step() would do this; here we read the norm
    used = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters()])).item()
    scaler.step(optimizer)
    scaler.update()
    return used


def clipping_norms(problem, max_norm: float = 1.0, scale: float = 2.0**10, seed: int = 0,
                   device: str | torch.device = "auto") -> dict[str, float]:
    """One float16 AMP step of ``problem``'s PINN at loss scale ``scale``, clipped both ways, from
    the same weights: ``{"gradient": true norm, "unscale, then clip": used, "clip, then unscale":
    used}``. (The scale is one the first step does not overflow at, so the step is not skipped.)"""
    norms = {}
    for label, first in [("unscale, then clip", True), ("clip, then unscale", False)]:
        model = _model(problem, seed, device)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        scaler = torch.amp.GradScaler(resolve_device(device).type, init_scale=scale)
        with torch.autocast(resolve_device(device).type, dtype=torch.float16):
            loss = problem.loss(model)
        if first:
            norms["gradient"] = torch.linalg.vector_norm(torch.stack(
                [g.norm() for g in torch.autograd.grad(loss, list(model.parameters()), retain_graph=True)])).item()
        norms[label] = clipped_step(model, optimizer, scaler, loss, max_norm, unscale_first=first)
    return norms


def _checkpoint(step: TrainStep, with_scaler: bool) -> bytes:
    state = {"model": step.model.state_dict(), "optimizer": step.optimizer.state_dict()}
    if with_scaler:
        state["scaler"] = step.scaler.state_dict()
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def _restore(problem, blob: bytes, seed: int, device, loss_fn) -> TrainStep:
    state = torch.load(io.BytesIO(blob), weights_only=True)
    step = TrainStep(_model(problem, seed + 1, device), loss_fn, "amp-fp16")  # other weights: all restored
    step.model.load_state_dict(state["model"])
    step.optimizer.load_state_dict(state["optimizer"])
    if "scaler" in state:
        step.scaler.load_state_dict(state["scaler"])
    return step


def resume_runs(problem, steps_before: int, steps_after: int, seed: int = 0,
                device: str | torch.device = "auto") -> dict[str, dict[str, list[float]]]:
    """Train ``steps_before`` steps with float16 AMP, checkpoint, and continue ``steps_after`` steps
    three ways: without stopping, resumed with the scaler's state, resumed without it.

    Returns ``{way: {"loss": [...], "scale": [...]}}`` for the steps after the checkpoint. Resumed
    with its state, the run continues exactly; without it the scaler starts again at 65536.
    """
    loss_fn = problem.loss
    step = TrainStep(_model(problem, seed, device), loss_fn, "amp-fp16")
    for _ in range(steps_before):
        step()
    blobs = {"resumed with the scaler": _checkpoint(step, True),
             "resumed without the scaler": _checkpoint(step, False)}
    steps = {"without stopping": step}
    steps.update({way: _restore(problem, blob, seed, device, loss_fn) for way, blob in blobs.items()})
    runs = {}
    for way, s in steps.items():
        scale, loss = [], []
        for _ in range(steps_after):
            scale.append(s.scale())
            loss.append(s().item())
        runs[way] = {"loss": loss, "scale": scale}
    return runs


def matmul_errors(device: str | torch.device = "auto", n: int = 512, seed: int = 0) -> dict[str, float]:
    """Relative error of an (n, n) float32 matmul against float64, under the float32 matmul
    precision "highest" (true float32) and "high" (TF32 tensor cores on NVIDIA Ampere and later;
    what a CPU does with it is measured, not assumed). The global setting is put back."""
    device = resolve_device(device)
    g = torch.Generator().manual_seed(seed)
    a, b = (torch.randn(n, n, generator=g, dtype=torch.float64) for _ in range(2))
    exact = a @ b
    errors, before = {}, torch.get_float32_matmul_precision()
    try:
        for setting in ["highest", "high"]:
            torch.set_float32_matmul_precision(setting)
            got = (a.float().to(device) @ b.float().to(device)).double().cpu()
            errors[setting] = ((got - exact).norm() / exact.norm()).item()
    finally:
        torch.set_float32_matmul_precision(before)
    return errors


def matmul_times(sizes: tuple[int, ...] = (4096, 4095), dtype: torch.dtype = torch.float16,
                 device: str | torch.device = "auto", repeats: int = 5) -> dict[int, float]:
    """Median seconds of an (n, n) @ (n, n) matmul per size: on a GPU, sizes that are multiples
    of 8 map onto tensor-core tiles, others may not."""
    device = resolve_device(device)
    times = {}
    for n in sizes:
        a = torch.randn(n, n, device=device, dtype=dtype)
        times[n] = time_fn(lambda: a @ a, repeats=repeats, device=device).median_s
    return times
