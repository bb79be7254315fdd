"""Bad input gets a clear error, nothing is lost (issue 12): a table-driven battery.

Each case either asserts the exception type and that its message names the offending argument
(and the value or what is allowed), or asserts the exact correct result. Families: API (configs,
derivative requests, model and strategy inputs, metrics, edge cases, divergence), environment
variables, the data cache, the benchmark command line (a subprocess per case; argument errors exit
before any work) and the widget panels.
"""
import json
import math
import multiprocessing
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import sciml_teach as st
from sciml_teach import data_cache, exercises, training
from sciml_teach.bench import __main__ as bench_main
from sciml_teach.derivatives import normalise_requests
from sciml_teach.experiments import pinn_runs
from sciml_teach.problems import BurgersConfig, DarcyConfig
from sciml_teach.threads import choose_threads

NAN, INF = math.nan, math.inf
ROOT = Path(st.__file__).resolve().parent.parent

# ---------------------------------------------------------------- API: configs
# (factory, keyword arguments, words the message must contain)
CONFIG_CASES = [
    (st.TrainConfig, {"steps": 0}, ["TrainConfig.steps", "0", ">= 1"]),
    (st.TrainConfig, {"steps": 1.5}, ["TrainConfig.steps", "1.5", "integer"]),
    (st.TrainConfig, {"steps": True}, ["TrainConfig.steps", "True"]),
    (st.TrainConfig, {"steps": "100"}, ["TrainConfig.steps", "'100'"]),
    (st.TrainConfig, {"error_every": 0}, ["TrainConfig.error_every", "0"]),
    (st.TrainConfig, {"stall_window": 0}, ["TrainConfig.stall_window", "0"]),
    (st.TrainConfig, {"diagnose_every": -1}, ["TrainConfig.diagnose_every", "-1"]),
    (st.TrainConfig, {"memory_every": 0}, ["TrainConfig.memory_every", "0"]),
    (st.TrainConfig, {"max_skipped": 0}, ["TrainConfig.max_skipped", "0"]),
    (st.TrainConfig, {"lr": -1e-3}, ["TrainConfig.lr", "-0.001", "> 0"]),
    (st.TrainConfig, {"lr": 0.0}, ["TrainConfig.lr", "0.0", "> 0"]),
    (st.TrainConfig, {"lr": NAN}, ["TrainConfig.lr", "nan", "finite"]),
    (st.TrainConfig, {"lr": INF}, ["TrainConfig.lr", "inf", "finite"]),
    (st.TrainConfig, {"lr": "1e-3"}, ["TrainConfig.lr", "'1e-3'", "number"]),
    (st.TrainConfig, {"adam_eps": -1e-8}, ["TrainConfig.adam_eps", "> 0"]),
    (st.TrainConfig, {"adam_eps": NAN}, ["TrainConfig.adam_eps", "finite"]),
    (st.TrainConfig, {"stall_rtol": 2.0}, ["TrainConfig.stall_rtol", "2.0", "<= 1"]),
    (st.TrainConfig, {"stall_frozen": -0.1}, ["TrainConfig.stall_frozen", "-0.1", ">= 0"]),
    (st.TrainConfig, {"diverge_factor": 0.5}, ["TrainConfig.diverge_factor", "0.5", ">= 1"]),
    (st.TrainConfig, {"diverge_factor": NAN}, ["TrainConfig.diverge_factor", "finite"]),
    (st.TrainConfig, {"diverge_after": -1}, ["TrainConfig.diverge_after", "-1", ">= 0"]),
    (st.TrainConfig, {"loss_scaling": "yes"}, ["TrainConfig.loss_scaling", "'yes'", "True, False or None"]),
    (st.TrainConfig, {"seed": -1}, ["TrainConfig.seed", "-1"]),
    (st.TrainConfig, {"seed": 1.5}, ["TrainConfig.seed", "1.5"]),
    (st.TrainConfig, {"device": "tpu"}, ["TrainConfig.device", "'tpu'", "'cpu'"]),
    (st.TrainConfig, {"memory_kind": "peak"}, ["TrainConfig.memory_kind", "'peak'", "autograd_saved"]),
    (st.TrainConfig, {"policy": "fp99"}, ["policy", "'fp99'", "amp-fp16"]),
    (st.TrainConfig, {"policy": ["fp32"]}, ["policy", "['fp32']", "fp32"]),
    (st.TrainConfig, {"policy": "fp16", "loss_scaling": True}, ["loss scaling", "float32 master"]),
    (st.DeepONetConfig, {"n_sensors": 0}, ["DeepONetConfig.n_sensors", "0"]),
    (st.DeepONetConfig, {"width": 0}, ["DeepONetConfig.width", "0"]),
    (st.DeepONetConfig, {"depth": 1.5}, ["DeepONetConfig.depth", "1.5", "integer"]),
    (st.DeepONetConfig, {"n_features": -1}, ["DeepONetConfig.n_features", "-1"]),
    (st.DeepONetConfig, {"coord_dims": 0}, ["DeepONetConfig.coord_dims", "0"]),
    (st.DeepONetConfig, {"n_outputs": 0}, ["DeepONetConfig.n_outputs", "0"]),
    (st.DeepONetConfig, {"activation": "sigmoid"}, ["DeepONetConfig.activation", "'sigmoid'", "'tanh'"]),
    (st.DeepONetConfig, {"branch_hidden": (0,)}, ["DeepONetConfig.branch_hidden", "(0,)"]),
    (st.DeepONetConfig, {"trunk_hidden": ("a",)}, ["DeepONetConfig.trunk_hidden", "('a',)"]),
    (st.FNOConfig, {"modes": ()}, ["FNOConfig.modes", "()", "1 or 2"]),
    (st.FNOConfig, {"modes": (0,)}, ["FNOConfig.modes[0]", "0"]),
    (st.FNOConfig, {"modes": (4, 4, 4)}, ["FNOConfig.modes", "(4, 4, 4)"]),
    (st.FNOConfig, {"modes": (4.5,)}, ["FNOConfig.modes[0]", "4.5"]),
    (st.FNOConfig, {"width": 0}, ["FNOConfig.width", "0"]),
    (st.FNOConfig, {"layers": 0}, ["FNOConfig.layers", "0"]),
    (st.FNOConfig, {"projection": -4}, ["FNOConfig.projection", "-4"]),
    (st.FNOConfig, {"in_channels": 0}, ["FNOConfig.in_channels", "0"]),
    (st.FNOConfig, {"out_channels": 0}, ["FNOConfig.out_channels", "0"]),
    (st.FNOConfig, {"precision": "quarter"}, ["FNOConfig.precision", "'quarter'", "'mixed'"]),
    (st.FNOConfig, {"stabilizer": "sigmoid"}, ["FNOConfig.stabilizer", "'sigmoid'", "'tanh'"]),
    (st.FNOConfig, {"half_dtype": torch.float32}, ["FNOConfig.half_dtype", "torch.float32"]),
    (DarcyConfig, {"resolution": 1}, ["DarcyConfig.resolution", "1", ">= 2"]),
    (DarcyConfig, {"length_scale": 0.0}, ["DarcyConfig.length_scale", "> 0"]),
    (DarcyConfig, {"a_low": -1.0}, ["DarcyConfig.a_low", "-1.0"]),
    (DarcyConfig, {"forcing": NAN}, ["DarcyConfig.forcing", "finite"]),
    (BurgersConfig, {"resolution": 0}, ["BurgersConfig.resolution", "0"]),
    (BurgersConfig, {"resolution": 128, "solver_resolution": 64}, ["BurgersConfig.solver_resolution", "64", ">= 128"]),
    (BurgersConfig, {"nu": 0.0}, ["BurgersConfig.nu", "> 0"]),
    (BurgersConfig, {"dt": 2.0}, ["BurgersConfig.dt", "2.0", "<= 1.0"]),
    (BurgersConfig, {"amplitude": -1.0}, ["BurgersConfig.amplitude", "-1.0"]),
    (st.BurgersPeriodic, {"viscosity": -1.0}, ["BurgersPeriodic.viscosity", "-1.0"]),
    (st.BurgersPeriodic, {"n_sensors": 1}, ["BurgersPeriodic.n_sensors", "1"]),
    (st.ReactionDiffusion, {"reaction": NAN}, ["ReactionDiffusion.reaction", "finite"]),
    (st.ReactionDiffusion, {"n_sensors": 1}, ["ReactionDiffusion.n_sensors", "1"]),
    (st.KirchhoffLovePlate, {"rigidity": 0.0}, ["KirchhoffLovePlate.rigidity", "> 0"]),
    (st.KirchhoffLovePlate, {"n_modes": 0}, ["KirchhoffLovePlate.n_modes", "0"]),
    (st.SweepCase, {"problem": "heat", "n_functions": 2, "n_points": 8}, ["'heat'", "reaction_diffusion"]),
    (st.SweepCase, {"problem": "plate", "n_functions": 0, "n_points": 8}, ["SweepCase.n_functions", "0"]),
    (st.SweepCase, {"problem": "plate", "n_functions": 2, "n_points": -1}, ["SweepCase.n_points", "-1"]),
    (st.FNOSetting, {"precision": "quarter", "stabilizer": "none", "amp": True}, ["FNOSetting.precision", "'quarter'"]),
    (st.FNOSetting, {"precision": "full", "stabilizer": "none", "amp": "yes"}, ["FNOSetting.amp", "'yes'"]),
    (st.FNOSetting, {"precision": "full", "stabilizer": "none", "amp": True, "input_scale": NAN},
     ["FNOSetting.input_scale", "finite"]),
    (st.MLP, {"layer_sizes": [2]}, ["layer_sizes", "[2]"]),
    (st.MLP, {"layer_sizes": [2, 0, 1]}, ["layer_sizes[1]", "0"]),
    (st.MLP, {"layer_sizes": [2, 1.5, 1]}, ["layer_sizes[1]", "1.5"]),
    (st.MLP, {"layer_sizes": [2, 4, 1], "activation": "sigmoid"}, ["activation", "'sigmoid'", "tanh"]),
    (st.Poisson1D, {"n_collocation": 1}, ["n_collocation", "1"]),
]


def _check_message(err: BaseException, words) -> None:
    for word in words:
        assert word in str(err), f"{word!r} not in the message: {err}"


@pytest.mark.parametrize("factory, kwargs, words", CONFIG_CASES,
                         ids=[f"{f.__name__}-{'-'.join(map(str, k))}-{i}"
                              for i, (f, k, _) in enumerate(CONFIG_CASES)])
def test_config_refuses(factory, kwargs, words):
    with pytest.raises(ValueError) as info:
        factory(**kwargs)
    _check_message(info.value, words)


# ---------------------------------------------------------------- API: derivative requests
BAD_REQUESTS = [(1.7, 0), (True, 0), (-1, 0), (1,), (1, 0, 0), "ab", 3, (None, 0), (2.0, 0)]


@pytest.mark.parametrize("request_", BAD_REQUESTS, ids=[repr(r) for r in BAD_REQUESTS])
def test_derivative_request_refused_not_truncated(request_):
    with pytest.raises(ValueError) as info:
        normalise_requests([request_], 2)
    _check_message(info.value, ["derivative request", "non-negative integer", repr(request_)])


def test_numpy_integer_orders_are_fine():
    import numpy as np
    assert normalise_requests([(np.int64(2), 0), (2, 0)], 2) == [(2, 0)]


# ---------------------------------------------------------------- API: model and strategy inputs
def _deeponet(activation="tanh"):
    torch.manual_seed(0)
    return st.DeepONet(st.DeepONetConfig(n_sensors=5, width=8, depth=2, n_features=8,
                                         activation=activation))


def _fno(precision="full", modes=(4,)):
    torch.manual_seed(0)
    return st.FNO(st.FNOConfig(modes=modes, width=4, layers=2, projection=8, precision=precision))


INPUT_CASES = [
    ("mlp-float64", lambda: st.MLP([2, 4, 1])(torch.zeros(3, 2, dtype=torch.float64)),
     ["x", "torch.float64", "torch.float32", "st.to_model"]),
    ("mlp-int", lambda: st.MLP([2, 4, 1])(torch.zeros(3, 2, dtype=torch.int64)), ["x", "torch.int64"]),
    ("mlp-width", lambda: st.MLP([2, 4, 1])(torch.zeros(3, 3)), ["(..., 2)", "(3, 3)"]),
    ("mlp-list", lambda: st.MLP([2, 4, 1])([[0.0, 1.0]]), ["x", "torch.Tensor", "list"]),
    ("deeponet-float64", lambda: _deeponet()(torch.zeros(2, 5).double(), torch.zeros(3, 2).double()),
     ["branch_input", "torch.float64", "st.to_model"]),
    ("deeponet-sensors", lambda: _deeponet()(torch.zeros(2, 4), torch.zeros(3, 2)), ["(M, 5)", "(2, 4)"]),
    ("deeponet-meta", lambda: _deeponet()(torch.zeros(2, 5), torch.zeros(3, 2, device="meta")),
     ["points", "meta", "st.to_model"]),
    ("fno-float64", lambda: _fno()(torch.zeros(2, 1, 16, dtype=torch.float64)), ["a", "torch.float64"]),
    ("fno-rank", lambda: _fno()(torch.zeros(2, 16)), ["expects", "(2, 16)"]),
    ("strategy-float64", lambda: st.get_strategy("zcs").fields(
        _deeponet(), torch.zeros(2, 5).double(), torch.zeros(3, 2), [(1, 0)]),
     ["branch_input", "torch.float64", "st.to_model"]),
    ("strategy-points-rank", lambda: st.get_strategy("funcloop").fields(
        _deeponet(), torch.zeros(2, 5), torch.zeros(3), [(1, 0)]), ["points", "2 axes", "(3,)"]),
    ("strategy-branch-rank", lambda: st.get_strategy("datavect").fields(
        _deeponet(), torch.zeros(2, 5, 1), torch.zeros(3, 2), [(1, 0)]), ["branch_input", "(2, 5, 1)"]),
    ("zcs-combination-request", lambda: st.get_strategy("zcs").combination(
        _deeponet(), torch.zeros(2, 5), torch.zeros(3, 2), {(1.7, 0): 1.0}), ["(1.7, 0)"]),
    ("strategy-plain-mlp", lambda: st.get_strategy("forward").fields(
        st.MLP([2, 8, 1]), torch.zeros(2, 5), torch.zeros(3, 2), [(1, 0)]),
     ["model", "branch-trunk", "model(v (M, m), x (N, D)) -> u (M, N)", "MLP", "PINN"]),
    ("combination-plain-mlp", lambda: st.get_strategy("zcs").combination(
        st.MLP([2, 8, 1]), torch.zeros(2, 5), torch.zeros(3, 2), {(2, 0): 1.0}),
     ["model", "branch-trunk", "MLP", "PINN"]),
    ("strategy-points-D", lambda: st.get_strategy("datavect").fields(
        _deeponet(), torch.zeros(2, 5), torch.zeros(3, 3), [(1, 0, 0)]),
     ["points", "D = 2", "DeepONet", "(3, 3)"]),
    ("strategy-request-length", lambda: st.get_strategy("funcloop").fields(
        _deeponet(), torch.zeros(2, 5), torch.zeros(3, 2), [(1, 0, 0)]),
     ["derivative request", "points (3, 2)", "D = 2", "DeepONet", "(1, 0, 0)"]),
    ("zcs-combination-request-length", lambda: st.get_strategy("zcs").combination(
        _deeponet(), torch.zeros(2, 5), torch.zeros(3, 2), {(2,): 1.0}),
     ["derivative request", "points (3, 2)", "D = 2", "DeepONet", "(2,)"]),
    ("strategy-name", lambda: st.get_strategy(["zcs"]), ["['zcs']", "funcloop"]),
    ("trainstep-lr", lambda: st.TrainStep(st.MLP([1, 4, 1]), None, lr=-1.0), ["lr", "-1.0", "> 0"]),
    ("trainstep-eps", lambda: st.TrainStep(st.MLP([1, 4, 1]), None, adam_eps=NAN), ["adam_eps", "finite"]),
    ("train-config", lambda: st.train(st.MLP([1, 4, 1]), None, {"steps": 10}), ["config", "TrainConfig"]),
    ("sweep-budget", lambda: st.strategy_sweep([], ["zcs"], budget=-1), ["budget", "> 0"]),
    ("sweep-width", lambda: st.strategy_sweep([], ["zcs"], width=0), ["width", "0"]),
    ("device-name", lambda: st.resolve_device("tpu"), ["device", "'tpu'", "'cpu'"]),
    ("relative_l2-zero", lambda: st.relative_l2(torch.ones(4), torch.zeros(4)), ["reference", "all zeros"]),
    ("relative_l2-nan", lambda: st.relative_l2(torch.ones(4), torch.tensor([1.0, NAN, 1.0, 1.0])),
     ["reference", "NaN"]),
    ("relative_l2-empty", lambda: st.relative_l2(torch.ones(0), torch.ones(0)), ["reference", "empty"]),
    ("relative_l2-shape", lambda: st.relative_l2(torch.ones(4), torch.ones(5)), ["prediction", "4", "5"]),
    ("mean_relative_l2-zero-sample", lambda: st.mean_relative_l2(torch.ones(2, 3),
                                                               torch.tensor([[1.0] * 3, [0.0] * 3])),
     ["reference", "all zeros", "sample 1"]),
    ("collocation-negative", lambda: st.collocation_points(-1), ["n_points", "-1", ">= 1"]),
    ("collocation-zero", lambda: st.collocation_points(0), ["n_points", "0", ">= 1"]),
    ("collocation-float", lambda: st.collocation_points(2.5), ["n_points", "2.5", "integer"]),
    ("collocation-dims", lambda: st.collocation_points(4, 0), ["dims", "0", ">= 1"]),
    ("exercise-id-list", lambda: exercises.check(["01.1"], 2048), ["exercise_id", "['01.1']", "01.2"]),
    ("exercise-answer-array", lambda: exercises.check("02.2", np.array([6e-8, 1.0])),
     ["answer", "02.2", "one number", "(2,)"]),
    ("exercise-answer-tensor", lambda: exercises.check("01.1", torch.tensor([2048, 1])),
     ["answer", "01.1", "one number", "(2,)", ".item()"]),
]


@pytest.mark.parametrize("name, call, words", INPUT_CASES, ids=[c[0] for c in INPUT_CASES])
def test_input_refused_with_the_fix(name, call, words):
    with pytest.raises(ValueError) as info:
        call()
    _check_message(info.value, words)


def test_relative_l2_exact_and_nan_prediction_is_nan():
    assert st.relative_l2(torch.tensor([3.0, 4.0]), torch.tensor([0.0, 4.0])) == 3.0 / 4.0
    assert math.isnan(st.relative_l2(torch.tensor([NAN, 4.0]), torch.tensor([3.0, 4.0])))


def test_ulp_of_non_finite_values_answers_as_math_ulp():
    for fmt in ["float32", "float16", "bfloat16"]:
        assert math.isnan(st.ulp(NAN, fmt)) and math.isnan(math.ulp(NAN))
        assert st.ulp(INF, fmt) == st.ulp(-INF, fmt) == math.ulp(INF) == INF
    assert st.ulp(1e6, "float16") == INF                  # beyond 65504: stored as inf
    assert st.ulp(65504.0, "float16") == 32.0 and st.ulp(1.0, "float16") == 2.0**-10


def test_exercise_one_element_tensor_counts_as_its_number(capsys):
    subnormal = st.format_facts("float16")["smallest_subnormal"]
    assert exercises.check("01.1", torch.tensor(2048)) and exercises.check("02.2", np.array([subnormal]))
    assert not exercises.check("02.2", torch.tensor(1.0))
    assert "Hint" in capsys.readouterr().out


# ---------------------------------------------------------------- API: your own training loop
X = torch.linspace(-1, 1, 32)[:, None]                                   # (32, 1)


def _mse(model):
    return model(X).square().mean()


def _under_no_grad(model):
    with torch.no_grad():
        return model(X).mean()


class _OnlyOnStep:
    """A callback with one hook of three (the others are optional)."""

    def __init__(self):
        self.steps = 0

    def on_step(self, history):
        self.steps += 1


class _HookNotCallable:
    on_step = 3


def _step(loss_fn, model=None):
    return st.TrainStep(model if model is not None else st.MLP([1, 4, 1]), loss_fn)()


def _train(**kwargs):
    return st.train(st.MLP([1, 4, 1]), _mse, st.TrainConfig(steps=2, error_every=1), **kwargs)


LOOP_CASES = [
    ("loss-not-reduced", lambda: _step(lambda m: m(X)), ["loss_fn", "scalar", "(32, 1)", ".mean()"]),
    ("loss-python-float", lambda: _step(lambda m: 1.0), ["loss_fn", "torch.Tensor", "float"]),
    ("loss-detached", lambda: _step(lambda m: m(X).mean().detach()),
     ["loss_fn", "requires_grad=False", ".detach()"]),
    ("loss-under-no_grad", lambda: _step(_under_no_grad), ["loss_fn", "no graph", "torch.no_grad()"]),
    ("model-no-parameters", lambda: _step(lambda m: X.mean(), torch.nn.Identity()),
     ["model", "Identity", "no parameters"]),
    ("train-model-no-parameters", lambda: st.train(torch.nn.Identity(), _mse),
     ["model", "Identity", "no parameters"]),
    ("error_fn-tuple", lambda: _train(error_fn=lambda m: (0.1, 0.2)),
     ["error_fn", "one number", "tuple", "(0.1, 0.2)"]),
    ("error_fn-tensor", lambda: _train(error_fn=lambda m: torch.ones(3)),
     ["error_fn", "one number", "(3,)"]),
    ("callback-no-hooks", lambda: _train(callbacks=[object()]),
     ["callbacks[0]", "on_train_start", "on_step", "on_train_end", "optional"]),
    ("callback-function", lambda: _train(callbacks=[lambda history: None]),
     ["callbacks[0]", "function", "on_step"]),
    ("callback-hook-not-callable", lambda: _train(callbacks=[_HookNotCallable()]),
     ["callbacks[0].on_step", "int"]),
    ("callbacks-not-a-list", lambda: _train(callbacks=_OnlyOnStep()), ["callbacks", "list", "_OnlyOnStep"]),
]


@pytest.mark.parametrize("name, call, words", LOOP_CASES, ids=[c[0] for c in LOOP_CASES])
def test_custom_loop_mistake_named(name, call, words):
    with pytest.raises(ValueError) as info:
        call()
    _check_message(info.value, words)


def test_callback_with_some_hooks_runs_and_one_element_loss_still_trains():
    callback = _OnlyOnStep()
    assert _train(callbacks=[callback]).status == "ok" and callback.steps == 2
    assert _step(lambda m: m(X).mean().reshape(1)).shape == (1,)   # (1,) backpropagates as before


def test_loss_check_reads_no_value(monkeypatch):
    """The check in TrainStep's timed call looks at metadata only: reading a value would be a
    host sync on a GPU."""
    loss = _mse(st.MLP([1, 4, 1]))
    for name in ["item", "__bool__", "__float__", "tolist"]:
        monkeypatch.setattr(torch.Tensor, name, lambda *a: pytest.fail("a value was read"))
    training._check_loss(loss)


# ---------------------------------------------------------------- API: edge cases, every strategy alike
STRATEGY_NAMES = list(st.STRATEGIES)


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
@pytest.mark.parametrize("M, N", [(0, 4), (3, 0), (0, 0)])
def test_empty_functions_or_points_give_empty_fields(strategy, M, N):
    fields = st.get_strategy(strategy).fields(_deeponet(), torch.zeros(M, 5), torch.rand(N, 2),
                                              [(1, 0), (2, 0), (0, 1)])
    assert set(fields) == {(0, 0), (1, 0), (2, 0), (0, 1)}
    assert all(f.shape == (M, N) and f.dtype == torch.float32 for f in fields.values())


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
def test_identically_zero_derivative_is_zeros(strategy):
    model, v, x = _deeponet("relu"), torch.randn(2, 5), torch.rand(3, 2)
    fields = st.get_strategy(strategy).fields(model, v, x, [(2, 0), (1, 1), (3, 1)])
    for r in [(2, 0), (1, 1), (3, 1)]:
        assert torch.equal(fields[r], torch.zeros(2, 3)), (strategy, r)
    u = st.get_strategy("zcs").combination(model, v, x, {(2, 0): 1.0, (0, 2): 2.0})
    assert torch.equal(u, torch.zeros(2, 3))


# (argument, entry made non-finite, value): one inf entry in a branch row saturates tanh, so the
# reverse-mode strategies returned finite fields where forward mode returned NaN
NON_FINITE = [("branch_input", (0, 0), INF), ("branch_input", (1, 2), NAN),
              ("points", (0, 0), INF), ("points", (2, 1), -INF)]


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
@pytest.mark.parametrize("name, entry, value", NON_FINITE, ids=lambda c: str(c))
def test_non_finite_inputs_refused_by_every_strategy(strategy, name, entry, value):
    inputs = {"branch_input": torch.randn(2, 5), "points": torch.rand(3, 2)}
    inputs[name][entry] = value
    for call in [lambda: st.get_strategy(strategy).fields(_deeponet(), *inputs.values(), [(1, 0)]),
                 lambda: st.get_strategy(strategy).combination(_deeponet(), *inputs.values(),
                                                               {(2, 0): 1.0})]:
        with pytest.raises(ValueError) as info:
            call()
        _check_message(info.value, [name, "inf/NaN", f"rows [{entry[0]}]"])


@pytest.mark.parametrize("precision", ["full", "mixed", "half"])
@pytest.mark.parametrize("modes, grid", [((4,), (16,)), ((2, 2), (8, 8))])
def test_fno_batch_of_zero_is_an_empty_batch(precision, modes, grid):
    out = _fno(precision, modes)(torch.zeros(0, 1, *grid))
    assert out.shape == (0, 1, *grid) and out.dtype == torch.float32


# ---------------------------------------------------------------- API: divergence by name
def _scripted_loss(values):
    """A loss whose value follows ``values`` step by step (with a zero-gradient path to the model)."""
    x, it = torch.linspace(-1, 1, 8)[:, None], iter(values)

    def loss(model):
        return (model(x) * 0).sum() + next(it)
    return loss


def test_finite_explosion_is_diverged_with_step_and_reason():
    values = [1e-3] * 15 + [1e-3 * 10**k for k in range(1, 13)]          # up to 1e9, all finite
    history = st.train(st.MLP([1, 4, 1]), _scripted_loss(values), st.TrainConfig(steps=len(values)))
    assert history.status == "diverged" and history.ended_step == 18      # 10 > 1e3 * 1e-3
    assert "grew" in history.reason and "step 18" in history.reason and "1000 times" in history.reason


def test_early_growth_before_diverge_after_is_not_divergence():
    values = [1e-3, 1e-3, 10.0, 20.0] + [1.0] * 20                        # a transient at steps 2-3
    history = st.train(st.MLP([1, 4, 1]), _scripted_loss(values), st.TrainConfig(steps=len(values)))
    assert history.status == "ok" and history.ended_step is None


def test_nan_in_the_inputs_is_named():
    x = torch.tensor([[0.0], [NAN]])
    history = st.train(st.MLP([1, 4, 1]), lambda m: m(x).square().mean(), st.TrainConfig(steps=5))
    assert history.status == "diverged" and "step 0" in history.reason and "inputs" in history.reason


# ---------------------------------------------------------------- environment variables
QUICK_VALUES = [("1", True), ("0", False), ("true", True), ("FALSE", False), ("Yes", True),
                ("no", False), ("ON", True), ("off", False), ("", False), (" 1 ", True), (None, False)]


@pytest.mark.parametrize("text, quick", QUICK_VALUES, ids=[repr(t) for t, _ in QUICK_VALUES])
def test_quick_accepts_yes_no_words(monkeypatch, text, quick):
    if text is None:
        monkeypatch.delenv("SCIML_TEACH_QUICK", raising=False)
    else:
        monkeypatch.setenv("SCIML_TEACH_QUICK", text)
    assert st.is_quick() is quick and st.pick("q", "f") == ("q" if quick else "f")


@pytest.mark.parametrize("text", ["2", "y", "n", "quick", "-1"])
def test_quick_refuses_anything_else(monkeypatch, text):
    monkeypatch.setenv("SCIML_TEACH_QUICK", text)
    with pytest.raises(ValueError) as info:
        st.is_quick()
    _check_message(info.value, ["SCIML_TEACH_QUICK", repr(text), "1 or 0"])


@pytest.mark.parametrize("text", ["abc", "0", "-2", "1.5"])
def test_threads_variable_refused_by_name(monkeypatch, text):
    monkeypatch.setenv("SCIML_TEACH_THREADS", text)
    with pytest.raises(ValueError) as info:
        choose_threads()
    _check_message(info.value, ["SCIML_TEACH_THREADS", repr(text), ">= 1"])


def test_cache_under_a_file_is_named(monkeypatch, tmp_path):
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("SCIML_TEACH_CACHE", str(tmp_path / "file" / "cache"))
    with pytest.raises(ValueError) as info:
        st.cache_dir()
    _check_message(info.value, ["SCIML_TEACH_CACHE", "file/cache", "writable folder"])


# ---------------------------------------------------------------- the data cache
class _Maker:
    """A data set generator that counts its calls."""

    def __init__(self, value=1.0):
        self.calls, self.value = 0, value

    def __call__(self):
        self.calls += 1
        return {"a": torch.full((4, 3), self.value), "b": torch.arange(5)}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIML_TEACH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 3, len(data) // 3 + 64):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _change_params(path: Path) -> None:
    doc = torch.load(path, weights_only=True)
    torch.save({**doc, "params": doc["params"].replace('"n": 3', '"n": 4')}, path)


def _change_data(path: Path) -> None:
    doc = torch.load(path, weights_only=True)
    torch.save({**doc, "data": {**doc["data"], "a": doc["data"]["a"] + 1}}, path)


def _garbage(path: Path) -> None:
    path.write_bytes(b"not a torch file at all")


@pytest.mark.parametrize("damage", [_flip, _truncate, _change_params, _change_data, _garbage],
                         ids=lambda f: f.__name__.strip("_"))
def test_damaged_cache_file_is_named_deleted_and_regenerated(cache, damage):
    make = _Maker()
    first = data_cache.cached("toy", {"n": 3}, make)
    path = data_cache.cache_path("toy", {"n": 3})
    damage(path)
    with pytest.warns(UserWarning) as caught:
        again = data_cache.cached("toy", {"n": 3}, make)
    assert make.calls == 2 and str(path) in str(caught[0].message)
    assert all(torch.equal(first[k], again[k]) for k in first)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                       # now sound: loads without a word
        assert torch.equal(data_cache.cached("toy", {"n": 3}, make)["a"], first["a"])
    assert make.calls == 2


def test_cache_file_is_loaded_weights_only_and_stores_params_and_checksum(cache):
    data = data_cache.cached("toy", {"n": 3}, _Maker())
    doc = torch.load(data_cache.cache_path("toy", {"n": 3}), weights_only=True)
    assert doc["params"] == '{"n": 3, "name": "toy"}' and doc["checksum"] == data_cache.checksum(data)


def _write_slowly(folder: str, value: float) -> None:
    os.environ["SCIML_TEACH_CACHE"] = folder

    def make():
        time.sleep(0.3)  # both processes are inside make() at once, then both write
        return {"a": torch.full((64, 64), value)}
    data_cache.cached("shared", {"n": 1}, make)


def test_two_processes_writing_the_same_data_set_both_leave_a_valid_file(cache):
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_write_slowly, args=(str(cache), 2.0)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = data_cache.cached("shared", {"n": 1}, lambda: pytest.fail("should be cached"))
    assert torch.equal(data["a"], torch.full((64, 64), 2.0))
    assert not list(cache.glob("*.tmp")) and not list(cache.glob(".*.tmp"))


def test_stale_temp_files_are_removed_fresh_ones_kept(cache):
    cache.mkdir(parents=True)
    stale, fresh, old_style = cache / ".toy-abc.tmp", cache / ".toy-def.tmp", cache / "toy-1.tmp123"
    for p in (stale, fresh, old_style):
        p.write_bytes(b"half a file")
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    os.utime(old_style, (two_hours_ago, two_hours_ago))
    data_cache.cached("toy", {"n": 3}, _Maker())
    assert not stale.exists() and not old_style.exists() and fresh.exists()


def test_unwritable_cache_computes_in_memory_with_a_warning(cache, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(data_cache.tempfile, "mkstemp", refuse)
    make = _Maker()
    with pytest.warns(UserWarning, match="SCIML_TEACH_CACHE.*computed in memory"):
        data = data_cache.cached("toy", {"n": 3}, make)
    assert make.calls == 1 and torch.equal(data["a"], torch.ones(4, 3))
    assert not list(cache.iterdir())


def test_cache_under_a_file_computes_in_memory_naming_the_variable(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("SCIML_TEACH_CACHE", str(tmp_path / "file"))
    with pytest.warns(UserWarning, match="SCIML_TEACH_CACHE"):
        data = data_cache.cached("toy", {"n": 3}, _Maker())
    assert data["b"].tolist() == [0, 1, 2, 3, 4]


# ---------------------------------------------------------------- the benchmark command line
CLI_ERRORS = [
    (["precision", "--steps", "0"], "--steps"),
    (["precision", "--steps", "-5"], "--steps"),
    (["precision", "--steps", "1e3"], "--steps"),
    (["precision", "--steps", "99999999999"], "--steps"),
    (["precision", "--policies", ""], "--policies"),
    (["precision", "--policies", " , "], "--policies"),
    (["precision", "--policies", "fp32,fp99"], "'fp99'"),
    (["precision", "--width", "0"], "--width"),
    (["precision", "--depth", "-1"], "--depth"),
    (["precision", "--collocation", "0"], "--collocation"),
    (["precision", "--diagnose-every", "0"], "--diagnose-every"),
    (["precision", "--problem", "heat"], "--problem"),
    (["fno", "--stress-scale", "nan"], "--stress-scale"),
    (["fno", "--stress-scale", "inf"], "--stress-scale"),
    (["fno", "--stress-scale", "0"], "--stress-scale"),
    (["fno", "--stress-scale", "-1e3"], "--stress-scale"),
    (["fno", "--stress-scale", "1e999"], "--stress-scale"),
    (["fno", "--steps", "0"], "--steps"),
    (["fno", "--resolution", "0"], "--resolution"),
    (["fno", "--samples", "0,10"], "--samples"),
    (["fno", "--quick", "--resolution", "8"], "resolution 8 is too coarse"),
    (["fno", "--samples", "10"], "--samples"),
    (["zcs", "--memory-budget", "1e999"], "--memory-budget"),
    (["zcs", "--memory-budget", "0"], "--memory-budget"),
    (["zcs", "--memory-budget", "-1GiB"], "--memory-budget"),
    (["zcs", "--memory-budget", "nan"], "--memory-budget"),
    (["zcs", "--memory-budget", "4 parsecs"], "--memory-budget"),
    (["zcs", "--threads", "0"], "--threads"),
    (["zcs", "--threads", "100000"], "--threads"),
    (["zcs", "--strategies", ""], "--strategies"),
    (["zcs", "--strategies", "zcs,magic"], "'magic'"),
    (["zcs", "--problems", ","], "--problems"),
    (["zcs", "--policy", "fp99"], "--policy"),
    (["zcs", "--width", "0"], "--width"),
    (["nosuch"], "nosuch"),
    (["precision", "--device", "tpu"], "device"),
    (["precision", "--json", "{missing}/rows.json"], "does not exist"),
    (["precision", "--json", "{tmp}"], "is a folder"),
]


def _cli(args, env_extra=None, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "sciml_teach.bench", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


# One subprocess runs every argument list through the CLI's entry point (``main(argv)``, what
# ``python -m sciml_teach.bench`` calls), each with its own stderr: a process per case would spend
# most of the suite's time importing torch 38 times. Three cases below also run as real commands.
_DRIVER = r"""
import contextlib, io, json, sys, traceback
from sciml_teach.bench.__main__ import main
results = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exit_:
            code = exit_.code
        except BaseException:
            traceback.print_exc(file=err)
            code = "raised"
    results.append([code, err.getvalue()])
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def cli_errors(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    argvs = [[a.format(missing=tmp / "missing", tmp=tmp) for a in args] for args, _ in CLI_ERRORS]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-c", _DRIVER, json.dumps(argvs)], capture_output=True,
                            text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    return dict(zip(map(tuple, argvs), json.loads(result.stdout.strip().splitlines()[-1]))), tmp


@pytest.mark.parametrize("args, words", CLI_ERRORS, ids=[" ".join(a) for a, _ in CLI_ERRORS])
def test_cli_mistake_is_one_line_and_exit_2(cli_errors, args, words):
    results, tmp = cli_errors
    code, stderr = results[tuple(a.format(missing=tmp / "missing", tmp=tmp) for a in args)]
    lines = stderr.strip().splitlines()
    assert code == 2 and len(lines) == 1, stderr
    assert "Traceback" not in stderr and words in lines[0], lines
    assert "error" in lines[0]


@pytest.mark.parametrize("args, words", [(["nosuch"], "nosuch"), (["precision", "--steps", "0"], "--steps"),
                                         (["zcs", "--memory-budget", "1e999"], "--memory-budget")])
def test_cli_mistake_as_a_real_command(args, words):
    result = _cli(args)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and words in lines[0], result.stderr


def test_cli_bad_quick_variable_is_one_line():
    result = _cli(["precision", "--steps", "2"], {"SCIML_TEACH_QUICK": "2"})
    assert result.returncode == 2 and "SCIML_TEACH_QUICK" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only folder")
def test_cli_unwritable_json_folder_refused_before_work(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    result = _cli(["precision", "--json", str(folder / "rows.json")])
    assert result.returncode == 2 and "cannot be written" in result.stderr


def test_unwritable_json_path_refused_before_any_row(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # as a read-only folder (even as root)
    monkeypatch.setattr(pinn_runs, "train_pinn", lambda *a, **k: pytest.fail("work started"))
    code = bench_main.main(["precision", "--quick", "--json", str(tmp_path / "rows.json")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "cannot be written" in err[0]


def test_cli_quick_run_writes_valid_json(tmp_path):
    path = tmp_path / "rows.json"
    result = _cli(["precision", "--quick", "--steps", "2", "--policies", "fp32", "--width", "4",
                   "--collocation", "8", "--json", str(path)])
    assert result.returncode == 0, result.stderr
    doc = json.loads(path.read_text())
    assert doc["benchmark"] == "precision" and [r["policy"] for r in doc["rows"]] == ["fp32"]
    assert not list(tmp_path.glob(".*.tmp"))


def _raise_on_second_run(monkeypatch, error):
    real, calls = pinn_runs.train_pinn, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise error
        return real(*args, **kwargs)
    monkeypatch.setattr(pinn_runs, "train_pinn", flaky)


def test_benchmark_failing_half_way_leaves_the_finished_rows(tmp_path, monkeypatch, capsys):
    _raise_on_second_run(monkeypatch, RuntimeError("a bug in row 2"))
    path = tmp_path / "rows.json"
    with pytest.raises(RuntimeError, match="row 2"):
        bench_main.main(["precision", "--quick", "--steps", "2", "--policies", "fp32,bf16",
                         "--width", "4", "--collocation", "8", "--json", str(path)])
    doc = json.loads(path.read_text())
    assert [r["policy"] for r in doc["rows"]] == ["fp32"] and doc["rows"][0]["steps"] == 2
    assert "stopped after 1 rows" in capsys.readouterr().err


def test_library_value_error_mid_run_is_one_line_exit_2_rows_kept(tmp_path, monkeypatch, capsys):
    _raise_on_second_run(monkeypatch, ValueError("TrainConfig.lr must be a finite number > 0"))
    path = tmp_path / "rows.json"
    code = bench_main.main(["precision", "--quick", "--steps", "2", "--policies", "fp32,bf16",
                            "--width", "4", "--collocation", "8", "--json", str(path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "TrainConfig.lr" in err[0] and str(path) in err[0]
    assert [r["policy"] for r in json.loads(path.read_text())["rows"]] == ["fp32"]


# ---------------------------------------------------------------- panels
def _row(status="over_budget", strategy="zcs", M=3, N=20):
    return {"problem": "reaction_diffusion", "order": 2, "n_functions": M, "n_points": N,
            "strategy": strategy, "policy": "fp32", "status": status, "step_time_s": None,
            "memory_bytes": None, "predicted_bytes": 10**12, "max_rel_diff": None}


PANEL_ERRORS = [
    ("strategy-n_functions", lambda: st.StrategyPanel(_row, ["zcs"], n_functions=500),
     ["n_functions", "500", "<= 200"]),
    ("strategy-n_points", lambda: st.StrategyPanel(_row, ["zcs"], n_points=5), ["n_points", "5", ">= 10"]),
    ("strategy-max_points", lambda: st.StrategyPanel(_row, ["zcs"], max_points=0), ["max_points", "0"]),
    ("strategy-none", lambda: st.StrategyPanel(_row, []), ["strategies"]),
    ("precision-policy", lambda: st.PrecisionPanel(None, st.TrainConfig(policy="bf16"), policies=["fp32"]),
     ["config.policy", "'bf16'", "['fp32']"]),
    ("precision-eps", lambda: st.PrecisionPanel(None, st.TrainConfig(adam_eps=1e-3)),
     ["config.adam_eps", "0.001", "eps_choices"]),
    ("precision-max_steps", lambda: st.PrecisionPanel(None, st.TrainConfig(), max_steps=0),
     ["max_steps", "0"]),
    ("precision-config", lambda: st.PrecisionPanel(None, {"steps": 10}), ["config", "TrainConfig", "dict"]),
    ("format-value", lambda: st.FormatExplorer(0.1), ["value", "0.1", "text"]),
    ("combination-none", lambda: st.CombinationPanel(None, [], ["fp32"]), ["strategies"]),
]


@pytest.mark.parametrize("name, build, words", PANEL_ERRORS, ids=[c[0] for c in PANEL_ERRORS])
def test_panel_refuses_bad_initial_values(name, build, words):
    with pytest.raises(ValueError) as info:
        build()
    _check_message(info.value, words)


@pytest.mark.parametrize("status", ["over_budget", "oom"])
def test_panel_with_only_skipped_rows_shows_message_and_table(status):
    panel = st.StrategyPanel(lambda s, M, N: _row(status, s, M, N), ["zcs"], n_functions=3, n_points=20)
    assert panel.on_run() is not None and panel.on_run() is not None
    assert "Error" not in panel.result.value and "<pre>" in panel.result.value
    assert status in panel.result.value and panel.image.value[:4] == b"\x89PNG"
    for fig in (st.strategy_bars(panel.rows), st.sweep_curves([_row("oom")])):
        assert not fig.axes and "nothing to draw" in fig.texts[0].get_text()  # a message, no axes


@pytest.mark.parametrize("bad_row, words", [({"strategy": "zcs"}, "lacks n_functions"),
                                            (_row("exploded"), "status &#x27;exploded"),
                                            ({**_row("ok"), "step_time_s": None}, "step_time_s")])
def test_panel_names_a_bad_row_from_its_run(bad_row, words):
    panel = st.StrategyPanel(lambda s, M, N: bad_row, ["zcs"], n_functions=3, n_points=20)
    assert panel.on_run() is None and words in panel.result.value and panel.rows == []


def test_precision_panel_names_a_run_that_returns_no_history():
    panel = st.PrecisionPanel(lambda config, callbacks: None, st.TrainConfig(steps=10))
    assert panel.on_train() is None and "must return a History" in panel.result.value
