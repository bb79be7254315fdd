"""Stokes flow runs: one physics-informed training step of the 3-field DeepONet under each derivative
strategy (time, memory, agreement), and a short training run checked against our solver.

The Stokes problem of Leng et al. 2024 (arXiv:2311.00860, Sec. 4; the authors' stokes/main.py):
DeepONet branch [101, 128, 128, 128], trunk [2, 128, 128, 128], tanh, Glorot normal (our MLP's
initialisation too), one DeepONet per field ("independent"), 5000 domain points, batches of 50 functions out of 1000, Adam lr 5e-4 with
inverse-time decay (lr / (1 + 0.5 t / 10,000): lr / 1.5 at step 10,000, halved at 20,000). Rows have the columns of the strategy sweep
(:data:`sciml_teach.experiments.strategy_runs.COLUMNS`); ``python -m sciml_teach.bench zcs
--problems stokes`` prints them. Introduced in notebooks/05_zero_coordinate_shift.ipynb.
"""
from __future__ import annotations

import copy
import time
from typing import Callable, Sequence

import torch

from ..checks import check_float, check_int
from ..derivatives import get_strategy
from ..meters import measure_memory, time_fn
from ..metrics import relative_l2
from ..models.deeponet import DeepONetConfig
from ..models.multi_output import IndependentDeepONet
from ..placement import resolve_device, to_model, upcast
from ..problems.operators import collocation_points
from ..problems.stokes import StokesCavity
from ..quick import is_quick, pick
from ..train_step import TrainStep
from .memory_budget import default_memory_budget
from .strategy_runs import _is_oom, fit_memory, max_rel_diff


def stokes_model(problem: StokesCavity = StokesCavity(), width: int = 128,
                 seed: int = 0) -> IndependentDeepONet:
    """The authors' network: per field, branch [m, w, w, w] and trunk [2, w, w, w], tanh."""
    torch.manual_seed(seed)
    w = width
    return IndependentDeepONet(DeepONetConfig.from_layers(
        [problem.n_sensors, w, w, w], [problem.coord_dims, w, w, w], n_outputs=3))


def stokes_inputs(n_functions: int, n_points: int, seed: int = 0):
    """The problem, M lid functions g (M, m) and N shared domain points (N, 2), fixed by seed."""
    problem, g = StokesCavity(), torch.Generator().manual_seed(seed)
    return problem, problem.sample_branch(n_functions, g), collocation_points(n_points, 2, g)


def stokes_residual_loss(problem: StokesCavity, strategy, model, v, x) -> tuple[torch.Tensor, dict]:
    """Mean square of the three residuals (x-momentum, y-momentum, mass), and the fields."""
    fields = problem.fields(model, strategy, v, x)                 # {"u": {request: (M, N)}, ...}
    loss = sum(upcast(r).square().mean() for r in problem.residual(fields, v, x))
    return loss, fields


def flat(fields: dict) -> dict:
    """{"u": {request: f}, ...} -> {("u", request): f}: one dict for :func:`max_rel_diff`."""
    return {(name, r): f for name, by_request in fields.items() for r, f in by_request.items()}


def stokes_step(problem, strategy, model, branch, points, keep: dict) -> Callable[[], None]:
    """One step without the update: zero grads, fields, residual loss, backward (the part the
    strategies differ in; the lid loss is the same for all). ``keep['fields']`` gets the fields."""
    strategy = get_strategy(strategy)
    v, x = to_model(model, branch, points)                         # (M, m), (N, 2)

    def step():
        model.zero_grad(set_to_none=True)
        loss, fields = stokes_residual_loss(problem, strategy, model, v, x)
        loss.backward()
        if "fields" not in keep:  # the first, untimed call: no device-to-host copy in timed steps
            keep["fields"] = {k: f.detach().cpu().double() for k, f in flat(fields).items()}
    return step


def reference_fields(problem, model, branch, points) -> dict:
    """All fields and derivatives by forward mode in float64: an independent AD mode."""
    model64 = copy.deepcopy(model).cpu().double()
    fields = problem.fields(model64, "forward", branch.double(), points.double())
    return {k: f.detach() for k, f in flat(fields).items()}


def predict_stokes_memory(strategy, device, width: int = 128) -> Callable[[int, int], float]:
    """memory = c0 + c1 M + c2 N + c3 M N, fitted to four small steps, as in the strategy sweep
    (:func:`~sciml_teach.experiments.strategy_runs.fit_memory`)."""
    device = torch.device(device)

    def step_at(M: int, N: int):
        problem, branch, points = stokes_inputs(M, N)
        model = stokes_model(problem, width).to(device)
        return stokes_step(problem, strategy, model, branch, points, {})
    return fit_memory(step_at, device)


def stokes_row(strategy, n_functions: int, n_points: int, device, budget: float,
               predicted: float, reference: dict, width: int = 128, repeats: int = 3) -> dict:
    """One row: status, step time, memory and agreement with the float64 forward-mode fields."""
    problem, branch, points = stokes_inputs(n_functions, n_points)
    row = {"problem": "stokes", "order": 2, "n_functions": n_functions, "n_points": n_points,
           "strategy": get_strategy(strategy).name, "policy": "fp32", "status": "ok",
           "step_time_s": None, "memory_bytes": None, "predicted_bytes": int(predicted),
           "max_rel_diff": None}
    if predicted > budget:
        row["status"] = "over_budget"
        return row
    model, keep = stokes_model(problem, width).to(device), {}
    step = stokes_step(problem, strategy, model, branch, points, keep)
    try:
        row["memory_bytes"] = measure_memory(step, device).bytes   # also the warm-up call
        row["step_time_s"] = time_fn(step, repeats=repeats, warmup=0, device=device).median_s
    except (torch.OutOfMemoryError, RuntimeError) as err:
        if not _is_oom(err):
            raise
        row.update(status="oom", memory_bytes=None)
        return row
    finally:
        if device.type == "cuda":
            torch.cuda.empty_cache()
    row["max_rel_diff"] = max_rel_diff(keep["fields"], reference)
    return row


def stokes_rows(strategies: Sequence, n_functions: int | None = None, n_points: int | None = None,
                device: str | torch.device = "auto", budget: float | None = None,
                width: int = 128, repeats: int = 3,
                progress: Callable[[dict], None] | None = None) -> list[dict]:
    """A row per strategy at M functions and N points (quick: 8 and 500; full: the authors'
    50 and 5000). ``budget`` (bytes) defaults to :func:`default_memory_budget`."""
    device = resolve_device(device)
    M = check_int("n_functions", pick(8, 50) if n_functions is None else n_functions)
    N = check_int("n_points", pick(500, 5000) if n_points is None else n_points)
    strategies = [get_strategy(s) for s in strategies]   # an unknown name: refused before any work
    check_int("width", width, minimum=1)
    check_int("repeats", repeats, minimum=1)
    budget = default_memory_budget(device) if budget is None else check_float("budget", budget,
                                                                              positive=True)
    problem, branch, points = stokes_inputs(M, N)
    reference = reference_fields(problem, stokes_model(problem, width), branch, points)
    rows = []
    for strategy in strategies:
        predicted = predict_stokes_memory(strategy, device, width)(M, N)
        rows.append(stokes_row(strategy, M, N, device, budget, predicted, reference, width,
                               repeats))
        if progress is not None:
            progress(rows[-1])
    return rows


def stokes_errors(problem: StokesCavity, model, n: int = 64) -> dict:
    """Relative L2 error of u and v against our solver (n x n cells) for the unperturbed lid,
    g = 0 -- the authors' validation case (they compare u only; p differs by its gauge)."""
    g = torch.zeros(1, problem.n_sensors, dtype=torch.float64)
    points, reference = problem.reference(g, n)                     # (n*n, 2), (1, n*n) each
    v, x = to_model(model, g, points)
    with torch.no_grad():
        return {name: relative_l2(problem.field_model(model, name)(v, x), reference[name])
                for name in ("u", "v")}


def train_stokes(strategy="zcs", steps: int | None = None, n_functions: int = 1000,
                 batch: int = 50, n_points: int = 5000, width: int = 128, lr: float = 5e-4,
                 seed: int = 0, device: str | torch.device = "auto"):
    """Train the 3-field DeepONet as the authors do: each step a batch of ``batch`` functions out
    of ``n_functions`` (in turn), residual loss on ``n_points`` fixed points plus the lid loss,
    Adam with inverse-time decay lr / (1 + 0.5 t / 10000). Returns (model, losses per step)."""
    device = resolve_device(device)
    steps = check_int("steps", pick(20, 2000) if steps is None else steps)
    check_int("batch", batch, minimum=1, maximum=n_functions)
    strategy = get_strategy(strategy)
    problem, branch, points = stokes_inputs(n_functions, n_points, seed)
    model = stokes_model(problem, width, seed).to(device)
    x, = to_model(model, points)

    def loss_fn(model, v):
        pde = stokes_residual_loss(problem, strategy, model, v, x)[0]
        return pde + upcast(problem.boundary_loss(model, strategy, v))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    decay = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 1 / (1 + 0.5 * t / 10_000))
    step, losses = TrainStep(model, loss_fn, optimizer=optimizer), []
    for t in range(steps):
        turn = (torch.arange(batch) + t * batch) % n_functions       # the next batch, in turn
        v, = to_model(model, branch[turn])                            # (batch, m)
        losses.append(step(v))
        decay.step()
    return model, torch.stack(losses).cpu().tolist()


def stokes_trained_row(steps: int = 2000, width: int = 128,
                       device: str | torch.device = "auto") -> dict:
    """ZCS trained at the authors' sizes for ``steps`` steps, then u and v against our solver
    (g = 0): a row for ``bench zcs`` in full mode."""
    device = resolve_device(device)
    start = time.perf_counter()
    model, losses = train_stokes("zcs", steps=steps, width=width, device=device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = (time.perf_counter() - start) / steps
    errors = stokes_errors(StokesCavity(), model.cpu())
    return {"part": "trained", "problem": "stokes", "n_functions": 50, "n_points": 5000,
            "steps": steps, "width": width, "strategy": "zcs", "policy": "fp32", "status": "ok",
            "initial_loss": losses[0], "final_loss": losses[-1], "rel_l2_error": errors["u"],
            "rel_l2_error_v": errors["v"], "error_vs_reference": None, "step_time_s": seconds,
            "memory_bytes": None}


def stokes_bench_rows(parts: Sequence[str], strategies: Sequence, device, budget=None,
                      width: int = 128, progress: Callable[[dict], None] | None = None) -> list[dict]:
    """``bench zcs --problems stokes``: the step rows ("sweep" part) and, in full mode only, the
    trained ZCS row ("trained" part)."""
    rows = []
    if "sweep" in parts:
        rows += [{"part": "sweep", **r} for r in stokes_rows(
            strategies, device=device, budget=budget, width=width, repeats=pick(1, 3),
            progress=None if progress is None else lambda r: progress({"part": "sweep", **r}))]
    if "trained" in parts and not is_quick():
        rows.append(stokes_trained_row(width=width, device=device))
        if progress is not None:
            progress(rows[-1])
    return rows
