"""The strategy sweep: one physics-informed DeepONet training step under each derivative strategy.

The table of Leng et al. 2024 (arXiv:2311.00860, Tables 2-4 and the scaling sweep of Sec. 4.4) on
your hardware: for each problem (order 2: reaction-diffusion, Burgers; order 4: Kirchhoff-Love
plate), number of functions M and points N, and strategy (FuncLoop, DataVect, ZCS, forward mode),
the time of one whole training step (forward, derivatives, residual loss, backward), its memory
(measured the same way for every strategy: CUDA peak, or bytes autograd saves on CPU) and the
largest relative difference of u and its derivative fields from a float64 forward-mode reference.
Configurations whose predicted memory exceeds ``--memory-budget`` become ``over_budget`` rows; a
real out-of-memory becomes an ``oom`` row. Lesson 05's sweep and panel and
``python -m sciml_teach.bench zcs`` all run these functions. Introduced in
notebooks/05_zero_coordinate_shift.ipynb.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from ..checks import check_float, check_int
from ..placement import resolve_device
from ..derivatives import get_strategy
from ..memory_account import ACCOUNT_COLUMNS, MemoryAccount, memory_account
from ..meters import measure_memory, time_fn
from ..models.deeponet import DeepONet, DeepONetConfig
from ..placement import to_model, upcast
from ..precision import get_policy
from ..progress import progress as progress_bar  # "progress" is the per-row callback below
from ..problems import collocation_points, get_operator_problem
from ..quick import pick
from .memory_budget import default_memory_budget

COLUMNS = ["problem", "order", "n_functions", "n_points", "strategy", "status", "step_time_s",
           "memory_bytes", "max_rel_diff"]  # the columns a table of sweep rows shows


@dataclass(frozen=True)
class SweepCase:
    problem: str       # a name in OPERATOR_PROBLEMS
    n_functions: int   # M
    n_points: int      # N

    def __post_init__(self):
        get_operator_problem(self.problem)  # a ValueError listing the valid names
        check_int("SweepCase.n_functions", self.n_functions, minimum=1)
        check_int("SweepCase.n_points", self.n_points, minimum=1)


def default_cases() -> list[SweepCase]:
    """Quick: sized for 2 CPU cores in a few minutes. Full: the paper's sweep over M and N."""
    quick = ([SweepCase("reaction_diffusion", m, 4000) for m in (10, 50, 100)]
             + [SweepCase("burgers", 50, 1000), SweepCase("plate", 10, 500)])
    full = ([SweepCase("reaction_diffusion", m, 4000) for m in (10, 50, 100, 200, 400)]
            + [SweepCase("reaction_diffusion", 50, n) for n in (1000, 8000, 16000, 32000)]
            + [SweepCase("burgers", m, 4000) for m in (10, 50, 100)]
            + [SweepCase("plate", m, 2000) for m in (10, 50, 100)])
    return pick(quick, full)


def make_model(problem, seed: int = 0, width: int = 128) -> DeepONet:
    torch.manual_seed(seed)
    return DeepONet(DeepONetConfig(n_sensors=problem.n_sensors, coord_dims=problem.coord_dims,
                                   width=width, n_features=width))


def case_inputs(case: SweepCase, seed: int = 0):
    """The problem, M branch inputs (M, m) and N shared points (N, D), fixed by ``seed``."""
    problem = get_operator_problem(case.problem)
    g = torch.Generator().manual_seed(seed)
    branch = problem.sample_branch(case.n_functions, g)
    points = collocation_points(case.n_points, problem.coord_dims, g)
    return problem, branch, points


def make_step(problem, strategy, model, branch, points, policy, device, keep: dict):
    """One training step without the optimizer update: zero grads, derivatives, residual loss,
    backward. ``keep['fields']`` receives the fields (float64, CPU) for the agreement check."""
    strategy, policy = get_strategy(strategy), get_policy(policy)
    v, x = to_model(model, branch, points)                      # (M, m), (N, D)

    def step():
        model.zero_grad(set_to_none=True)
        with policy.autocast_context(device):
            fields = strategy.fields(model, v, x, problem.requests)   # {request: (M, N)}
            loss = upcast(problem.residual(fields, v, x)).square().mean()
        loss.backward()
        if "fields" not in keep:  # the first, untimed call: no device-to-host copy in timed steps
            keep["fields"] = {r: f.detach().cpu().double() for r, f in fields.items()}
    return step


def strategy_step_account(problem_name: str, strategy, n_functions: int, n_points: int,
                          policy="fp32", width: int = 128, seed: int = 0,
                          device: str | torch.device = "auto") -> MemoryAccount:
    """The whole memory of one training step *with* its Adam update (parameters, gradients,
    optimizer state, activations; see :func:`sciml_teach.memory_account.memory_account`)."""
    device = resolve_device(device)
    problem, branch, points = case_inputs(SweepCase(problem_name, n_functions, n_points), seed)
    model = get_policy(policy).cast_model(make_model(problem, seed, width).to(device))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    backward = make_step(problem, strategy, model, branch, points, policy, device, {})

    def step():
        backward()
        optimizer.step()
    return memory_account(model, optimizer, step, device)


def reference_fields(problem, model, branch, points) -> dict:
    """u and its derivatives from forward mode in float64: an independent AD mode and precision."""
    model64 = copy.deepcopy(model).cpu().double()
    fields = get_strategy("forward").fields(model64, branch.double(), points.double(),
                                            problem.requests)
    return {r: f.detach() for r, f in fields.items()}


def max_rel_diff(fields: dict, reference: dict) -> float:
    """max over fields of max|f - f_ref| / max|f_ref|."""
    return max(float((fields[r] - ref).abs().max() / ref.abs().max().clamp_min(1e-300))
               for r, ref in reference.items())


def fit_memory(step_at: Callable[[int, int], Callable[[], object]], device) -> Callable[[int, int], float]:
    """Fit memory = c0 + c1 M + c2 N + c3 M N to four small steps ``step_at(M, N)()``; return
    (M, N) -> bytes. Shared by the strategy sweep and the Stokes rows."""
    device = torch.device(device)
    # Saved bytes are exact at any size. A CUDA peak is rounded to allocator blocks and includes
    # first-call workspaces: tiny steps measure those, not the graph (on an H100 the tiny fit
    # put FuncLoop at M=50, N=4000 over a 39 GiB budget it fits in), so on CUDA the four steps
    # are larger and each is run once before it is measured.
    cuda = device.type == "cuda"
    sizes = [(8, 512), (16, 512), (8, 1024), (16, 1024)] if cuda else [(2, 32), (4, 32), (2, 64), (4, 64)]
    readings = []
    for M, N in sizes:
        step = step_at(M, N)
        if cuda:
            step()  # warm-up: cuBLAS workspaces and autograd buffers of the first call
        readings.append(measure_memory(step, device).bytes)
    A = torch.tensor([[1.0, M, N, M * N] for M, N in sizes], dtype=torch.float64)
    c = torch.linalg.solve(A, torch.tensor(readings, dtype=torch.float64))  # (4,)
    return lambda M, N: float(c[0] + c[1] * M + c[2] * N + c[3] * M * N)


def predict_memory(problem_name: str, strategy, policy, device,
                   width: int = 128) -> Callable[[int, int], float]:
    """Fit memory = c0 + c1 M + c2 N + c3 M N from four small steps; return (M, N) -> bytes.

    Every strategy's memory has this form (FuncLoop: M graphs of N points; DataVect: one graph of
    M N points; ZCS and forward: one trunk graph of N points plus (M, N) fields), so tiny runs
    predict large ones without running them.
    """
    device = torch.device(device)

    def step_at(M: int, N: int):
        problem, branch, points = case_inputs(SweepCase(problem_name, M, N))
        model = get_policy(policy).cast_model(make_model(problem, width=width).to(device))
        return make_step(problem, strategy, model, branch, points, policy, device, {})
    return fit_memory(step_at, device)


def _is_oom(err: BaseException) -> bool:
    return isinstance(err, torch.OutOfMemoryError) or "out of memory" in str(err).lower()


def measure_case(case: SweepCase, strategy, policy, device, budget: int, predicted: float,
                 reference: dict, width: int = 128, repeats: int = 3, account: bool = False) -> dict:
    """One row: status, step time, memory and agreement of ``strategy`` on ``case``; with
    ``account``, also the columns of :meth:`MemoryAccount.as_row` (None unless ``ok``) from one
    more step that includes an Adam update."""
    problem, branch, points = case_inputs(case)
    row = {"problem": case.problem, "order": max(max(r) for r in problem.requests),
           "n_functions": case.n_functions, "n_points": case.n_points,
           "strategy": get_strategy(strategy).name,
           "policy": get_policy(policy).name, "status": "ok", "step_time_s": None,
           "memory_bytes": None, "predicted_bytes": int(predicted), "max_rel_diff": None,
           **({key: None for key in ACCOUNT_COLUMNS} if account else {})}
    if predicted > budget:
        row["status"] = "over_budget"
        return row
    model = get_policy(policy).cast_model(make_model(problem, width=width).to(device))
    keep: dict = {}
    step = make_step(problem, strategy, model, branch, points, policy, device, keep)
    try:
        row["memory_bytes"] = measure_memory(step, device).bytes   # also the warm-up call
        stats = time_fn(step, repeats=1, warmup=0, device=device)
        if stats.median_s < 2.0:  # slow steps are timed once: the quick sweep must stay short
            stats = time_fn(step, repeats=repeats, warmup=0, device=device)
    except (torch.OutOfMemoryError, RuntimeError) as err:
        if not _is_oom(err):
            raise
        row["status"] = "oom"
        return row
    finally:
        if device.type == "cuda":
            torch.cuda.empty_cache()
    row["step_time_s"] = stats.median_s
    row["max_rel_diff"] = max_rel_diff(keep["fields"], reference)
    if account:
        row.update(_account_columns(case, strategy, policy, width, device))
    return row


def _account_columns(case: SweepCase, strategy, policy, width: int, device) -> dict:
    """:func:`strategy_step_account` as row columns; {} (they stay None) when the extra step,
    which adds Adam's state, does not fit where the measured step did."""
    try:
        return strategy_step_account(case.problem, strategy, case.n_functions, case.n_points,
                                     policy, width, device=device).as_row()
    except (torch.OutOfMemoryError, RuntimeError) as err:
        if not _is_oom(err):
            raise
        return {}
    finally:
        if device.type == "cuda":
            torch.cuda.empty_cache()


def strategy_sweep(cases: Sequence[SweepCase], strategies: Sequence, policy="fp32",
                   device: str | torch.device = "auto", budget: int | None = None,
                   width: int = 128, repeats: int = 3,
                   progress: Callable[[dict], None] | None = None,
                   accounts: bool = False) -> list[dict]:
    """Rows for every case and strategy (lesson 05's sweep and ``bench zcs``).

    ``budget`` (bytes) defaults to :func:`default_memory_budget`; ``progress(row)`` is called
    after each row. ``accounts=True`` adds each step's whole memory account (one more step per
    row: parameters, gradients, Adam state, activations; see :func:`strategy_step_account`).
    """
    device = resolve_device(device)
    check_int("width", width, minimum=1)
    check_int("repeats", repeats, minimum=1)
    if budget is not None:
        check_float("budget", budget, positive=True)
    budget = default_memory_budget(device) if budget is None else budget
    predictors = {}
    rows = []
    for case in progress_bar(cases, "sweep cases"):
        problem, branch, points = case_inputs(case)
        reference = reference_fields(problem, make_model(problem, width=width), branch, points)
        for strategy in strategies:
            name = get_strategy(strategy).name
            key = (case.problem, name)
            if key not in predictors:
                predictors[key] = predict_memory(case.problem, strategy, policy, device, width)
            predicted = predictors[key](case.n_functions, case.n_points)
            rows.append(measure_case(case, strategy, policy, device, budget, predicted, reference,
                                     width, repeats, accounts))
            if progress is not None:
                progress(rows[-1])
    return rows
