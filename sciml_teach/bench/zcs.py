"""ZCS benchmark: one physics-informed DeepONet training step under each derivative strategy.

The table of Leng et al. 2024 (arXiv:2311.00860, Tables 2-4 and the scaling sweep of Sec. 4.4) on
your hardware: for each problem (order 2: reaction-diffusion, Burgers; order 4: Kirchhoff-Love
plate), number of functions M and points N, and strategy (FuncLoop, DataVect, ZCS, forward mode),
the time of one whole training step (forward, derivatives, residual loss, backward), its memory
(measured the same way for every strategy: CUDA peak, or bytes autograd saves on CPU) and the
largest relative difference of u and its derivative fields from a float64 forward-mode reference.
Configurations whose predicted memory exceeds ``--memory-budget`` become ``over_budget`` rows; a
real out-of-memory becomes an ``oom`` row. Introduced in notebooks/05_zero_coordinate_shift.ipynb.
"""
from __future__ import annotations

import argparse
import copy
import re
from typing import Callable
from dataclasses import dataclass

import torch

from ..derivatives import STRATEGIES, get_strategy
from ..meters import measure_memory, time_fn
from ..models.deeponet import DeepONet, DeepONetConfig
from ..precision import get_policy
from ..problems.operator_training import (OPERATOR_PROBLEMS, collocation_points,
                                          get_operator_problem, residual_loss)
from ..quick import is_quick, pick

DESCRIPTION = ("ZCS vs FuncLoop, DataVect and forward mode: time, memory and agreement of one "
               "physics-informed DeepONet training step (Leng et al. 2024)")
COLUMNS = ["problem", "order", "n_functions", "n_points", "strategy", "status", "step_time_s",
           "memory_bytes", "max_rel_diff"]


@dataclass(frozen=True)
class Case:
    problem: str       # a name in OPERATOR_PROBLEMS
    n_functions: int   # M
    n_points: int      # N


def default_cases() -> list[Case]:
    """Quick: sized for 2 CPU cores in a few minutes. Full: the paper's sweep over M and N."""
    quick = ([Case("reaction_diffusion", m, 4000) for m in (10, 50, 100)]
             + [Case("burgers", 50, 1000), Case("plate", 10, 500)])
    full = ([Case("reaction_diffusion", m, 4000) for m in (10, 50, 100, 200, 400)]
            + [Case("reaction_diffusion", 50, n) for n in (1000, 8000, 16000, 32000)]
            + [Case("burgers", m, 4000) for m in (10, 50, 100)]
            + [Case("plate", m, 2000) for m in (10, 50, 100)])
    return pick(quick, full)


def parse_bytes(text: str) -> int:
    """'512MiB', '4GiB', '2.5GB' or a plain number of bytes -> bytes."""
    units = {"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "KIB": 2**10, "MIB": 2**20,
             "GIB": 2**30}
    match = re.fullmatch(r"\s*([0-9.eE+]+)\s*([A-Za-z]*)\s*", text)
    if not match or match.group(2).upper() not in units:
        raise ValueError(f"cannot read {text!r} as a size; write e.g. 512MiB, 4GiB or 1e9")
    return int(float(match.group(1)) * units[match.group(2).upper()])


def default_memory_budget(device: torch.device) -> int:
    """Half the free GPU memory, or a quarter of the available RAM (saved bytes are not all of a
    step's memory, and the machine may be shared); at most 4 GiB in quick mode, which must stay
    light on a laptop."""
    if device.type == "cuda":
        free = torch.cuda.mem_get_info(device)[0] // 2
    else:
        with open("/proc/meminfo") as f:
            info = dict(line.split(":", 1) for line in f)
        free = int(info["MemAvailable"].split()[0]) * 1024 // 4
    return pick(min(free, 4 * 2**30), free)


def make_model(problem, seed: int = 0, width: int = 128) -> DeepONet:
    torch.manual_seed(seed)
    return DeepONet(DeepONetConfig(n_sensors=problem.n_sensors, coord_dims=problem.coord_dims,
                                   width=width, n_features=width))


def case_inputs(case: Case, seed: int = 0):
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
    v = branch.to(device=device, dtype=policy.param_dtype)      # (M, m)
    x = points.to(device=device, dtype=policy.param_dtype)      # (N, D)

    def step():
        model.zero_grad(set_to_none=True)
        with policy.autocast_context(device):
            fields = strategy.fields(model, v, x, problem.requests)   # {request: (M, N)}
            loss = problem.residual(fields, v, x).float().square().mean()
        loss.backward()
        keep["fields"] = {r: f.detach().cpu().double() for r, f in fields.items()}
    return step


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


def predict_memory(problem_name: str, strategy, policy, device,
                   width: int = 128) -> Callable[[int, int], float]:
    """Fit memory = c0 + c1 M + c2 N + c3 M N from four tiny steps; return (M, N) -> bytes.

    Every strategy's memory has this form (FuncLoop: M graphs of N points; DataVect: one graph of
    M N points; ZCS and forward: one trunk graph of N points plus (M, N) fields), so tiny runs
    predict large ones without running them.
    """
    sizes = [(2, 32), (4, 32), (2, 64), (4, 64)]
    readings = []
    for M, N in sizes:
        problem, branch, points = case_inputs(Case(problem_name, M, N))
        model = get_policy(policy).cast_model(make_model(problem, width=width).to(device))
        step = make_step(problem, strategy, model, branch, points, policy, device, {})
        readings.append(measure_memory(step, device).bytes)
    A = torch.tensor([[1.0, M, N, M * N] for M, N in sizes], dtype=torch.float64)
    c = torch.linalg.solve(A, torch.tensor(readings, dtype=torch.float64))  # (4,)
    return lambda M, N: float(c[0] + c[1] * M + c[2] * N + c[3] * M * N)


def _is_oom(err: BaseException) -> bool:
    return isinstance(err, torch.OutOfMemoryError) or "out of memory" in str(err).lower()


def measure_case(case: Case, strategy, policy, device, budget: int, predicted: float,
                 reference: dict, width: int = 128, repeats: int = 3) -> dict:
    """One row: status, step time, memory and agreement of ``strategy`` on ``case``."""
    problem, branch, points = case_inputs(case)
    row = {"problem": case.problem, "order": max(max(r) for r in problem.requests),
           "n_functions": case.n_functions, "n_points": case.n_points,
           "strategy": get_strategy(strategy).name,
           "policy": get_policy(policy).name, "status": "ok", "step_time_s": None,
           "memory_bytes": None, "predicted_bytes": int(predicted), "max_rel_diff": None}
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
    return row


def sweep(cases, strategies, policy="fp32", device="cpu", budget: int | None = None,
          width: int = 128, repeats: int = 3, progress=None) -> list[dict]:
    """Rows for every case and strategy (the benchmark, and the sweep of lesson 05)."""
    device = torch.device(device)
    budget = default_memory_budget(device) if budget is None else budget
    predictors = {}
    rows = []
    for case in cases:
        problem, branch, points = case_inputs(case)
        reference = reference_fields(problem, make_model(problem, width=width), branch, points)
        for strategy in strategies:
            name = get_strategy(strategy).name
            key = (case.problem, name)
            if key not in predictors:
                predictors[key] = predict_memory(case.problem, strategy, policy, device, width)
            predicted = predictors[key](case.n_functions, case.n_points)
            rows.append(measure_case(case, strategy, policy, device, budget, predicted, reference,
                                     width, repeats))
            if progress is not None:
                progress(rows[-1])
    return rows


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strategies", default=",".join(STRATEGIES),
                        help=f"comma-separated, from {', '.join(STRATEGIES)}")
    parser.add_argument("--problems", default=",".join(OPERATOR_PROBLEMS),
                        help=f"comma-separated, from {', '.join(OPERATOR_PROBLEMS)}")
    parser.add_argument("--policy", default="fp32", help="precision policy (default fp32)")
    parser.add_argument("--memory-budget", type=parse_bytes, default=None,
                        help="skip configurations predicted to need more (e.g. 4GiB); default: "
                             "half the free GPU memory or a quarter of the available RAM")
    parser.add_argument("--width", type=int, default=128, help="DeepONet width and features K")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for torch; default 1 in quick mode on a CPU (steady "
                             "on a shared laptop, where spinning threads wait for each other), "
                             "torch's own choice otherwise")


def run(args: argparse.Namespace, device: torch.device) -> list[dict]:
    threads = args.threads or (1 if device.type == "cpu" and is_quick() else None)
    if threads is not None:
        torch.set_num_threads(threads)  # this benchmark process only
        print(f"  torch CPU threads: {threads}", flush=True)
    strategies = [get_strategy(s.strip()).name for s in args.strategies.split(",")]
    problems = [s.strip() for s in args.problems.split(",")]
    for name in problems:
        get_operator_problem(name)  # a clear ValueError for a typo
    cases = [c for c in default_cases() if c.problem in problems]
    return sweep(cases, strategies, args.policy, device, args.memory_budget, args.width,
                 repeats=pick(2, 5), progress=lambda row: print(_progress_line(row), flush=True))


def _progress_line(row: dict) -> str:
    return (f"  {row['problem']:<18} M={row['n_functions']:<5} N={row['n_points']:<6} "
            f"{row['strategy']:<9} {row['status']}")
