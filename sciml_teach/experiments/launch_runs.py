"""Why AMP does not speed up a small model on a GPU, and what does: launch overhead, measured.

Hayford et al. 2024's Burgers PINN (2-32-32-32-1) and the lesson-size FNO are small enough that
a GPU finishes each kernel before Python has launched the next: the step time is the sum of
launch latencies and host waits, the same in float32 and float16. Three ways to run the same
training step, timed side by side (median over the steps after warm-up):

* ``eager``: as the lessons run it -- the problem's data is converted on every step (the PINN's
  points are float64 CPU tensors; the FNO draws batch indices on the CPU), and each such
  host-to-device copy makes the CPU wait for the GPU;
* ``device data``: the same step with every tensor already on the GPU (PINN points moved once,
  batch indices drawn by the GPU's generator): the CPU can run ahead of the GPU again;
* ``cuda graph``: the device-data step captured once and replayed with one launch
  (:class:`~sciml_teach.cuda_graphs.CUDAGraphStep`; fp32 and amp-bf16 -- a GradScaler cannot be
  captured).

Each row also says how far its loss after the timed steps is from the ``device data`` run's
(same start, same batches): a remedy must not change what is computed. Introduced in
notebooks/03_amp_recovery.ipynb; ``python -m sciml_teach.bench launch`` runs it.
"""
from __future__ import annotations

import copy
import math
import statistics
import time
from typing import Callable

import torch

from ..cuda_graphs import CUDAGraphStep
from ..models import FNO, FNOConfig
from ..placement import resolve_device, upcast
from ..problems import BurgersPINN
from ..training import TrainStep
from .fno_settings import fno_data

VARIANTS = ("eager", "device data", "cuda graph")
GRAPH_WARMUP = 3  # steps CUDAGraphStep trains before its capture; the other variants train them too
MODELS = ("burgers-pinn", "fno")
COLUMNS = ["model", "policy", "variant", "status", "step_time_s", "speedup_vs_eager",
           "loss_rel_diff", "note"]


def placed(problem, device: torch.device, dtype: torch.dtype):
    """A copy of ``problem`` whose floating-point tensors already live on ``device`` in
    ``dtype``: the loss's own conversions then do nothing (data follows the model, once)."""
    moved = copy.copy(problem)
    for name, value in vars(problem).items():
        if torch.is_tensor(value) and value.is_floating_point():
            setattr(moved, name, value.to(device, dtype))
    return moved


def _pinn(device: torch.device, variant: str, seed: int):
    """(model, loss_fn) of the Burgers PINN; data on the CPU for ``eager``, else on ``device``."""
    problem = BurgersPINN()
    torch.manual_seed(seed)
    model = problem.make_model().to(device)
    if variant != "eager":
        problem = placed(problem, device, torch.float32)
    return model, problem.loss


def _fno(device: torch.device, variant: str, seed: int, data: dict):
    """(model, loss_fn) of the lesson-size Darcy FNO with a random batch of 32 each step."""
    torch.manual_seed(seed)
    model = FNO(FNOConfig(modes=data["modes"], width=32, layers=4, projection=128,
                          precision="mixed", stabilizer="tanh", half_dtype=torch.float16)).to(device)
    a, u = data["a_train"].to(device), data["u_train"].to(device)
    cpu_generator = torch.Generator().manual_seed(seed)

    def loss_fn(model):
        if variant == "eager":   # as fno_settings.loss_and_error draws them: on the CPU
            idx = torch.randint(len(a), (32,), generator=cpu_generator).to(device)
        else:                    # on the GPU: no host-to-device copy inside the step
            idx = torch.randint(len(a), (32,), device=device)
        return (upcast(model(a[idx])) - u[idx]).square().mean()
    return model, loss_fn


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(call: Callable[[], torch.Tensor], steps: int, device: torch.device) -> tuple[float, float]:
    """(median seconds per call, final loss) over ``steps`` calls after 3 untimed ones."""
    for _ in range(3):
        call()
    times = []
    for _ in range(steps):
        _sync(device)
        start = time.perf_counter()
        loss = call()
        _sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times), float(loss)


def launch_case(model_name: str, policy: str, variant: str, device: torch.device, steps: int,
                data: dict | None = None, seed: int = 0) -> dict:
    """One row: ``variant`` of ``model_name``'s training step under ``policy``."""
    row = {"model": model_name, "policy": policy, "variant": variant, "steps": steps,
           "device": device.type, "step_time_s": math.nan, "loss": math.nan, "note": ""}
    if variant == "cuda graph" and device.type != "cuda":
        return {**row, "status": "n/a", "note": "CUDA graphs need a CUDA GPU"}
    if variant == "cuda graph" and policy == "amp-fp16":
        return {**row, "status": "n/a", "note": "a GradScaler cannot be captured"}
    if device.type == "cuda":
        torch.cuda.manual_seed(seed)              # the same GPU-drawn batches in every variant
    model, loss_fn = (_pinn(device, variant, seed) if model_name == "burgers-pinn"
                      else _fno(device, variant, seed, data))
    step = TrainStep(model, loss_fn, policy=policy)
    if variant == "cuda graph":
        call = CUDAGraphStep(step, warmup=GRAPH_WARMUP)   # trains GRAPH_WARMUP steps, then captures
    else:
        call = step
        for _ in range(GRAPH_WARMUP):                     # the same steps, so losses compare
            step()
    seconds, loss = _timed(call, steps, device)
    return {**row, "status": "ok", "step_time_s": seconds, "loss": loss}


def launch_rows(models=MODELS, policies=("fp32", "amp-bf16", "amp-fp16"), steps: int = 50,
                device: torch.device | str = "auto", on_row: Callable[[dict], None] | None = None,
                fno_resolution: int = 128) -> list[dict]:
    """Every variant of every model under every policy, with speed-ups against ``eager`` and
    each loss's relative distance from the ``device data`` run's."""
    device = resolve_device(device)
    data = fno_data("darcy", fno_resolution, (64, 8)) if "fno" in models else None
    rows = []
    for model_name in models:
        for policy in policies:
            group = []
            for variant in VARIANTS:
                group.append(launch_case(model_name, policy, variant, device, steps, data))
                if on_row is not None:
                    on_row(group[-1])
            rows += _compare(group)
    return rows


def _compare(group: list[dict]) -> list[dict]:
    """Speed-up against ``eager``; loss distance from the run each remedy starts from (device
    data from eager for the PINN -- the FNO's eager run draws other batches -- and the graph
    from device data)."""
    by = {r["variant"]: r for r in group}
    eager = by["eager"]["step_time_s"]
    reference = {"device data": by["eager"] if group[0]["model"] == "burgers-pinn" else None,
                 "cuda graph": by["device data"]}
    rows = []
    for r in group:
        ref = reference.get(r["variant"])
        diff = (abs(r["loss"] - ref["loss"]) / abs(ref["loss"])
                if ref and r["status"] == "ok" and ref["status"] == "ok" and ref["loss"] else math.nan)
        speedup = eager / r["step_time_s"] if r["status"] == "ok" else math.nan
        rows.append({**r, "speedup_vs_eager": speedup, "loss_rel_diff": diff})
    return rows
