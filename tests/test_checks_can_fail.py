"""Every key check of the course can fail: run the lesson's own check cell -- its source, read from
the notebook -- on a deliberately broken variant, and expect it to raise the AssertionError that
names the phenomenon.

A check that stays green when the thing it is about is broken (the GradScaler disabled, ZCS
swapped for DataVect, the stabiliser removed, the scaler never growing, AMP never applied) checks
nothing. nbval runs the same cells on the real thing and expects them to pass; together the two
show that each check tells one from the other. Broken variants are injected by name: a cell sees
an ``st`` whose one function is replaced, or inputs computed from a broken run.
"""
import dataclasses
import json
import statistics
import types
from pathlib import Path

import pytest
import torch

import sciml_teach as st

ROOT = Path(__file__).resolve().parent.parent


def cell(lesson: str, needle: str) -> str:
    """The source of the one code cell of notebooks/<lesson>*.ipynb that contains ``needle``."""
    path = next((ROOT / "notebooks").glob(f"{lesson}_*.ipynb"))
    sources = ["".join(c["source"]) for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    hits = [s for s in sources if needle in s]
    assert len(hits) == 1, f"{path.name}: {len(hits)} code cells contain {needle!r}"
    return hits[0]


def run_cell(source: str, **names) -> dict:
    """Execute a lesson cell with ``names`` as its globals (``st``, ``torch``, ``statistics`` by default)."""
    namespace = {"st": st, "torch": torch, "statistics": statistics, **names}
    exec(compile(source, "<lesson cell>", "exec"), namespace)
    return namespace


def st_with(**replaced) -> types.SimpleNamespace:
    """``st`` with some functions replaced: the broken variant a cell is run against."""
    return types.SimpleNamespace(**{**{name: getattr(st, name) for name in dir(st) if not name.startswith("__")},
                                    **replaced})


def fails(source: str, message: str, **names) -> None:
    """The cell raises the AssertionError whose message contains ``message``."""
    with pytest.raises(AssertionError, match=message):
        run_cell(source, **names)


class NoPlot:
    def track(self, label):
        return st.Callback()


# --- Lesson 02: pure float16 fails ------------------------------------------------------------

def fp32_instead_of(policy_to_drop: str):
    """``train_pinn`` that trains float32 whatever the config asks: the cast to float16 'forgotten'."""
    def train_pinn(problem, config, *args, **kwargs):
        if st.get_policy(config.policy).name == policy_to_drop:
            config = st.TrainConfig(**{**config.__dict__, "policy": "fp32", "adam_eps": 1e-8})
        return st.train_pinn(problem, config, *args, **kwargs)
    return train_pinn


@pytest.fixture(scope="module")
def burgers_fp32():
    burgers = st.BurgersPINN()
    torch.manual_seed(0)
    return burgers, st.train_pinn(burgers, st.TrainConfig(steps=60, error_every=30))


def test_float16_divergence_check_fails_when_the_run_is_float32(burgers_fp32):
    burgers, fp32 = burgers_fp32
    fails(cell("02", 'policy="fp16", adam_eps=1e-8'), "pure float16 should fail",
          st=st_with(train_pinn=fp32_instead_of("fp16")), burgers=burgers, steps=60, plot=NoPlot(), fp32=fp32)


def test_lost_update_check_fails_when_updates_are_kept(burgers_fp32):
    burgers, fp32 = burgers_fp32
    fails(cell("02", "frozen16 = sum(fp16_eps.frozen_fraction[1:])"), "float16 should already lose updates",
          st=st_with(train_pinn=fp32_instead_of("fp16"), lesson_steps=lambda *a: 20), burgers=burgers,
          plot=NoPlot(), fp32=fp32)


def test_eps_underflow_check_fails_when_gradients_are_large():
    # Adam's first second moment underflows float16 because the gradients are small; the same
    # histogram of a loss 1e4 times larger must not pass the check.
    burgers = st.BurgersPINN()
    big = types.SimpleNamespace(make_model=burgers.make_model, loss=lambda m: 1e4 * burgers.loss(m))
    fails(cell("02", "v_lost = st.range_fractions(v_first"), "second moments should underflow", burgers=big)


def test_stall_check_fails_when_float16_is_float32():
    fails(cell("02", "runs = {name: st.train_pinn(poisson"), "at least 3x worse",
          st=st_with(train_pinn=fp32_instead_of("fp16"), lesson_steps=lambda *a: 300))


# --- Lesson 03: AMP recovers float32; loss scaling; the scale's trace; memory ----------------

def seed_runs_for(policies: dict, loss_weight: float = 1.0, steps: int = 300) -> dict:
    configs = {label: st.TrainConfig(steps=steps, policy=policy, error_every=steps, **extra)
               for label, (policy, extra) in policies.items()}
    return st.train_pinn_seeds(st.Poisson1D(), configs, [0, 1, 2], loss_weight)


def test_amp_recovery_check_fails_without_the_scaler():
    # AMP float16 on a loss in small units, its GradScaler switched off: gradients flush to zero.
    broken = seed_runs_for({"fp32": ("fp32", {}), "amp-fp16": ("amp-fp16", {"loss_scaling": False}),
                            "amp-bf16": ("amp-bf16", {}), "bf16": ("bf16", {})}, loss_weight=1e-5, steps=400)
    fails(cell("03", 'assert med["amp-fp16"] <= 1.5 * med["fp32"]'), "AMP float16 should",
          seed_runs=broken)


def test_loss_scaling_check_fails_when_the_scaler_is_always_on():
    def scaler_always_on(problem, configs, seeds, loss_weight=1.0, callbacks_for=None):
        configs = {k: st.TrainConfig(**{**c.__dict__, "loss_scaling": None if c.loss_scaling is False else c.loss_scaling})
                   for k, c in configs.items()}
        return st.train_pinn_seeds(problem, configs, seeds, loss_weight, callbacks_for)
    fails(cell("03", 'small_runs = st.train_pinn_seeds('), "without loss scaling float16 AMP",
          st=st_with(train_pinn_seeds=scaler_always_on),
          poisson=st.Poisson1D(), weight=1e-5, seeds=[0, 1, 2])


def test_bf16_needs_no_scaler_check_fails_when_bf16_is_fp16():
    def fp16_for_bf16(problem, configs, seeds, loss_weight=1.0, callbacks_for=None):
        configs = {k: st.TrainConfig(**{**c.__dict__, "policy": "amp-fp16", "loss_scaling": False})
                   if c.policy == "amp-bf16" else c for k, c in configs.items()}
        return st.train_pinn_seeds(problem, configs, seeds, loss_weight, callbacks_for)
    fails(cell("03", 'small_runs = st.train_pinn_seeds('), "bfloat16's range makes scaling unnecessary",
          st=st_with(train_pinn_seeds=fp16_for_bf16),
          poisson=st.Poisson1D(), weight=1e-5, seeds=[0, 1, 2])


@pytest.mark.parametrize("broken, message", [
    ({"growth_interval": 10**9}, "the scale should double again"),        # the scaler never grows
    ({"init_scale": 1.0}, "overflowing steps should be skipped"),         # never overflows, never backs off
], ids=["never-grows", "never-backs-off"])
def test_scale_trace_check_fails_when_the_scaler_does_not_move(broken, message):
    def trace(problem, steps, **kwargs):
        return st.scale_trace(problem, steps, **{**kwargs, **broken})
    fails(cell("03", "traces = {"), message, st=st_with(scale_trace=trace, lesson_steps=lambda *a: 200),
          poisson=st.Poisson1D(), weight=1e-5)


def test_amp_memory_check_fails_without_autocast():
    poisson = st.Poisson1D()
    runs = {name: st.train_pinn(poisson, st.TrainConfig(steps=1, policy="fp32" if name == "amp-fp16" else name))
            for name in ["fp32", "amp-fp16", "amp-bf16", "bf16"]}
    fails(cell("03", "memory = {name: h.memory_bytes[-1]"), "AMP should store at most 0.6x", runs=runs)


def test_clipping_check_fails_when_clipping_comes_first():
    def clip_first(problem, **kwargs):
        norms = st.clipping_norms(problem, **kwargs)
        return {**norms, "unscale, then clip": norms["clip, then unscale"]}
    fails(cell("03", "norms = st.clipping_norms("), "the step is clipped to max_norm",
          st=st_with(clipping_norms=clip_first), poisson=st.Poisson1D())


def test_checkpoint_check_fails_without_the_scaler_state():
    def forgetful(problem, **kwargs):
        runs = st.resume_runs(problem, **kwargs)
        return {**runs, "resumed with the scaler": runs["resumed without the scaler"]}
    fails(cell("03", "resumed = st.resume_runs("), "continues exactly",
          st=st_with(resume_runs=forgetful), poisson=st.Poisson1D())


# --- Lesson 05: ZCS ---------------------------------------------------------------------------

def test_zcs_graph_check_fails_when_zcs_is_datavect():
    source = "\n".join(cell("05", needle) for needle in [
        "tiny = st.DeepONet(", "def funcloop_u_xx", "def datavect_u_xx", "def zcs_u_xx", "def forward_u_xx"])
    names = run_cell(source)
    names["zcs_u_xx"] = names["datavect_u_xx"]                      # the broken variant
    with pytest.raises(AssertionError, match="its bytes barely grow with M"):
        run_cell(cell("05", 'builders = {"funcloop": funcloop_u_xx'), **names)


def test_zcs_memory_check_fails_when_zcs_is_datavect():
    M_values, budget = [2, 8, 64], 48 * 2**20
    cases = [st.SweepCase("reaction_diffusion", m, 300) for m in M_values]
    rows = st.strategy_sweep(cases, ["funcloop", "datavect", "forward"], width=32, repeats=1, budget=budget)
    rows += [{**r, "strategy": "zcs"} for r in rows if r["strategy"] == "datavect"]   # ZCS "is" DataVect
    assert any(r["status"] == "over_budget" for r in rows), "the test's sizes must leave the budget"
    fails(cell("05", "fits = [m for m in M_values"), "DataVect's memory grows with M",
          sweep_M=rows, sweep_N=[], M_values=M_values)


# --- Lesson 06: FNO ---------------------------------------------------------------------------

def test_mixed_spectral_memory_check_fails_when_mixed_is_full():
    def full_layer(*args, precision="full", **kwargs):
        return st.SpectralConv(*args, precision="full", **kwargs)
    names = run_cell(cell("06", "def plain_fourier_layer(v):"))
    fails(cell("06", "def spectral_bytes(precision):"), "keeps only the kept modes",
          st=st_with(SpectralConv=full_layer), v=names["v"])


def test_stabiliser_check_fails_without_tanh():
    def no_tanh(precision, stabilizer, amp=True, input_scale=1.0):
        return st.FNOSetting(precision, "none", amp, input_scale)
    data = st.fno_data("burgers")
    fails(cell("06", "stress = [st.run_fno_setting("), "tanh bounds what the FFT sums",
          st=st_with(FNOSetting=no_tanh), data=data, steps=5)


# --- Lesson 07: the savings multiply ----------------------------------------------------------

def test_savings_check_fails_when_amp_is_not_applied():
    rd = st.ReactionDiffusion()
    g = torch.Generator().manual_seed(0)
    v, x = rd.sample_branch(4, g), st.collocation_points(100, 2, g)
    config = st.DeepONetConfig(n_sensors=rd.n_sensors, coord_dims=2, width=32, n_features=32)
    amp = "amp-bf16"
    runs = {pair: st.train_combination(rd, pair, v, x, config, st.TrainConfig(steps=2))
            for pair in st.combination_list("datavect", amp)}
    runs["zcs", amp] = runs["zcs", "fp32"]                         # "ZCS + AMP" without the AMP
    mem = {pair: h.memory_bytes[-1] for pair, h in runs.items()}
    fails(cell("07", "saved = st.combined_savings(runs, baseline, amp)"), "save more memory than either alone",
          runs=runs, baseline="datavect", amp=amp, mem=mem, both=("zcs", amp))


def test_gradient_histogram_check_fails_when_scaling_does_nothing():
    def unscaled(values, name, scale=1.0):
        return st.range_fractions(values, name)                    # the scale "forgotten"
    fails(cell("03", "before, after = st.range_fractions("), "scaling by S lifts them",
          st=st_with(range_fractions=unscaled), poisson=st.Poisson1D(), weight=1e-5)


# --- Plain PyTorch first (issue 25): each lesson's own-torch technique, matched against the library,
# fails when the technique is broken. One section per lesson; each section below is its own.

# --- Lesson 01/02 plain torch -----------------------------------------------------------------

def lesson01_decode(broken: tuple[str, str] | None = None):
    """Lesson 01's ``bits`` and ``decode`` (only the function, not its check), optionally with one
    line of ``decode`` replaced: the broken variant."""
    names = run_cell(cell("01", "def bits(x, dtype)"))
    source = cell("01", "def decode(word, exponent_bits)").split("\nfor dtype")[0]
    if broken:
        assert broken[0] in source, f"lesson 01's decode no longer contains {broken[0]!r}"
        source = source.replace(*broken)
    return {**run_cell(source, math=names["math"]), "bits": names["bits"], "LAYOUT": names["LAYOUT"]}


WRONG_BIAS = ("bias = 2 ** (exponent_bits - 1) - 1", "bias = 2 ** (exponent_bits - 1)")
NO_SUBNORMALS = ("return sign * (F / 2**p) * 2.0 ** (1 - bias)", "return sign * (1 + F / 2**p) * 2.0 ** (0 - bias)")


def test_bit_decoding_check_fails_with_a_wrong_exponent_bias():
    source = cell("01", "def decode(word, exponent_bits)")
    fails(source.replace(*WRONG_BIAS), "should be", **{k: v for k, v in lesson01_decode().items()
                                                        if k in ("bits", "LAYOUT")})


@pytest.mark.parametrize("broken, message", [(WRONG_BIAS, "largest"),
                                             (NO_SUBNORMALS, "smallest subnormal")])
def test_derived_limits_check_fails_when_decoding_is_wrong(broken, message):
    names = lesson01_decode(broken)
    fails(cell("01", "derived from the bits agrees"), message, decode=names["decode"],
          LAYOUT=names["LAYOUT"])


def lesson02_remedies(broken: tuple[str, str] | None = None) -> dict:
    """Lesson 02's plain-torch Adam update, Kahan and stochastic-rounding adds and training loop,
    with one line of the adds replaced (the broken variant)."""
    adds = cell("02", "def kahan_add(p, delta, c, generator)")
    if broken:
        assert broken[0] in adds, f"lesson 02's adds no longer contain {broken[0]!r}"
        adds = adds.replace(*broken)
    names = run_cell(cell("02", "def adam_update("))
    names.update(run_cell(adds))
    loop = run_cell(cell("02", "def train_by_hand("), adam_update=names["adam_update"])
    return {"kahan_add": names["kahan_add"], "stochastic_add": names["stochastic_add"],
            "train_by_hand": loop["train_by_hand"]}


@pytest.mark.parametrize("broken, message", [
    (("y = delta + c.float()", "y = delta"), "plain-torch kahan update"),        # no compensation
    (("u < p_up", "u < 0"), "plain-torch stochastic update"),                    # always rounds down
])
def test_plain_torch_remedy_check_fails_on_a_broken_remedy(broken, message):
    fails(cell("02", "by hand vs st.train_pinn_remedies"), message, poisson=st.Poisson1D(),
          **lesson02_remedies(broken))


def test_gradient_drift_check_fails_when_the_half_gradient_is_float32():
    # The "float16" gradient computed in float32: no drift at all, so the check must fail.
    same = st.gradient_drift(st.Poisson1D(), steps=100, every=20, dtype="float32")
    fails(cell("02", "assert end > 0.3 and end > 30 * start"), "drift far from float32", same=same)


# --- Lesson 03 plain torch --------------------------------------------------------------------

def _swap_unscale_and_clip(source: str) -> str:
    lines = source.splitlines()
    u = next(i for i, line in enumerate(lines) if "scaler.unscale_(optimizer)" in line)
    c = next(i for i, line in enumerate(lines) if "clip_grad_norm_(" in line)
    assert c == u + 1, "lesson 03's step should clip right after unscale_"
    lines[u], lines[c] = lines[c], lines[u]
    return "\n".join(lines)


def _drop_line(needle: str):
    def edit(source: str) -> str:
        assert needle in source, f"lesson 03's step no longer contains {needle!r}"
        return "\n".join(line for line in source.splitlines() if needle not in line)
    return edit


def _replace(old: str, new: str):
    def edit(source: str) -> str:
        assert old in source, f"lesson 03's cell no longer contains {old!r}"
        return source.replace(old, new)
    return edit


def _keep(source: str) -> str:
    return source


@pytest.mark.parametrize("step_edit, run_edit", [
    (_swap_unscale_and_clip, _keep),                           # clips S x the gradient
    (_replace("scaler.update()", "scaler.update(65536.0)"), _keep),  # S frozen: every step overflows
    (_keep, _replace("enabled=dtype == torch.float16", "enabled=False")),  # no scaler for float16
    (_drop_line("optimizer.zero_grad(set_to_none=True)"), _keep),  # gradients pile up
    (_replace("dtype=dtype)", "dtype=torch.bfloat16)"), _keep),   # autocast in the wrong dtype
], ids=["clip-before-unscale", "scale-never-moves", "scaler-off-for-fp16", "no-zero-grad",
        "wrong-autocast-dtype"])
def test_plain_amp_step_match_fails_when_the_step_is_broken(step_edit, run_edit):
    """Lesson 03's own plain AMP step with one deliberate mistake no longer gives st.TrainStep's
    losses: the lesson's bit-for-bit match check says so."""
    source = "\n".join([step_edit(cell("03", "def amp_step(")), run_edit(cell("03", "def plain_run(")),
                        cell("03", "assert plain == library")])
    fails(source, "bit for bit")


def test_plain_amp_step_match_fails_when_the_library_step_differs():
    """A library step that clips before unscale_ is caught by the same check (the comparison
    runs both ways)."""
    class ClipsFirst(st.TrainStep):
        def __call__(self):
            self.optimizer.zero_grad(set_to_none=True)
            with self.policy.autocast_context(self.device):
                loss = self.loss_fn(self.model)
            self.scaler.scale(loss).backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.max_norm)
            self.scaler.unscale_(self.optimizer)
            self.scaler.step(self.optimizer)
            self.scaler.update()
            return loss.detach()
    source = "\n".join(cell("03", n) for n in ["def amp_step(", "def plain_run(", "assert plain == library"])
    fails(source, "bit for bit", st=st_with(TrainStep=ClipsFirst))


def test_descent_check_fails_when_L_comes_from_the_mixed_gradient():
    """The authors' secant uses float32 gradients; one built from the float16 AMP gradients (whose
    rounding noise dominates the small change between steps) is not theirs."""
    import dataclasses
    import math
    trace = st.descent_trace(st.Poisson1D(), 60)
    g, theta = trace.grad_mixed, trace.theta
    wrong = [math.nan] + [((g[i] - g[i - 1]).norm() / (theta[i] - theta[i - 1]).norm()).item()
                          if math.isfinite(trace.lipschitz[i]) else math.nan for i in range(1, len(g))]
    fails(cell("03", "secant = ((g[1:]"), "should be st.descent_trace's",
          descent=dataclasses.replace(trace, lipschitz=wrong))


def test_descent_check_fails_when_float16_gradients_flush_to_zero():
    """A loss in tiny units without the GradScaler: the AMP gradients are all zero, the weights
    never move, and there is no descent to speak of."""
    flushed = st.descent_trace(st.Poisson1D(), 40, loss_weight=1e-9, loss_scaling=False)
    assert all(ip == 0 for ip in flushed.inner), "the test's set-up should flush every gradient"
    fails(cell("03", "secant = ((g[1:]"), "should hold on most steps", descent=flushed)


def test_exercise_03_1_accepts_what_the_lesson_asserts_and_equivalent_forms(capsys):
    from sciml_teach import exercises
    for answer in [2.0, 1.995, 1 / 0.6, 0.5, 0.55, torch.tensor(1.9)]:   # factor or fraction kept
        assert exercises.check("03.1", answer), answer
    for answer in [1.5, 2.2, 0.7, "2"]:
        assert not exercises.check("03.1", answer), answer
    capsys.readouterr()

# --- Lesson 04 plain torch --------------------------------------------------------------------

def test_lesson04_grf_draw_fails_without_the_cholesky_factor():
    """A learner's slip: multiplying the noise by the covariance K itself, not its Cholesky factor,
    gives draws whose covariance is K @ K, not K."""
    linalg = types.SimpleNamespace(cholesky=lambda a: a)
    broken = types.SimpleNamespace(**{**{n: getattr(torch, n) for n in dir(torch) if not n.startswith("__")},
                                      "linalg": linalg})
    fails(cell("04", "v_plain = z @ L.T"), "kernel's covariance", torch=broken)


def test_lesson04_grf_draw_fails_when_the_library_draws_another_field():
    """A library whose field has another length scale (0.1) is not the one the lesson wrote."""
    def shorter(**kwargs):
        return st.ReactionDiffusion(length_scale=0.1, **kwargs)
    fails(cell("04", "v_plain = z @ L.T"), "library's draw", st=st_with(ReactionDiffusion=shorter))


def test_exercise_04_1_accepts_equivalent_forms_and_rejects_a_missing_term(capsys):
    import copy
    from sciml_teach import exercises
    rd = st.ReactionDiffusion()

    def residual(model, v, x, reaction=0.01):
        f = st.get_strategy("datavect").fields(model, v, x, rd.requests)
        return f[(0, 1)] - 0.01 * f[(2, 0)] + reaction * f[(0, 0)] ** 2 - rd.source(v, x)

    assert exercises.check("04.1", residual)
    assert exercises.check("04.1", lambda m, v, x: residual(m, v, x).detach().numpy())  # an array
    assert exercises.check("04.1", lambda m, v, x: residual(copy.deepcopy(m).float(), v.float(), x.float()))
    capsys.readouterr()
    assert not exercises.check("04.1", lambda m, v, x: residual(m, v, x, reaction=0.0))  # no u^2 term
    assert "(M, N)" in capsys.readouterr().out, "the hint states the expected form"


# --- Lesson 05 plain torch --------------------------------------------------------------------

class DroppedSecondDerivative(st.DerivativeStrategy):
    """ZCS's fields with every second-or-higher derivative dropped (u_xx = 0): the diffusion term lost."""
    name = "no-u_xx"

    def _fields(self, model, v, x, requests):
        fields = st.ZCS()._fields(model, v, x, requests)
        return {r: (f if sum(r) < 2 else 0 * f) for r, f in fields.items()}


class CutFromTheWeights(st.DerivativeStrategy):
    """ZCS's fields with the derivatives detached: the right values, but the loss's gradient no
    longer flows through them to the weights (create_graph forgotten)."""
    name = "detached"

    def _fields(self, model, v, x, requests):
        fields = st.ZCS()._fields(model, v, x, requests)
        return {r: (f if not any(r) else f.detach()) for r, f in fields.items()}


def test_plain_funcloop_check_fails_when_the_loop_mixes_functions():
    names = run_cell(cell("05", "tiny = st.DeepONet("))
    source = cell("05", "def funcloop_u_xx")
    assert "u[i].sum()" in source
    fails(source.replace("u[i].sum()", "u.sum()"), "the loop should give ZCS's u_xx", **names)


@pytest.mark.parametrize("needle, right, wrong, message", [
    ("def datavect_u_xx", "repeat_interleave(N, 0)", "repeat(N, 1, 1)", "DataVect by hand"),   # pairs misaligned
    ("def zcs_u_xx", "[0][0]     # scalar", "[0][1]     # scalar", "ZCS by hand"),                # z_t instead of z_x
    ("def forward_u_xx", "return jvp(u_x, (x,), (e_x,))[1]", "return u_x(x)", "forward mode by hand"),  # first derivative only
])
def test_plain_strategy_checks_fail_on_a_broken_strategy(needle, right, wrong, message):
    names = run_cell(cell("05", "tiny = st.DeepONet("))
    names.update(run_cell(cell("05", "def funcloop_u_xx"), **names))   # the library's u_xx
    source = cell("05", needle)
    assert source.count(right) == 1, right
    fails(source.replace(right, wrong), message, **names)


@pytest.mark.parametrize("broken", [DroppedSecondDerivative(), CutFromTheWeights()])
def test_trained_error_check_fails_on_a_subtly_wrong_strategy(broken):
    case = st.TrainedCase("reaction_diffusion", n_functions=4, n_points=100, steps=20, width=16)
    g = torch.Generator().manual_seed(0)
    model = st.DeepONet(st.DeepONetConfig(n_sensors=50, width=16, n_features=16)).double()
    v, x = st.ReactionDiffusion().sample_branch(3, g), st.collocation_points(20, 2, g)
    values = broken.fields(model, v, x, [(0, 1), (2, 0)])
    if isinstance(broken, CutFromTheWeights):   # a one-step value check cannot see this bug
        reference = st.get_strategy("forward").fields(model, v, x, [(0, 1), (2, 0)])
        assert all(torch.allclose(values[r], reference[r], rtol=1e-10, atol=0) for r in reference)
    trained = st.trained_accuracy(case, ["zcs", "funcloop", broken], policy="fp64")
    # cut from the weights, the residual's derivatives do not train at all ("should train")
    fails(cell("05", "for r in trained:"), "trained to a different error than ZCS|should train",
          trained=trained)


def test_order_sweep_check_fails_when_zcs_is_datavect():
    rows = st.order_sweep(range(1, 4), ["funcloop", "datavect", "forward"], n_functions=4,
                          n_points=100, width=16)
    rows += [{**r, "strategy": "zcs"} for r in rows if r["strategy"] == "datavect"]
    by = {(r["strategy"], r["order"]): r for r in rows if r["status"] == "ok"}
    fails(cell("05", "top = max(k for k in"), "ZCS should keep several times less",
          orders=rows, by=by)


# --- Lesson 05: Stokes flow (issue 27, helper H7) ---------------------------------------------

def _stokes_names():
    """The Stokes section's set-up cells run: per_field, stacked, zcs_stokes, stokes, net3, g, xy."""
    return run_cell("\n".join(cell("05", needle) for needle in [
        "def per_field(", "def zcs_stokes(", "stokes = st.StokesCavity()"]))


class _Skewed(st.StokesCavity):
    """A Stokes problem whose ``strategy`` (or every strategy) returns u_xx 0.1 % off: a subtly
    wrong second derivative."""

    def __init__(self, strategy=None):
        super().__init__()
        object.__setattr__(self, "_broken", strategy)

    def fields(self, model, strategy, branch, points):
        f = super().fields(model, strategy, branch, points)
        if self._broken in (None, strategy):
            f["u"][(2, 0)] = f["u"][(2, 0)] * 1.001
        return f


def test_stokes_by_hand_check_fails_without_the_output_transform():
    source = cell("05", "def per_field(") + "\n" + cell("05", "def zcs_stokes(")
    old = "uvp = [f * w for f, w in zip(split(model, g, s), walls)]"
    assert old in source, "lesson 05's zcs_stokes no longer applies the transform this way"
    names = run_cell(source.replace(old, "uvp = list(split(model, g, s))"))  # walls forgotten
    fails(cell("05", "stokes = st.StokesCavity()"), "hand-written vector ZCS", **names)


def test_stokes_per_field_memory_check_fails_when_stacking_costs_nothing():
    names = _stokes_names()
    names["stacked"] = names["per_field"]              # the broken variant: no joint output
    fails(cell("05", "runs = {\"by hand, stacked\""), "slicing the joint output", **names)


def test_stokes_strategy_check_fails_on_a_wrong_derivative():
    names = _stokes_names()
    fails(cell("05", "residuals = {name: stokes.residual("), "should give ZCS's Stokes residual",
          stokes=_Skewed("datavect"), net3=names["net3"], g=names["g"], xy=names["xy"])


def test_stokes_finite_difference_check_fails_on_a_wrong_derivative():
    names = _stokes_names()
    fails(cell("05", 'u_net = stokes.field_model(net3, "u")'), "u_xx should match differences",
          stokes=_Skewed(), net3=names["net3"], g=names["g"], xy=names["xy"])


def test_stokes_memory_check_fails_when_zcs_is_datavect():
    def rows_zcs_is_datavect(strategies, **kwargs):
        rows = st.stokes_rows(["funcloop", "datavect"], **{**kwargs, "width": 16, "n_points": 64})
        return rows + [{**r, "strategy": "zcs"} for r in rows if r["strategy"] == "datavect"]
    fails(cell("05", "stokes_rows = st.stokes_rows("), "ZCS keeps several times less",
          st=st_with(stokes_rows=rows_zcs_is_datavect))


def test_stokes_solver_check_fails_on_a_first_order_solver():
    def first_order(n, mu, walls, forcing=None):
        grid = st.solve_stokes(n, mu, walls, forcing)
        return st.StokesGrid(u=grid.u + 1.0 / n, v=grid.v, p=grid.p)   # an O(h) error in u
    fails(cell("05", "for n in (16, 32, 64):"), "second order in h",
          st=st_with(solve_stokes=first_order))


def test_stokes_bottom_pressure_check_fails_when_p_is_zero_there():
    class ZeroBottom(st.StokesCavity):
        def reference(self, branch, n=64):
            centres, ref = super().reference(branch, n)
            p = ref["p"].reshape(-1, n, n).clone()
            p[:, :, 0] = 0.0                                   # the bottom row of cells
            return centres, {**ref, "p": p.reshape(-1, n * n)}
    fails(cell("05", "ax.streamplot("), "the exact p is not constant on the bottom",
          stokes=ZeroBottom())

# --- Lesson 06 plain torch --------------------------------------------------------------------

def lesson06_plain_layer():
    """Lesson 06's plain-torch mixed spectral layer, as the lesson defines it."""
    import math
    return run_cell(cell("06", "def plain_mixed_layer("), math=math)["plain_mixed_layer"]


def passes_high_modes(x, K):
    """The modes of x above K, back on the grid: what a layer that forgets to zero them adds."""
    spectrum = torch.fft.rfft(x.float())                                  # (B, C, N/2 + 1)
    spectrum[..., :K] = 0
    return torch.fft.irfft(spectrum, n=x.shape[-1])                       # (B, C, N)


@pytest.mark.parametrize("broken", ["keeps every mode", "no 1/sqrt(N)"])
def test_plain_mixed_layer_check_fails_on_a_broken_layer(broken):
    import math
    plain = lesson06_plain_layer()
    if broken == "keeps every mode":       # the modes above K pass through instead of being zeroed
        layer = lambda x, w, K: (plain(x, w, K).float() + passes_high_modes(x, K)).half()
    else:                                  # the 1/sqrt(N) before the contraction forgotten
        layer = lambda x, w, K: plain(x, w, K) * math.sqrt(x.shape[-1])
    fails(cell("06", "x16 = torch.randn(8, 16, 128)"), "gives the library's numbers",
          plain_mixed_layer=layer)


def eight_bit_modes(model):
    """A broken 'float16' variant of ``model``: its mixed spectral layers round the kept modes to
    float8_e5m2 (2 significand bits, unit roundoff 2^-3) before the float16 contraction."""
    import math
    from sciml_teach.models.spectral import contract_pairs, place_low_modes

    class EightBitModes(st.SpectralConv):
        def forward(self, x):                                             # (B, C, N) -> (B, O, N)
            x = torch.tanh(x) if self.stabilizer == "tanh" else x
            n = x.shape[-1]
            low = torch.view_as_real(torch.fft.rfft(x.float())[..., :self.modes[0]])  # (B, C, K, 2)
            low = low.to(torch.float8_e5m2).to(torch.float16) / math.sqrt(n)
            out = contract_pairs(low, self.weight)                        # (B, O, K, 2) float16
            return st.irfftn_half(place_low_modes(out, [n // 2 + 1]), [n], norm="ortho")

    variant = st.spectral_variant(model, "mixed", torch.float16)
    for layer in variant.layers:
        layer.spectral.__class__ = EightBitModes
    return variant


def test_round_off_check_fails_for_a_layer_that_rounds_to_8_bits():
    from functools import partial
    data = st.fno_data("burgers")
    broken = partial(st.resolution_errors, variants={"mixed-float16": eight_bit_modes,
                                                     "half-float16": eight_bit_modes})
    names = run_cell(cell("06", "reference = st.train_reference_fno(data, steps)"),
                     st=st_with(resolution_errors=broken), data=data, steps=30)
    fails(cell("06", "checked = [train_n, 2 * train_n]"),
          "float16 round-off stays below the discretisation error",
          panels=names["panels"], random_rows=names["random_rows"], train_n=data["resolution"])


def test_solver_contrast_check_fails_when_float16_is_not_applied():
    torch.manual_seed(0)
    fno = st.FNO(st.FNOConfig(modes=(12,), width=24, stabilizer="tanh"))
    a = st.grf_inputs(2, 1024, 0.1)
    fine_row = st.resolution_errors(fno, a, [64])[0]
    u0 = st.grf_inputs(2, 256, 0.1)[:, 0]
    unrounded = st.solver_round_off(u0, 64, t_end=0.2, dtype=torch.float64)   # "float16" forgotten
    fails(cell("06", "solver_ratio = solver["), "ruin the classical solver",
          solver=unrounded, fno_row=fine_row, test_error=0.1)
    eight_bit = st.resolution_errors(fno, a, [64], variants={"mixed-float16": eight_bit_modes})[0]
    rounded = st.solver_round_off(u0, 64, t_end=0.2)
    fails(cell("06", "solver_ratio = solver["), "barely moves",
          solver=rounded, fno_row=eight_bit, test_error=0.1)

# --- Lesson 06: Navier-Stokes, super-resolution, schedule, factorised weights (issue 26, H6) ---

def _first_order(solve):
    """A solver whose error has an O(dt) part: what dropping Heun's corrector would give."""
    def broken(w0, t_final, dt, *args, **kwargs):
        result = solve(w0, t_final, dt, *args, **kwargs)
        return dataclasses.replace(result, w=result.w + 1e-2 * dt * w0)
    return broken


def test_navier_stokes_order_check_fails_on_a_first_order_solver():
    import math
    fails(cell("06", "st.taylor_green(16, 0.0, nu)"), "second order in time",
          st=st_with(solve_navier_stokes=_first_order(st.solve_navier_stokes)), math=math)


def _worse(fn, name, factor=1.5, key="rel_l2_error"):
    """``fn`` whose rows for ``name`` have ``key`` multiplied by ``factor``."""
    def broken(*args, **kwargs):
        out = fn(*args, **kwargs)
        if isinstance(out, tuple):                                 # (row, model)
            row, model = out
            hit = name in (row.get("schedule"), f"{row['spectral_precision']}-{row['stabilizer']}"
                           if "spectral_precision" in row else None)
            return ({**row, key: row[key] * factor} if hit else row), model
        return [{**r, key: r[key] * factor} if r.get("schedule") == name and
                r.get("eval_resolution", 0) > r.get("train_resolution", 1e9) else r for r in out]
    return broken


@pytest.fixture(scope="module")
def ns_section():
    """The Navier-Stokes training cell, run once (quick mode) for the checks after it."""
    return run_cell(cell("06", 'st.fno_data("navier-stokes"'))


def test_navier_stokes_accuracy_check_fails_when_mixed_is_worse():
    """mixed + tanh made worse than the check allows: 10% + 0.05 above full precision's error."""
    seen = {}

    def broken(setting, *args, **kwargs):
        row, model = st.train_fno_setting(setting, *args, **kwargs)
        if setting.precision == "full":
            seen["full"] = row["rel_l2_error"]
            return row, model
        return {**row, "rel_l2_error": 1.1 * seen["full"] + 0.05}, model
    fails(cell("06", 'st.fno_data("navier-stokes"'), "as accurate as full precision on Navier-Stokes",
          st=st_with(train_fno_setting=broken))


def test_superres_check_fails_when_mixed_loses_more_at_4n(ns_section):
    names = {k: ns_section[k] for k in ("data", "trained")}
    fails(cell("06", "st.superres_rows(data, trained=trained)"), "loses no more at 4n",
          st=st_with(superres_rows=_worse(st.superres_rows, "mixed-tanh", 1.3, "error_vs_train_res")),
          **names)


def test_schedule_check_fails_when_the_schedule_ends_worse(ns_section):
    names = {k: ns_section[k] for k in ("data", "steps", "width", "batch", "full_ns", "mixed_ns")}
    fails(cell("06", "st.train_schedule(data"), "ends as accurate as full precision",
          st=st_with(train_schedule=_worse(st.train_schedule, "half->mixed->full", 2.0)), **names)


def test_contraction_order_check_fails_when_greedy_is_left_to_right(monkeypatch):
    import math
    from sciml_teach.experiments import contraction_runs
    names = run_cell(cell("06", 'torch.einsum("cr,or,xr,yr->coxy"'), math=math)
    naive = contraction_runs.order_path
    monkeypatch.setattr(contraction_runs, "order_path",
                        lambda order, eq, shapes: naive("naive", eq, shapes))
    fails(cell("06", "st.factorized_rows("), "greedy order keeps less", **names)


# --- Lesson 07/08 plain torch -----------------------------------------------------------------

def _lesson07_loop(old: str, new: str) -> dict:
    """Lesson 07's data, zcs_residual and zcs_amp_loop cells (the loop with one edit), on the CPU."""
    rd, g = st.ReactionDiffusion(), torch.Generator().manual_seed(0)
    names = dict(rd=rd, report=types.SimpleNamespace(device="cpu"), v_pi=rd.sample_branch(8, g),
                 x_colloc=st.collocation_points(200, 2, g),
                 config=st.DeepONetConfig(n_sensors=rd.n_sensors, coord_dims=2, width=32, n_features=32))
    names = run_cell(cell("07", "v8, x8 = v_pi[:8]"), **names)
    names = run_cell(cell("07", "def zcs_residual("), **names)
    loop = cell("07", "def zcs_amp_loop(")
    assert old in loop, f"lesson 07's loop no longer contains {old!r}"
    return run_cell(loop.replace(old, new), **names)


@pytest.mark.parametrize("old, new, message", [
    ("with torch.autocast(device, dtype=dtype):", "with torch.autocast(device, enabled=False):",
     "should equal the library's to 1e-6"),                          # float32: AMP forgotten
    ("scaler.step(optimizer)", "pass", "within 1% of the library's"),  # the step skipped
])
def test_zcs_amp_loop_check_fails_on_a_broken_loop(old, new, message):
    fails(cell("07", "library = [step().item()"), message, **_lesson07_loop(old, new))


def _ddp_program(old: str, new: str) -> str:
    """Lesson 08's per-rank program (its %%writefile cell without the magic line), with one edit."""
    source = cell("08", "%%writefile $script").split("\n", 1)[1]
    assert old in source, f"lesson 08's program no longer contains {old!r}"
    return source.replace(old, new)


@pytest.mark.parametrize("old, new, message", [
    (".div_(world)", "", "1 process x M's gradient"),                  # sums, never averages
    ("v[rank * share:(rank + 1) * share]", "v", "each of the M = 8 functions once"),  # no split
])
def test_ddp_program_check_fails_on_a_broken_program(tmp_path, old, new, message):
    """Lesson 08's program, broken, run by torchrun on 2 ranks: the lesson's check cell fails."""
    import os
    script = tmp_path / "ddp_step.py"
    script.write_text(_ddp_program(old, new))
    names = run_cell(cell("08", "st.launch_script(2, script"), os=os, script=str(script),
                     folder=types.SimpleNamespace(name=str(tmp_path)))
    fails(cell("08", "reference = torch.cat("), message, rd=st.ReactionDiffusion(), ran=names["ran"])
