"""The course on a CUDA GPU: every problem, strategy, policy and spectral precision, against the CPU.

Skipped without a GPU (never faked). Run on a GPU machine with
``python -m sciml_teach.bench gpu-report --out docs/results/``, which runs this file first.
Tolerances are the policy's: float64 agrees with the CPU to rounding, float32 to ~1e-5 (cuBLAS
sums in another order), 16-bit autocast to a few parts in a thousand.
"""
import math
import warnings

import pytest
import torch

import sciml_teach as st
from sciml_teach.half_fft import irfftn_half, rfftn_half

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

CUDA = torch.device("cuda")
TOLERANCE = {"fp64": 1e-9, "fp32": 1e-4, "amp-fp16": 3e-2, "amp-bf16": 1e-1}


def _rel(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.detach().double().cpu(), b.detach().double().cpu()
    return float((a - b).norm() / b.norm().clamp_min(1e-300))


def _loss_on(problem, model, policy: str, device) -> torch.Tensor:
    policy = st.get_policy(policy)
    model = policy.cast_model(model.to(device))
    with policy.autocast_context(device):
        return problem.loss(model)


@pytest.mark.parametrize("policy", list(TOLERANCE))
@pytest.mark.parametrize("make", [st.Poisson1D, st.BurgersPINN], ids=["poisson1d", "burgers"])
def test_pinn_loss_on_cuda_equals_cpu_float64(make, policy):
    problem = make()
    torch.manual_seed(0)
    model = problem.make_model()
    reference = _loss_on(problem, _copy(model), "fp64", "cpu")
    loss = _loss_on(problem, _copy(model), policy, CUDA)
    assert loss.device.type == "cuda"
    assert _rel(loss, reference) <= TOLERANCE[policy], f"{policy}: {loss.item()} vs {reference.item()}"


def _copy(model):
    import copy
    return copy.deepcopy(model)


def _operator_model(problem, seed: int = 0):
    torch.manual_seed(seed)
    return st.DeepONet(st.DeepONetConfig(n_sensors=problem.n_sensors, coord_dims=problem.coord_dims,
                                         width=64, n_features=64))


@pytest.mark.parametrize("strategy", list(st.STRATEGIES))
@pytest.mark.parametrize("name", list(st.OPERATOR_PROBLEMS))
def test_every_strategy_on_cuda_agrees_with_the_cpu(name, strategy):
    problem = st.get_operator_problem(name)
    g = torch.Generator().manual_seed(0)
    v = problem.sample_branch(6, g)                                     # (M, m) float64
    x = st.collocation_points(300, problem.coord_dims, g)               # (N, D) float64
    model = _operator_model(problem).double()
    reference = st.get_strategy("forward").fields(model, v, x, problem.requests)
    for dtype, tol in [(torch.float64, 1e-9), (torch.float32, 1e-4)]:
        m = _copy(model).to(CUDA, dtype)
        fields = st.get_strategy(strategy).fields(m, v.to(CUDA, dtype), x.to(CUDA, dtype),
                                                  problem.requests)
        for request, ref in reference.items():
            assert fields[request].device.type == "cuda"
            assert _rel(fields[request], ref) <= tol, f"{strategy} {request} in {dtype}"


def test_grad_scaler_on_cuda_scales_backs_off_and_recovers():
    x = torch.linspace(-1, 1, 256, device=CUDA)[:, None]
    y = torch.sin(3 * x)
    weight = {"w": 3e4}  # float16 overflows in the scaled backward at first: the scaler must back off

    def loss_fn(model):
        return weight["w"] * (model(x) - y).square().mean()

    torch.manual_seed(0)
    history = st.train(st.MLP([1, 64, 64, 1]), loss_fn,
                       st.TrainConfig(steps=60, policy="amp-fp16", device="cuda"))
    assert history.loss_scaling and history.loss_scale[0] == 65536.0
    assert any(history.skipped), "the first scaled backward should overflow float16 and be skipped"
    assert min(history.loss_scale) < 65536.0 and not history.skipped[-1]
    assert history.status == "ok" and history.loss[-1] < history.loss[0]


@pytest.mark.parametrize("policy", ["fp32", "fp16", "bf16", "amp-fp16", "amp-bf16", "fp64"])
def test_every_policy_trains_on_cuda_and_reports_the_cuda_peak(policy):
    problem = st.Poisson1D()
    history = st.train_pinn(problem, st.TrainConfig(steps=20, policy=policy, adam_eps=1e-4,
                                                    device="cuda", memory_every=10,
                                                    memory_kind="cuda_peak"))
    assert history.memory_kind == "cuda_peak" and history.memory_bytes[0] > 0
    assert history.status == "ok" and math.isfinite(history.final_error)
    assert all(math.isfinite(t) for t in history.step_time_s)  # a CUDA peak is read off the clock


def test_amp_halves_the_cuda_peak_of_a_wide_pinn():
    peaks = {}
    for policy in ["fp32", "amp-bf16"]:
        torch.manual_seed(0)
        model = st.MLP([1, 512, 512, 512, 512, 1])
        problem = st.Poisson1D(n_collocation=16384)
        history = st.train(model, problem.loss, st.TrainConfig(steps=3, policy=policy, device="cuda",
                                                                memory_every=1, memory_kind="cuda_peak"))
        peaks[policy] = history.memory_bytes[-1]
    assert peaks["amp-bf16"] <= 0.75 * peaks["fp32"], peaks


@pytest.mark.parametrize("sizes", [(64,), (32, 64), (128, 128)])
def test_native_half_fft_matches_the_cpu_emulation(sizes):
    torch.manual_seed(0)
    x = torch.randn(2, 3, *sizes)
    native = rfftn_half(x.to(CUDA), len(sizes), torch.float16)           # (B, C, *Nf, 2) float16
    emulated = rfftn_half(x, len(sizes), torch.float16)
    assert native.dtype == torch.float16 and native.device.type == "cuda"
    assert _rel(native, emulated) <= 5e-3
    back = irfftn_half(native, sizes)                                    # (B, C, *N)
    assert _rel(back, x) <= 5e-3, "irfftn_half(rfftn_half(x)) returns x"


@pytest.mark.parametrize("sizes", [(48,), (33,), (30, 20)])
def test_non_power_of_two_half_fft_falls_back_with_one_warning(sizes):
    torch.manual_seed(0)
    x = torch.randn(2, 3, *sizes)
    with pytest.warns(UserWarning, match="power-of-two"):
        spectrum = rfftn_half(x.to(CUDA), len(sizes), torch.float16)
    assert _rel(spectrum, rfftn_half(x, len(sizes), torch.float16)) <= 5e-3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = irfftn_half(spectrum, sizes)
    assert _rel(back, x) <= 5e-3


def test_irfftn_half_keeps_hermitian_symmetry():
    # A spectrum whose DC and Nyquist bins carry an imaginary part is not the rfft of any real
    # signal: irfftn must drop those parts exactly as torch's float32 irfftn does.
    torch.manual_seed(0)
    z = torch.randn(1, 1, 16, 9, 2, dtype=torch.float16)
    expected = torch.fft.irfftn(torch.view_as_complex(z.float()), s=(16, 16))
    got = irfftn_half(z.to(CUDA), (16, 16)).float().cpu()
    assert _rel(got, expected) <= 5e-3


@pytest.mark.parametrize("precision", ["full", "mixed", "half"])
@pytest.mark.parametrize("stabilizer", ["none", "tanh"])
def test_fno_trains_on_cuda_in_every_spectral_precision(precision, stabilizer):
    torch.manual_seed(0)
    config = st.FNOConfig(modes=(8, 8), width=16, layers=2, precision=precision,
                          stabilizer=stabilizer)
    a = torch.randn(8, 1, 32, 32, device=CUDA)
    target = torch.tanh(a)
    loss_fn = lambda m: (m(a).float() - target).square().mean()  # noqa: E731
    history = st.train(st.FNO(config), loss_fn,
                       st.TrainConfig(steps=30, lr=3e-3, policy="amp-fp16", device="cuda"))
    assert history.status == "ok" and history.loss[-1] < history.loss[0]


def test_fno_mixed_spectral_layer_needs_less_cuda_memory_than_full():
    peaks = {}
    for precision in ["full", "mixed"]:
        torch.manual_seed(0)
        config = st.FNOConfig(modes=(16, 16), width=32, layers=4, precision=precision,
                              stabilizer="tanh" if precision != "full" else "none")
        a = torch.randn(16, 1, 128, 128, device=CUDA)
        history = st.train(st.FNO(config), lambda m: m(a).float().square().mean(),
                           st.TrainConfig(steps=3, policy="amp-fp16" if precision != "full" else "fp32",
                                          device="cuda", memory_every=1, memory_kind="cuda_peak"))
        peaks[precision] = history.memory_bytes[-1]
    assert peaks["mixed"] < peaks["full"], peaks


def test_a_too_large_zcs_cell_is_an_oom_row_and_the_next_cell_still_runs():
    from sciml_teach.experiments.strategy_runs import (case_inputs, make_model, measure_case,
                                                       reference_fields)
    huge = st.SweepCase("reaction_diffusion", 4000, 200_000)  # DataVect: 8e8 (function, point) pairs
    row = measure_case(huge, "datavect", "fp32", CUDA, budget=2**62, predicted=0, reference={})
    assert row["status"] == "oom", row
    small = st.SweepCase("reaction_diffusion", 10, 500)
    problem, branch, points = case_inputs(small)
    reference = reference_fields(problem, make_model(problem), branch, points)
    row = measure_case(small, "zcs", "fp32", CUDA, 2**62, 0, reference)
    assert row["status"] == "ok" and row["max_rel_diff"] <= 1e-4, row


@pytest.mark.parametrize("policy", ["fp32", "amp-fp16", "amp-bf16", "bf16"])
def test_memory_account_on_cuda_counts_what_the_cpu_counts_and_reads_the_peak(policy):
    """Weights, gradients and Adam's state are the same bytes on any device (activations may
    differ a little: CUDA's kernels may save other tensors); the allocator's peak holds at least
    the weights, gradients and Adam's state, which are all alive during the update."""
    problem = st.Poisson1D()
    gpu = st.pinn_step_account(problem, policy, device=CUDA)
    cpu = st.pinn_step_account(problem, policy, device="cpu")
    fixed = lambda a: (a.param_bytes, a.grad_bytes, a.optimizer_bytes)  # noqa: E731
    assert fixed(gpu) == fixed(cpu), (gpu, cpu)
    assert gpu.activation_bytes == pytest.approx(cpu.activation_bytes, rel=0.25), (gpu, cpu)
    assert cpu.cuda_peak_bytes is None
    assert gpu.cuda_peak_bytes >= gpu.param_bytes + gpu.grad_bytes + gpu.optimizer_bytes, gpu


@pytest.mark.parametrize("remedy", ["kahan", "stochastic"])
def test_half_updates_accumulate_tiny_increments_on_cuda(remedy):
    """1000 updates of 1e-4 onto bfloat16 weights at 1.0: both remedies end near 1.1 on a GPU too
    (plain rounding would stay at 1.0)."""
    from sciml_teach.half_updates import REMEDIES
    p = torch.nn.Parameter(torch.ones(4096, dtype=torch.bfloat16, device=CUDA))
    opt = REMEDIES[remedy](torch.optim.SGD([p], lr=1e-4))
    for _ in range(1000):
        p.grad = -torch.ones_like(p)
        opt.step()
    assert p.dtype == torch.bfloat16 and p.device.type == "cuda"
    assert abs(p.float().mean().item() - 1.1) < 4e-3


# --- Issue 20: the half contraction, the launch remedies and the memory meter on the GPU


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_block_contraction_on_cuda_matches_complex128_and_its_gradients_the_cpu(dtype):
    from sciml_teach.models.spectral import contract_pairs
    torch.manual_seed(0)
    x = torch.randn(8, 16, 12, 6, 2)                                     # (B, C, *K, 2)
    w = torch.randn(16, 16, 12, 6, 2) / 16                               # (C, O, *K, 2)
    exact = torch.einsum("bc...,co...->bo...", torch.view_as_complex(x.double()),
                         torch.view_as_complex(w.double()))
    xg = x.to(CUDA, dtype).requires_grad_(True)
    wg = w.to(CUDA).requires_grad_(True)
    out = contract_pairs(xg, wg)
    assert _rel(torch.view_as_complex(out.float().contiguous()), exact) < 2e-2
    out.float().square().sum().backward()
    xc, wc = x.to(dtype).float().requires_grad_(True), w.clone().requires_grad_(True)
    contract_pairs(xc, wc).square().sum().backward()                     # float32 on the CPU
    assert _rel(wg.grad, wc.grad) < 3e-2 and _rel(xg.grad.float(), xc.grad) < 3e-2


@pytest.mark.parametrize("policy", ["fp32", "amp-bf16"])
def test_cuda_graph_step_replays_the_same_training_as_eager(policy):
    """Same start, same data: 20 replayed steps end where 20 eager steps end."""
    from sciml_teach.experiments.launch_runs import placed
    problem = placed(st.BurgersPINN(), CUDA, torch.float32)
    losses = {}
    for graphed in (False, True):
        torch.manual_seed(0)
        step = st.TrainStep(problem.make_model().to(CUDA), problem.loss, policy=policy)
        call = st.CUDAGraphStep(step, warmup=3) if graphed else step
        if not graphed:                # the graph's 3 warm-up steps train (a capture only records)
            for _ in range(3):
                call()
        losses[graphed] = [float(call()) for _ in range(20)]
    assert losses[True][-1] < losses[True][0], "the replayed steps train"
    assert math.isclose(losses[True][-1], losses[False][-1], rel_tol=TOLERANCE[policy])


def test_cuda_graph_step_refuses_a_grad_scaler():
    # (a loss that copies CPU data in every step fails inside the capture, which the step turns
    # into a ValueError; not tested here, because a failed capture can spoil the process's
    # CUDA context for the tests after it)
    problem = st.BurgersPINN()
    model = problem.make_model().to(CUDA)
    with pytest.raises(ValueError, match="GradScaler"):
        st.CUDAGraphStep(st.TrainStep(model, problem.loss, policy="amp-fp16"))


def test_float64_costs_about_twice_float32s_peak_once_cublas_is_warm():
    """The H100 table said 10.2x: step 0 of the first run held cuBLAS's workspace."""
    from sciml_teach.experiments.pinn_runs import policy_table_rows
    rows = policy_table_rows(st.BurgersPINN(), 201, ["fp64", "fp32"], CUDA)
    by = {r["policy"]: r for r in rows}
    assert 1.5 <= by["fp64"]["memory_bytes"] / by["fp32"]["memory_bytes"] <= 2.5


def test_busy_size_profile_and_launch_run_on_cuda(tmp_path, monkeypatch):
    from sciml_teach.experiments.launch_runs import launch_rows
    from sciml_teach.experiments.profile_runs import profile_rows
    monkeypatch.setenv("SCIML_TEACH_QUICK", "1")
    monkeypatch.setenv("SCIML_TEACH_CACHE", str(tmp_path))
    rows = profile_rows(sizes=("lesson",), names=("mixed-tanh",), device=CUDA, top=3, steps=1)
    summary = next(r for r in rows if r["kind"] == "summary")
    assert summary["kernel_ms"] > 0 and summary["launches_per_step"] > 0
    rows = launch_rows(models=("burgers-pinn",), policies=("fp32",), steps=5, device=CUDA)
    graph = next(r for r in rows if r["variant"] == "cuda graph")
    assert graph["status"] == "ok" and graph["loss_rel_diff"] < 1e-4


def test_cuda_graph_step_captures_a_zcs_physics_loss():
    """A physics-informed DeepONet step (ZCS, bfloat16 AMP) with its data on the GPU replays: the
    strategies' inf/NaN check (one host sync) is skipped while a graph is captured."""
    problem = st.ReactionDiffusion()
    torch.manual_seed(0)
    model = st.DeepONet.from_layers(branch=[50, 64, 64], trunk=[2, 64, 64]).to(CUDA)
    branch, points = st.to_model(model, problem.sample_branch(8, torch.Generator().manual_seed(0)),
                                 st.collocation_points(200))
    step = st.CUDAGraphStep(st.TrainStep(model, st.physics_loss(problem, "zcs", branch, points),
                                         policy="amp-bf16"))
    losses = [float(step()) for _ in range(20)]
    assert all(math.isfinite(v) for v in losses) and losses[-1] < losses[0]


def test_ddp_under_torchrun_on_one_gpu_uses_nccl_and_matches_one_process():
    """Lesson 08's benchmark under ``torchrun --nproc_per_node=1`` with ``--device auto``: NCCL on
    the GPU, PyTorch's own ``bf16_compress_hook``, and 1 process x M's first gradient."""
    doc = st.launch_ddp(1, ["--quick", "--device", "auto", "--reference", "--compressions", "fp32,bf16"],
                        timeout_s=300, log=None)
    fp32, bf16 = (st.ddp_row(doc["rows"], compression=c) for c in ("fp32", "bf16"))
    assert doc["device"] == "cuda" and fp32["backend"] == "nccl" and fp32["device"] == "cuda"
    assert fp32["grad_rel_diff"] <= 1e-5 and fp32["rank_weight_diff"] == 0 and fp32["status"] == "ok"
    assert bf16["hook"] == "bf16_compress_hook (PyTorch)" and 0 < bf16["grad_rel_diff"] <= 2.0 ** -8
