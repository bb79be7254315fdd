"""Operator problems: reference solvers converge at their order, residuals vanish on exact
solutions, losses run for every problem, and the ZCS benchmark's rows (ok/over_budget/oom)."""
import math

import pytest
import torch

from sciml_teach import (BurgersPeriodic, DeepONet, DeepONetConfig, KirchhoffLovePlate,
                         ReactionDiffusion, get_operator_problem, physics_loss)
from sciml_teach.bench.zcs import parse_bytes
from sciml_teach.experiments import strategy_runs as sweep
from sciml_teach.meters import measure_memory
from sciml_teach.derivatives import DerivativeStrategy


def _order(errors):
    return [math.log2(a / b) for a, b in zip(errors[:-1], errors[1:])]


def test_reaction_diffusion_solver_is_second_order_in_space():
    problem = ReactionDiffusion()

    def solve(nx):
        x = torch.linspace(0, 1, nx, dtype=torch.float64)
        source = torch.stack([3 * torch.sin(2 * math.pi * x) + 1, torch.cos(3 * x)])  # (2, nx)
        return problem.solve(source, nt=5)                                            # (2, 5, nx)
    fine = solve(321)
    errors = [(solve(nx) - fine[:, :, ::320 // (nx - 1)]).abs().max().item() for nx in (21, 41, 81)]
    assert all(1.8 < p < 2.3 for p in _order(errors)), errors


def test_reaction_diffusion_reference_has_zero_initial_and_boundary_values():
    problem = ReactionDiffusion(n_sensors=10)
    points, u = problem.reference(problem.sample_branch(3, torch.Generator().manual_seed(0)), 21, 11)
    on_edge = (points[:, 0] == 0) | (points[:, 0] == 1) | (points[:, 1] == 0)
    assert u.shape == (3, 21 * 11) and u[:, on_edge].abs().max() == 0 and u.abs().max() > 1e-3


def test_source_interpolates_the_sensor_values():
    problem = ReactionDiffusion(n_sensors=11)
    v = problem.sample_branch(2, torch.Generator().manual_seed(0))
    sensors = torch.stack([torch.linspace(0, 1, 11, dtype=torch.float64), torch.zeros(11)], 1)
    assert torch.allclose(problem.source(v, sensors), v)


def _burgers(dt=None, n_grid=64):
    problem = BurgersPeriodic(n_sensors=32)
    u0 = problem.sample_branch(2, torch.Generator().manual_seed(0))
    return problem.solve(u0, nt=3, n_grid=n_grid, **({} if dt is None else {"dt": dt}))


def test_burgers_solver_is_fourth_order_in_time():
    fine = _burgers(dt=2.5e-3, n_grid=32)
    errors = [(_burgers(dt=dt, n_grid=32) - fine).abs().max().item() for dt in (2e-2, 1e-2, 5e-3)]
    assert all(p > 3.5 for p in _order(errors)), errors


def test_burgers_solver_is_spectrally_accurate_and_conserves_mass():
    fine = _burgers(n_grid=256, dt=4e-3)    # same dt: the difference is the spatial error
    coarse = _burgers(n_grid=128, dt=4e-3)
    assert (coarse - fine[:, :, ::2]).abs().max() < 1e-8
    mass = fine.mean(dim=-1)                                           # (M, nt)
    assert torch.allclose(mass, mass[:, :1].expand_as(mass), atol=1e-12)


def test_plate_closed_form_satisfies_the_equation_and_boundary_conditions():
    problem = KirchhoffLovePlate(rigidity=2.0, n_modes=3)
    a = problem.sample_branch(2, torch.Generator().manual_seed(0))
    x = torch.rand(7, 2, dtype=torch.float64, requires_grad=True)

    def d(f, dim, times):  # repeated pointwise derivative by plain autograd, (M, N)
        for _ in range(times):
            f = torch.stack([torch.autograd.grad(f[i].sum(), x, create_graph=True)[0][:, dim]
                             for i in range(f.shape[0])])
        return f
    w = problem.exact(a, x)
    biharmonic = d(w, 0, 4) + 2 * d(d(w, 0, 2), 1, 2) + d(w, 1, 4)
    assert torch.allclose(biharmonic, problem.load(a, x) / 2.0, rtol=1e-10, atol=1e-10)
    edge = torch.tensor([[0.0, 0.3], [1.0, 0.7], [0.4, 0.0], [0.6, 1.0]], dtype=torch.float64)
    assert problem.exact(a, edge).abs().max() < 1e-14


@pytest.mark.parametrize("name", ["reaction_diffusion", "burgers", "plate"])
def test_physics_loss_backpropagates_for_every_problem(name):
    problem = get_operator_problem(name)
    g = torch.Generator().manual_seed(0)
    v = problem.sample_branch(3, g)
    x = torch.rand(10, 2, generator=g, dtype=torch.float64)
    model = DeepONet(DeepONetConfig(n_sensors=problem.n_sensors, width=8, depth=2, n_features=4))
    loss = physics_loss(problem, "zcs", v, x)(model)
    loss.backward()
    assert torch.isfinite(loss) and model.trunk.net[0].weight.grad.abs().sum() > 0


def test_unknown_problem_lists_the_valid_names():
    with pytest.raises(ValueError, match="reaction_diffusion, burgers, plate"):
        get_operator_problem("darcy")


# --- the strategy sweep (ZCS benchmark) ---------------------------------------------------------------------

def test_memory_prediction_is_exact_for_saved_bytes():
    predict = sweep.predict_memory("reaction_diffusion", "datavect", "fp32", torch.device("cpu"),
                                   width=16)
    problem, v, x = sweep.case_inputs(sweep.SweepCase("reaction_diffusion", 6, 100))
    model = sweep.make_model(problem, width=16)
    step = sweep.make_step(problem, "datavect", model, v, x, "fp32", torch.device("cpu"), {})
    assert predict(6, 100) == pytest.approx(measure_memory(step).bytes, rel=1e-3)


def test_sweep_rows_agree_and_turn_big_cases_into_over_budget_rows():
    cases = [sweep.SweepCase("reaction_diffusion", 4, 64),
             sweep.SweepCase("reaction_diffusion", 64, 512)]
    # predicted saved bytes at M=64, N=512, width 16: FuncLoop ~71 MiB, ZCS ~2.5 MiB
    rows = sweep.strategy_sweep(cases, ["funcloop", "zcs"], budget=16 * 2**20, width=16, repeats=1)
    assert [r["status"] for r in rows] == ["ok", "ok", "over_budget", "ok"]
    for key in ["strategy", "problem", "n_functions", "n_points", "order", "status",
                "step_time_s", "memory_bytes", "max_rel_diff"]:
        assert all(key in r for r in rows)
    assert all(r["max_rel_diff"] <= 1e-4 for r in rows if r["status"] == "ok")


class _RunsOutOfMemory(DerivativeStrategy):
    name = "runs-out-of-memory"

    def _fields(self, model, branch_input, points, requests):
        raise torch.OutOfMemoryError("CUDA out of memory (simulated)")


def test_out_of_memory_becomes_an_oom_row():
    case = sweep.SweepCase("reaction_diffusion", 2, 16)
    row = sweep.measure_case(case, _RunsOutOfMemory(), "fp32", torch.device("cpu"), budget=2**30,
                             predicted=0, reference={}, width=8)
    assert row["status"] == "oom" and row["strategy"] == "runs-out-of-memory"


def test_memory_budget_sizes_are_read_with_units():
    assert parse_bytes("512MiB") == 512 * 2**20 and parse_bytes("1e9") == 10**9
    with pytest.raises(ValueError, match="4GiB"):
        parse_bytes("lots")


def test_burgers_trains_through_the_loop_with_forward_mode_and_amp():
    from sciml_teach import TrainConfig, relative_error, train
    problem = BurgersPeriodic(n_sensors=16)
    g = torch.Generator().manual_seed(0)
    v = problem.sample_branch(3, g)
    points, u = problem.reference(v, nt=3, n_grid=16, dt=1e-2)         # (N, 2), (M, N)
    x = torch.rand(20, 2, generator=g, dtype=torch.float64)
    model = DeepONet(DeepONetConfig(n_sensors=16, width=8, depth=2, n_features=4))
    history = train(model, physics_loss(problem, "forward", v, x),
                    TrainConfig(steps=3, policy="amp-bf16"), error_fn=relative_error(v, points, u))
    assert history.status == "ok" and math.isfinite(history.final_error)
