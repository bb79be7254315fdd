"""The tools behind the GPU report, on a CPU: the profile table, the launch-overhead runs, the
contraction candidates and the CUDA-graph step's refusals (its replays are tested in
tests/test_cuda.py, on a GPU)."""
import math

import pytest
import torch

import sciml_teach as st
from sciml_teach.experiments.launch_runs import launch_rows, placed
from sciml_teach.experiments.profile_runs import CATEGORIES, category, dominant, profile_rows


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIML_TEACH_CACHE", str(tmp_path))
    monkeypatch.setenv("SCIML_TEACH_QUICK", "1")


@pytest.mark.parametrize("name,expected", [
    ("void vector_fft<128u, 16u, 8u>(...)", "fft"), ("aten::_fft_c2r", "fft"),
    ("sm90_xmma_gemm_f16f16_f32f32_tn_n", "contraction"), ("aten::bmm", "contraction"),
    ("cudnn::engines_precompiled::nchwToNhwcKernel", "convolution"),
    ("aten::convolution_backward", "convolution"),
    ("void at::native::direct_copy_kernel_cuda(...)", "copies/casts"), ("aten::cat", "copies/casts"),
    ("void at::native::multi_tensor_apply_kernel<...Adam...>", "optimizer"),
    ("void at::native::vectorized_elementwise_kernel<GeluCUDAKernel>", "other")])
def test_profile_categories(name, expected):
    assert category(name) == expected


def test_profile_rows_add_up_on_cpu():
    rows = profile_rows(sizes=("lesson",), names=("mixed-tanh",), device="cpu", top=3, steps=1)
    summary = [r for r in rows if r["kind"] == "summary"]
    cats = [r for r in rows if r["kind"] == "category"]
    assert len(summary) == 1 and [r["name"] for r in cats] == list(CATEGORIES)
    assert math.isclose(sum(r["ms_per_step"] for r in cats), summary[0]["kernel_ms"], rel_tol=1e-6)
    assert len([r for r in rows if r["kind"] == "kernel"]) == 3
    assert dominant(rows, "lesson", "mixed-tanh") in CATEGORIES


def test_launch_rows_on_cpu_compare_the_same_computation():
    rows = launch_rows(models=("burgers-pinn",), policies=("fp32",), steps=2, device="cpu")
    by = {r["variant"]: r for r in rows}
    assert by["eager"]["status"] == by["device data"]["status"] == "ok"
    assert by["device data"]["loss_rel_diff"] == 0.0, "moving the data once changes no number"
    assert by["cuda graph"]["status"] == "n/a" and "CUDA" in by["cuda graph"]["note"]


def test_placed_problem_holds_its_tensors_on_the_models_dtype():
    problem = st.BurgersPINN(n_collocation=16)
    moved = placed(problem, torch.device("cpu"), torch.float32)
    assert moved.xt.dtype == torch.float32 and problem.xt.dtype == torch.float64


def test_cuda_graph_step_says_what_it_needs():
    model = torch.nn.Linear(2, 1)
    step = st.TrainStep(model, lambda m: m(torch.ones(3, 2)).square().mean())
    with pytest.raises(ValueError, match="CUDA GPU.*TrainStep itself"):
        st.CUDAGraphStep(step)
    with pytest.raises(ValueError, match="warmup"):
        st.CUDAGraphStep(step, warmup=0)
    with pytest.raises(ValueError, match="wraps a st.TrainStep"):
        st.CUDAGraphStep(lambda: None)
