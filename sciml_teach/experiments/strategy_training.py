"""Beyond one step: each derivative strategy *trained*, and the cost of each against PDE order.

Two runs of Leng et al. 2024 (arXiv:2311.00860) that one training step cannot show:

* **Trained accuracy** (their Table 1: every problem trained with every strategy, errors the
  same): the same initial weights, the same functions and points, the same Adam steps; only the
  strategy changes. Its derivatives are the same to float rounding, so the final errors differ only
  by that rounding, amplified over the run: the check is a relative tolerance on the error, with the
  time and memory of a step beside it. A strategy whose derivatives are subtly wrong trains to a
  different error.
* **The order sweep** (their scaling study, ``scaling/run_single.py`` in the authors' code: the
  PDE sum_k (d/dx + d/dy)^k u for k = 0..P): here sum_k d^k u / dx^k, one linear operator of order
  P, computed with ``strategy.combination`` (ZCS takes one final d/da for the whole sum, as the
  authors' ZCS code does). Memory and time of one step per strategy and order; an order whose
  cost, extrapolated from the two orders before it, would exceed the budget is an ``over_budget``
  row and the strategy stops there.

``python -m sciml_teach.bench zcs --parts trained,orders`` writes both as JSON rows.
Introduced in notebooks/05_zero_coordinate_shift.ipynb.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from ..checks import check_float, check_int
from ..derivatives import get_strategy
from ..meters import measure_memory, time_fn
from ..placement import resolve_device, to_model, upcast
from ..precision import get_policy
from ..problems import collocation_points, get_operator_problem
from ..quick import pick
from ..training import TrainConfig, train
from .memory_budget import default_memory_budget
from .operator_runs import physics_loss, relative_error
from .strategy_runs import make_model

# How far the final errors of strategies trained alike may drift apart (relative to the error), per
# policy: float rounding, amplified over the run. Measured on reaction-diffusion (CPU): float64, 0 to
# the printed digits after 30 steps; float32, 2e-8 to 6e-8 after 30 steps and up to 3.2e-5 after
# 200 (M=10, N=500, width 64). A derivative bug moved it by 3e-3 (u_xx dropped) to 7e-2 (lesson 05).
# Fourth order is touchier: the plate agreed to 1e-16 in float64 and 4e-7 in float32 after 60 steps
# (M=6, N=150), but its float32 full-mode runs (200 steps, far from converged) drifted apart by 9%.
ROUNDING_DRIFT = {"fp64": 1e-8, "fp32": 1e-3}


def _grid(n: int) -> torch.Tensor:
    """(n*n, 2) points of the uniform grid on [0, 1]^2, float64."""
    s = torch.linspace(0, 1, n, dtype=torch.float64)
    a, b = torch.meshgrid(s, s, indexing="ij")
    return torch.stack([b.reshape(-1), a.reshape(-1)], dim=1)


# Each problem's reference u at test points: (problem, branch (M, m)) -> (points (P, 2), u (M, P)).
REFERENCES: dict[str, Callable] = {
    "reaction_diffusion": lambda p, b: p.reference(b, nx=51, nt=51),   # method of lines, RK4
    "burgers": lambda p, b: p.reference(b, nt=51, n_grid=128),         # pseudo-spectral, RK4
    "plate": lambda p, b: (_grid(41), p.exact(b, _grid(41))),          # closed form
}


@dataclass(frozen=True)
class TrainedCase:
    problem: str       # a name in REFERENCES (a problem with a reference solution)
    n_functions: int   # M: functions trained on (one fixed batch, the same for every strategy)
    n_points: int      # N: collocation points shared by the functions
    steps: int         # Adam steps
    width: int = 64    # DeepONet width and features K
    lr: float = 1e-3   # Adam's learning rate

    def __post_init__(self):
        if self.problem not in REFERENCES:
            raise ValueError(f"TrainedCase.problem must be one of {', '.join(REFERENCES)} (a "
                             f"problem with a reference solution), got {self.problem!r}")
        for name in ["n_functions", "n_points", "steps", "width"]:
            check_int(f"TrainedCase.{name}", getattr(self, name), minimum=1)
        check_float("TrainedCase.lr", self.lr, positive=True)


def default_trained_cases() -> list[TrainedCase]:
    """Quick: reaction-diffusion only, seconds of CPU. Full: reaction-diffusion, Burgers, plate."""
    quick = [TrainedCase("reaction_diffusion", 8, 200, 30, width=32)]
    full = [TrainedCase("reaction_diffusion", 10, 500, 200),
            TrainedCase("burgers", 10, 500, 200),
            TrainedCase("plate", 10, 400, 200)]
    return pick(quick, full)


def trained_accuracy(case: TrainedCase, strategies: Sequence, policy="fp32", seed: int = 0,
                     n_test: int = 10, device: str | torch.device = "auto") -> list[dict]:
    """One row per strategy: ``case`` trained from the same weights (``seed``) on the same
    functions and points; the final relative L2 error on ``n_test`` new functions against the
    problem's reference, and ``error_vs_reference`` = |error - first strategy's error| / first
    strategy's error (list "zcs" first to compare with ZCS), beside ``tolerance``, the policy's
    :data:`ROUNDING_DRIFT` (None for policies without one)."""
    check_int("n_test", n_test, minimum=1)
    problem = get_operator_problem(case.problem)
    g = torch.Generator().manual_seed(seed)
    branch = problem.sample_branch(case.n_functions, g)                     # (M, m)
    points = collocation_points(case.n_points, problem.coord_dims, g)       # (N, D)
    test_branch = problem.sample_branch(n_test, g)                          # (M_test, m)
    test_points, target = REFERENCES[case.problem](problem, test_branch)    # (P, 2), (M_test, P)
    error_fn = relative_error(test_branch, test_points, target)
    config = TrainConfig(steps=case.steps, lr=case.lr, policy=policy, device=str(resolve_device(device)),
                         error_every=case.steps, memory_every=case.steps, memory_kind="auto",
                         seed=seed, stall_window=case.steps + 1)
    rows = []
    for strategy in strategies:
        torch.manual_seed(seed)                          # the same initial weights for every strategy
        model = make_model(problem, seed, case.width)
        history = train(model, physics_loss(problem, strategy, branch, points), config, error_fn)
        rows.append({"part": "trained", "problem": case.problem, "n_functions": case.n_functions,
                     "n_points": case.n_points, "steps": history.steps, "width": case.width,
                     "strategy": get_strategy(strategy).name, "policy": get_policy(policy).name,
                     "status": history.status, "initial_loss": history.loss[0],
                     "final_loss": history.loss[-1],
                     "rel_l2_error": history.final_error, "error_vs_reference": None,
                     "tolerance": ROUNDING_DRIFT.get(get_policy(policy).name),
                     "step_time_s": history.median_step_time_s,
                     "memory_bytes": history.memory_bytes[0]})
    first = rows[0]["rel_l2_error"]
    for row in rows:
        row["error_vs_reference"] = abs(row["rel_l2_error"] - first) / first
    return rows


def order_coefficients(order: int) -> dict[tuple[int, int], float]:
    """{(k, 0): 1.0 for k = 0..order}: the linear operator sum_k d^k u / dx^k."""
    check_int("order", order, minimum=1)
    return {(k, 0): 1.0 for k in range(order + 1)}


def _order_step(strategy, model, v, x, order: int, keep: dict):
    """One step without the update: the order-``order`` operator, its mean square, backward."""
    coefficients = order_coefficients(order)

    def step():
        model.zero_grad(set_to_none=True)
        field = strategy.combination(model, v, x, coefficients)            # (M, N)
        upcast(field).square().mean().backward()
        if "field" not in keep:  # the first, untimed call: no device-to-host copy in timed steps
            keep["field"] = field.detach().cpu().double()
    return step


def _next_cost(previous: list[float]) -> float:
    """The next order's cost, extrapolated geometrically from the last two orders."""
    if len(previous) < 2:
        return previous[-1] if previous else 0.0
    return previous[-1] * max(1.0, previous[-1] / previous[-2])


def order_sweep(orders: Sequence[int], strategies: Sequence, n_functions: int | None = None,
                n_points: int | None = None, width: int | None = None, budget: int | None = None,
                max_step_s: float | None = None, seed: int = 0,
                device: str | torch.device = "auto") -> list[dict]:
    """Rows of (order, strategy): memory and time of one step of the order-P operator, and
    ``max_rel_diff`` from a float64 forward-mode reference. Sizes default to M=8, N=300, width 32
    (quick) or M=20, N=1000, width 64; ``budget`` (bytes) to the device's memory budget and
    ``max_step_s`` to 5 s (quick) or 60 s."""
    device = resolve_device(device)
    M, N, width = n_functions or pick(8, 20), n_points or pick(300, 1000), width or pick(32, 64)
    budget = default_memory_budget(device) if budget is None else budget
    max_step_s = pick(5.0, 60.0) if max_step_s is None else max_step_s
    check_float("max_step_s", max_step_s, positive=True)
    problem = get_operator_problem("reaction_diffusion")   # only its branch inputs (m = 50)
    g = torch.Generator().manual_seed(seed)
    branch, points = problem.sample_branch(M, g), collocation_points(N, 2, g)
    model = make_model(problem, seed, width).to(device)
    model64 = copy.deepcopy(model).cpu().double()
    v, x = to_model(model, branch, points)
    costs = {get_strategy(s).name: ([], []) for s in strategies}           # (bytes, seconds)
    stopped: set[str] = set()                            # strategies that left the budget
    rows = []
    for order in sorted(orders):
        reference = None                                 # computed once a strategy runs
        for strategy in map(get_strategy, strategies):
            memory, seconds = costs[strategy.name]
            row = {"part": "order", "problem": "order_sum", "order": order, "n_functions": M,
                   "n_points": N, "strategy": strategy.name, "status": "ok", "step_time_s": None,
                   "memory_bytes": None, "predicted_bytes": int(_next_cost(memory)),
                   "max_rel_diff": None}
            if (strategy.name in stopped or _next_cost(memory) > budget
                    or _next_cost(seconds) > max_step_s):
                stopped.add(strategy.name)
                row["status"] = "over_budget"
                rows.append(row)
                continue
            if reference is None:                        # float64 forward mode: independent
                reference = get_strategy("forward").combination(
                    model64, branch, points, order_coefficients(order)).detach()   # (M, N)
            keep: dict = {}
            step = _order_step(strategy, model, v, x, order, keep)
            memory.append(measure_memory(step, device).bytes)
            seconds.append(time_fn(step, repeats=1, warmup=0, device=device).median_s)
            row.update(step_time_s=seconds[-1], memory_bytes=memory[-1],
                       max_rel_diff=float((keep["field"] - reference).abs().max()
                                          / reference.abs().max()))
            rows.append(row)
    return rows
