"""The FNO's spectral layer against a direct DFT, its half-precision variants, and the FNO in training."""
import math
import warnings

import pytest
import torch

from sciml_teach import Callback, FNO, FNOConfig, SpectralConv, get_policy, nonfinite_spectral_layers
from sciml_teach.half_fft import half_fft_backend, irfftn_half, rfftn, rfftn_half
from sciml_teach.meters import saved_bytes
from sciml_teach.experiments.contraction_runs import contract_einsum, contraction_path, contraction_rows
from sciml_teach.models.spectral import block_weight, contract_pairs, stabilise


def direct_spectral_conv(x: torch.Tensor, w: torch.Tensor, modes) -> torch.Tensor:
    """Reference: explicit DFT sums, complex weights w (C, O, *K), no FFT anywhere."""
    sizes = x.shape[2:]
    if len(modes) == 1:
        k = torch.arange(modes[0], dtype=torch.float64)
        freqs = [k]
    else:
        m1, m2 = modes
        k1 = torch.cat([torch.arange(m1), torch.arange(sizes[0] - m1, sizes[0])]).double()
        freqs = [k1, torch.arange(m2, dtype=torch.float64)]
    # phase[k..., n...] = exp(-2 pi i sum_d k_d n_d / N_d)
    grids = torch.meshgrid(*freqs, *[torch.arange(n, dtype=torch.float64) for n in sizes],
                           indexing="ij")
    d = len(sizes)
    angle = sum(2 * math.pi * grids[i] * grids[d + i] / sizes[i] for i in range(d))
    phase = torch.exp(-1j * angle)                                   # (*K, *N)
    if d == 1:
        X = torch.einsum("bcn,kn->bck", x.to(torch.complex128), phase)
        Y = torch.einsum("bck,cok->bok", X, w)
        weight = torch.where(freqs[0] == 0, 1.0, 2.0)               # Hermitian partner counted
        return torch.einsum("bok,kn,k->bon", Y, phase.conj(), weight.to(Y.dtype)).real / sizes[0]
    X = torch.einsum("bcnm,klnm->bckl", x.to(torch.complex128), phase)
    Y = torch.einsum("bckl,cokl->bokl", X, w)
    weight = torch.where(freqs[1] == 0, 1.0, 2.0).to(Y.dtype)
    out = torch.einsum("bokl,klnm,l->bonm", Y, phase.conj(), weight).real
    return out / (sizes[0] * sizes[1])


@pytest.mark.parametrize("modes,sizes", [((5,), (16,)), ((4,), (15,)), ((3, 4), (8, 10))])
def test_spectral_layer_equals_direct_dft(modes, sizes):
    torch.manual_seed(0)
    layer = SpectralConv(3, 2, modes).double()
    x = torch.randn(2, 3, *sizes, dtype=torch.float64)
    expected = direct_spectral_conv(x, torch.view_as_complex(layer.weight), modes)
    assert torch.allclose(layer(x), expected, atol=1e-12)


def test_single_fourier_mode_is_scaled_and_shifted():
    """cos(2 pi 3 n / N) through one channel: output = Re(w_3 exp(i theta)) exactly."""
    n = torch.arange(32, dtype=torch.float64)
    layer = SpectralConv(1, 1, (8,)).double()
    theta = 2 * math.pi * 3 * n / 32
    wr, wi = layer.weight[0, 0, 3].detach()
    expected = wr * torch.cos(theta) - wi * torch.sin(theta)
    assert torch.allclose(layer(torch.cos(theta)[None, None])[0, 0], expected, atol=1e-12)


def test_real_stored_weights_match_complex_weights():
    """The view_as_real layout changes only storage: Li et al.'s complex-weight layer agrees."""
    torch.manual_seed(1)
    layer = SpectralConv(4, 3, (6,)).double()
    x = torch.randn(5, 4, 32, dtype=torch.float64)
    w = torch.view_as_complex(layer.weight.detach().clone())        # (C, O, K) complex128
    x_ft = torch.fft.rfft(x)                                        # (B, C, 17)
    out_ft = torch.zeros(5, 3, 17, dtype=torch.complex128)
    out_ft[:, :, :6] = torch.einsum("bck,cok->bok", x_ft[:, :, :6], w)
    assert torch.allclose(layer(x), torch.fft.irfft(out_ft, n=32), atol=1e-12)


def test_rfftn_gradient_without_saved_input():
    x = torch.randn(2, 3, 6, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: torch.view_as_real(rfftn(t, 2)), (x,))
    assert saved_bytes(lambda: rfftn(x * 1.0, 2)) == 0


@pytest.mark.parametrize("precision", ["mixed", "half"])
@pytest.mark.parametrize("dtype,tol", [(torch.float16, 1e-2), (torch.bfloat16, 5e-2)])
def test_half_modes_agree_with_full_on_bounded_inputs(precision, dtype, tol):
    torch.manual_seed(2)
    full = SpectralConv(8, 8, (6, 6))
    half = SpectralConv(8, 8, (6, 6), precision=precision, half_dtype=dtype)
    half.load_state_dict(full.state_dict())
    x = torch.rand(4, 8, 16, 16) * 2 - 1                             # bounded in [-1, 1]
    ref, out = full(x), half(x)
    assert out.dtype == dtype
    assert (out.float() - ref).norm() / ref.norm() < tol


def test_cpu_emulation_overflows_where_a_half_fft_would():
    """1024 values of 100 are each fine in float16, but their sum 102400 > 65504 is not."""
    x = torch.full((1, 1, 1024), 100.0)
    assert torch.isinf(rfftn_half(x, 1, torch.float16)[0, 0, 0]).any()
    assert torch.isfinite(rfftn_half(x * 0.6, 1, torch.float16)).all()   # 61440 fits
    assert torch.isfinite(rfftn_half(x, 1, torch.bfloat16)).all()        # bfloat16's range is huge
    back = irfftn_half(rfftn_half(x * 0.01, 1, torch.float16), (1024,))
    assert torch.allclose(back.float(), x * 0.01, rtol=1e-3)


def test_half_fft_backend_choice():
    assert half_fft_backend(torch.float16, "cpu", (64,)) == "emulated"
    assert half_fft_backend(torch.float16, "cuda", (64, 32)) == "native"
    assert half_fft_backend(torch.bfloat16, "cuda", (64,)) == "emulated"
    with pytest.warns(UserWarning, match="power-of-two"):
        assert half_fft_backend(torch.float16, "cuda", (48,)) == "emulated"
    with pytest.raises(ValueError, match="float16 or torch.bfloat16"):
        half_fft_backend(torch.float32, "cpu", (64,))


@pytest.mark.parametrize("kept", [(5,), (4, 3)])
def test_contraction_in_pairs_is_complex_multiplication(kept):
    """The block GEMM and the einsum it replaced, in float64, against complex128 (1-D and 2-D)."""
    torch.manual_seed(0)
    x = torch.randn(3, 4, *kept, dtype=torch.complex128)
    w = torch.randn(4, 2, *kept, dtype=torch.complex128)
    exact = torch.einsum("bc...,co...->bo...", x, w)
    for contract in (contract_pairs, contract_einsum):
        out = contract(torch.view_as_real(x), torch.view_as_real(w))
        assert torch.allclose(torch.view_as_complex(out.contiguous()), exact, atol=1e-12)
    # the einsum's batch operand (0) is contracted last: only x itself is kept for backward
    shapes = ((64, 32, 128, 2), (32, 32, 128, 2), (2, 2, 2))
    assert 0 not in contraction_path("bcxi,coxj,ijl->boxl", shapes)[0]


def test_block_weight_is_the_complex_product_as_a_real_matrix():
    """One mode, one channel: [a, b] @ [[c, d], [-d, c]] = [ac - bd, ad + bc], worked by hand;
    two channels in and out keep each (re, im) pair side by side."""
    w = torch.tensor([[[[3.0, 4.0]]]], dtype=torch.float64)            # (C, O, K, 2): 3 + 4i
    assert block_weight(w, torch.float64).tolist() == [[[3.0, 4.0], [-4.0, 3.0]]]
    x = torch.tensor([[[[1.0, 2.0]]]], dtype=torch.float64)             # (B, C, K, 2): 1 + 2i
    assert contract_pairs(x, w).flatten().tolist() == [3.0 - 8.0, 4.0 + 6.0]  # (1+2i)(3+4i)
    w2 = torch.zeros(2, 2, 1, 2, dtype=torch.float64)
    w2[1, 0, 0] = torch.tensor([0.0, 1.0])                              # channel 1 -> 0: times i
    block = block_weight(w2, torch.float64)[0]                          # (4, 4)
    assert block[2:, :2].tolist() == [[0.0, 1.0], [-1.0, 0.0]] and block.abs().sum() == 2


def test_mixed_layer_at_a_real_size_keeps_half_precision_accuracy():
    """Width 32, 16 modes per axis on a 128 x 128 grid: weights ~1/32^2 and 1/sqrt(N) = 1/128.
    Folded together they would fall below float16's smallest normal number (6.1e-5); the layer
    scales the kept modes instead, and stays within float16's rounding of the float64 answer."""
    torch.manual_seed(0)
    full = SpectralConv(32, 32, (16, 16)).double()
    x = torch.rand(2, 32, 128, 128, dtype=torch.float64) * 2 - 1
    expected = full(x)                          # float64, checked against the DFT sums above
    for dtype, tol in [(torch.float16, 1.5e-3), (torch.bfloat16, 1e-2)]:
        mixed = SpectralConv(32, 32, (16, 16), precision="mixed", half_dtype=dtype)
        mixed.load_state_dict({"weight": full.weight.float()})
        error = (mixed(x.float()).double() - expected).norm() / expected.norm()
        assert error < tol, f"{dtype}: relative error {error:.1e}"


def test_contraction_candidates_agree_and_are_timed():
    rows = contraction_rows(batch=2, channels=4, modes=(6, 3), dtype=torch.float32, device="cpu",
                            repeats=2)
    assert [r["candidate"] for r in rows] == ["einsum-table", "block-bmm"]
    assert all(r["max_rel_diff"] < 1e-5 and r["seconds"] > 0 and r["saved_bytes"] > 0 for r in rows)


@pytest.mark.parametrize("precision", ["full", "mixed", "half"])
@pytest.mark.parametrize("modes,sizes", [((6,), (32,)), ((4, 5), (16, 12))])
def test_every_spectral_precision_against_the_float64_dft(precision, modes, sizes):
    """The layer in each precision against explicit DFT sums in float64 (1-D and 2-D)."""
    torch.manual_seed(3)
    layer = SpectralConv(4, 3, modes, precision=precision, half_dtype=torch.float16)
    x = torch.rand(2, 4, *sizes) * 2 - 1                                 # bounded in [-1, 1]
    expected = direct_spectral_conv(x.double(), torch.view_as_complex(layer.weight.double()), modes)
    error = (layer(x).double() - expected).norm() / expected.norm()
    assert error < (1e-6 if precision == "full" else 3e-3), f"{precision}: relative error {error:.1e}"


def test_tanh_stabiliser_gradient_and_memory():
    v = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(stabilise, (v,))
    assert torch.equal(stabilise(v), torch.tanh(v))
    # in an FNO the stabiliser keeps nothing the pointwise branch did not keep already
    torch.manual_seed(0)
    a = torch.randn(4, 1, 32, 32)

    def step_bytes(stabilizer):
        model = FNO(FNOConfig(modes=(8, 8), width=16, precision="mixed", stabilizer=stabilizer,
                              half_dtype=torch.float16))
        def step():
            with get_policy("amp-bf16").autocast_context("cpu"):
                model(a).float().square().mean().backward()
        return saved_bytes(step)
    assert step_bytes("tanh") == step_bytes("none")


def test_folded_normalisation_gives_the_same_inverse():
    torch.manual_seed(0)
    z = torch.view_as_real(torch.fft.rfftn(torch.rand(2, 3, 16, 16), dim=(-2, -1))).half()
    ortho = irfftn_half(z / 16.0, (16, 16), norm="ortho")                 # sqrt(16 x 16) = 16
    assert torch.allclose(ortho.float(), irfftn_half(z, (16, 16)).float(), atol=2e-3)
    with pytest.raises(ValueError, match="norm"):
        irfftn_half(z, (16, 16), norm="forward")


def test_unstabilised_half_overflows_and_tanh_does_not():
    torch.manual_seed(0)
    a = 1000 * torch.randn(2, 1, 32, 32)
    for stabilizer, overflows in [("none", True), ("tanh", False)]:
        model = FNO(FNOConfig(modes=(8, 8), width=8, precision="half", stabilizer=stabilizer))
        assert bool(nonfinite_spectral_layers(model, a)) == overflows


def test_mixed_tanh_saves_less_memory_and_naive_amp_leaves_spectral_untouched():
    torch.manual_seed(0)
    a = torch.randn(4, 1, 32, 32)

    def step_bytes(config, policy):
        model = FNO(config)
        def step():
            with get_policy(policy).autocast_context("cpu"):
                model(a).float().square().mean().backward()
        return saved_bytes(step)
    base = FNOConfig(modes=(8, 8), width=16, projection=64)
    full = step_bytes(base, "fp32")
    mixed = step_bytes(FNOConfig(**{**base.__dict__, "precision": "mixed", "stabilizer": "tanh",
                                    "half_dtype": torch.float16}), "amp-bf16")
    assert mixed <= 0.7 * full


def plain_fourier_layer(v, w):
    """A Fourier layer in plain torch (no sciml_teach code): FFT, keep K modes, mix, inverse FFT."""
    spectrum = torch.fft.rfft(v)                                        # (B, C, N/2 + 1) complex
    mixed = torch.einsum("bik,iok->bok", spectrum[..., :w.shape[-1]], w)  # (B, C_out, K)
    return torch.fft.irfft(mixed, n=v.shape[-1])                        # (B, C_out, N)


def test_autocast_leaves_ffts_and_complex_products_in_float32():
    # The claim behind lesson 06's "naive AMP": torch.autocast does not cast FFTs or complex
    # einsums, so a spectral layer written in plain torch saves the same bytes with and without it
    # -- while a matmul beside it does drop to 16 bits (so the context really was active).
    torch.manual_seed(0)
    v = torch.randn(4, 16, 64, requires_grad=True)                     # (B, C, N)
    w = torch.randn(16, 16, 8, dtype=torch.cfloat)                      # (C_in, C_out, K)
    plain = saved_bytes(lambda: plain_fourier_layer(v, w))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        naive = saved_bytes(lambda: plain_fourier_layer(v, w))
        out, lin = plain_fourier_layer(v, w), torch.nn.functional.linear(v, torch.randn(8, 64))
    assert naive == plain and out.dtype == torch.float32
    assert lin.dtype == torch.bfloat16


def test_grad_scaler_steps_with_fno_parameters():
    """Real-stored spectral weights can be unscaled; complex ones could not."""
    torch.manual_seed(0)
    model = FNO(FNOConfig(modes=(4,), width=8, precision="mixed", stabilizer="tanh"))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    before = [p.detach().clone() for p in model.parameters()]
    loss = model(torch.randn(3, 1, 32)).float().square().mean()
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()
    assert all(not p.is_complex() for p in model.parameters())
    assert all(not torch.equal(b, p) for b, p in zip(before, model.parameters()))


def test_fno_shapes_and_errors():
    model = FNO(FNOConfig(modes=(4, 4), width=8))
    assert model(torch.randn(2, 1, 16, 12)).shape == (2, 1, 16, 12)
    with pytest.raises(ValueError, match="expects"):
        model(torch.randn(2, 1, 16))
    with pytest.raises(ValueError, match="exceed"):
        model(torch.randn(2, 1, 6, 6))
    with pytest.raises(ValueError, match="valid"):
        SpectralConv(2, 2, (4,), precision="quarter")
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # CPU emulation never warns
        FNO(FNOConfig(modes=(4,), width=8, precision="half"))(torch.randn(1, 1, 24))


def test_bench_rows_follow_the_contract(tmp_path, monkeypatch):
    """Two cheap rows of ``python -m sciml_teach.bench fno``: keys, statuses, memory ratio."""
    from sciml_teach.experiments import fno_settings as bench
    monkeypatch.setenv("SCIML_TEACH_CACHE", str(tmp_path))
    monkeypatch.setenv("SCIML_TEACH_QUICK", "1")
    data = bench.fno_data("burgers")
    seen = []
    class Keep(Callback):
        def on_train_end(self, history):
            seen.append(history)
    ok = bench.run_fno_setting(bench.FNOSetting("mixed", "tanh", True), data, steps=3, callbacks=[Keep()])
    assert len(seen[0].error) >= 3, "several test errors per run: the live error panel draws a curve"
    stress = bench.run_fno_setting(bench.FNOSetting("half", "none", True, 1e4), data, steps=3)
    for row in (ok, stress):
        assert {"spectral_precision", "stabilizer", "policy", "resolution", "status",
                "rel_l2_error", "throughput", "memory_bytes"} <= row.keys()
    assert ok["status"] == "ok" and math.isfinite(ok["rel_l2_error"]) and ok["memory_bytes"] > 0
    assert stress["status"] == "overflow"


def test_busy_size_runs_on_cpu_and_rows_say_their_size(tmp_path, monkeypatch, capsys):
    """``bench fno --size busy --quick`` on a CPU: every row carries size, width, modes, batch, seed."""
    from sciml_teach.bench.__main__ import main
    monkeypatch.setenv("SCIML_TEACH_CACHE", str(tmp_path))
    out = tmp_path / "busy.json"
    assert main(["fno", "--quick", "--size", "busy", "--steps", "2", "--seeds", "0,1",
                 "--settings", "full-fp32,mixed-tanh", "--json", str(out), "--no-progress"]) == 0
    import json
    rows = json.loads(out.read_text())["rows"]
    assert [(r["seed"], r["spectral_precision"]) for r in rows] == [
        (0, "full"), (0, "mixed"), (1, "full"), (1, "mixed")]
    assert {(r["size"], r["resolution"], r["width"], r["modes"], r["batch"]) for r in rows} == {
        ("busy", 64, 16, "16x16", 8)}
    assert all(r["memory_ratio"] == 1.0 for r in rows if r["spectral_precision"] == "full")


def test_steady_memory_skips_the_first_steps_one_time_allocations():
    from sciml_teach.experiments.pinn_runs import steady_memory
    assert steady_memory([80, 16, 15]) == 16     # step 0 held cuBLAS's workspace
    assert steady_memory([4]) == 4               # a run that ended at step 0 keeps its one reading


@pytest.mark.parametrize("kept", [(5,), (4, 3)])
def test_pair_contraction_gradients_against_finite_differences(kept):
    """The hand-written backward (block rebuilt from the weights) against gradcheck, in float64."""
    torch.manual_seed(0)
    x = torch.randn(2, 3, *kept, 2, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, 4, *kept, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(contract_pairs, (x, w))


def test_pair_contraction_keeps_no_block_matrix():
    """Saved for backward: the spectrum (in half) and the weight parameter, which the model keeps
    anyway -- not the (K, 2C, 2O) half block built from it."""
    w = torch.nn.Parameter(torch.randn(8, 8, 16, 2))                          # (C, O, K, 2) float32
    x = torch.randn(4, 8, 16, 2).half()
    kept = saved_bytes(lambda: contract_pairs(x, w))
    assert kept == x.numel() * 2 + w.numel() * 4


@pytest.mark.parametrize("modes,sizes", [((5,), (16,)), ((3, 4), (8, 10))])
def test_factorized_layer_equals_the_dense_layer_rebuilt_from_its_factors(modes, sizes):
    """CP factors (TFNO) against a SpectralConv holding sum_r A B K1 K2, all in float64; the half
    paths (greedy-order real-pair einsum) within float16's rounding of that answer."""
    from sciml_teach.models.factorized import FactorizedSpectralConv
    torch.manual_seed(0)
    factorized = FactorizedSpectralConv(4, 3, modes, rank=5).double()
    dense = SpectralConv(4, 3, modes).double()
    dense.load_state_dict({"weight": factorized.dense_weight().detach()})
    x = torch.randn(2, 4, *sizes, dtype=torch.float64)
    assert torch.allclose(factorized(x), dense(x), atol=1e-14)
    expected = direct_spectral_conv(x, torch.view_as_complex(dense.weight), modes)  # explicit DFT
    assert torch.allclose(factorized(x), expected, atol=1e-12)
    bounded = torch.rand(2, 4, *sizes) * 2 - 1
    for precision in ("mixed", "half"):
        half = FactorizedSpectralConv(4, 3, modes, rank=5, precision=precision,
                                      half_dtype=torch.float16)
        half.load_state_dict({k: v.float() for k, v in factorized.state_dict().items()})
        ref = dense(bounded.double())
        assert (half(bounded).double() - ref).norm() / ref.norm() < 3e-3, precision
    with pytest.raises(ValueError, match="rank must be a positive integer"):
        FactorizedSpectralConv(4, 3, modes, rank=0)


def test_factorized_contraction_orders_agree_and_greedy_keeps_fewer_bytes():
    """Naive left to right keeps a (B, K, R, O, 2) intermediate; opt_einsum's paths do not."""
    from sciml_teach.experiments.contraction_runs import factorized_rows
    rows = {r["candidate"]: r for r in factorized_rows(2, 8, (8, 4), 4, torch.float32, "cpu",
                                                       repeats=1)}
    assert set(rows) == {"cp-naive", "cp-greedy", "cp-optimal"}
    assert all(r["max_rel_diff"] < 1e-5 for r in rows.values())
    # by hand: naive's largest is B K R O 2 = 2*32*4*8*2 float32 numbers
    assert rows["cp-naive"]["largest_intermediate_bytes"] == 2 * 32 * 4 * 8 * 2 * 4
    greedy, optimal, naive = rows["cp-greedy"], rows["cp-optimal"], rows["cp-naive"]
    assert greedy["largest_intermediate_bytes"] <= naive["largest_intermediate_bytes"] / 2
    assert greedy["intermediate_bytes"] < naive["intermediate_bytes"]
    # 'optimal' minimises opt_einsum's flop count, not memory: fewest flops of the three
    assert optimal["flops"] <= greedy["flops"] < naive["flops"]


def test_set_spectral_precision_switches_every_layer():
    from sciml_teach.models.fno import set_spectral_precision
    model = FNO(FNOConfig(modes=(4,), width=8, precision="half", stabilizer="tanh"))
    set_spectral_precision(model, "mixed")
    assert model.config.precision == "mixed"
    assert {m.precision for m in model.modules() if isinstance(m, SpectralConv)} == {"mixed"}
    with pytest.raises(ValueError, match="precision must be one of"):
        set_spectral_precision(model, "quarter")
