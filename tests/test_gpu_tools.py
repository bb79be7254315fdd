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


def test_gpu_report_dry_run_and_an_earlier_test_result(tmp_path, capsys):
    """The plumbing on a CPU: parts run, the page is written, and a page rewritten by a later call
    still says what tests/test_cuda.py did in an earlier one (the H100 page said "not run")."""
    from sciml_teach.bench.__main__ import main
    log = tmp_path / "gpu-report-cpu-dry-run.log"
    log.write_text("$ python -m pytest /x/tests/test_cuda.py -q\n.....\n43 passed in 60.1s\n\n"
                   "[ok in 62 s]\n\n")
    assert main(["gpu-report", "--dry-run", "--out", str(tmp_path), "--only", "contraction"]) == 0
    page = (tmp_path / "gpu-cpu-dry-run.md").read_text()
    assert page.startswith("# DRY RUN on the CPU")
    assert "**tests/test_cuda.py**: ok (an earlier call) — 43 passed in 60.1s" in page
    assert "### contraction (ok)" in page and "block-bmm" in page
    assert main(["gpu-report", "--dry-run", "--out", str(tmp_path), "--only", "nope"]) == 2


def test_gpu_report_budget_skips_parts_it_cannot_finish(tmp_path):
    from sciml_teach.bench.__main__ import main
    assert main(["gpu-report", "--dry-run", "--out", str(tmp_path), "--only", "zcs,contraction",
                 "--budget-s", "10"]) == 0
    page = (tmp_path / "gpu-cpu-dry-run.md").read_text()
    assert "### zcs (not run: the 10 s budget was spent)" in page


def test_notebook_runs_time_a_notebook_and_find_its_key_figure(tmp_path, monkeypatch):
    import nbformat
    from sciml_teach.bench import notebook_runs
    monkeypatch.setattr(notebook_runs, "ROOT", tmp_path)
    (tmp_path / "notebooks").mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "print('warm-up 3x')\nprint('saved bytes vs full: naive AMP 0.98x, mixed + tanh 0.52x')")])
    path = tmp_path / "notebooks" / "06_demo.ipynb"
    nbformat.write(nb, path)
    result = tmp_path / "row.json"
    notebook_runs.execute_one(path, result)
    import json
    row = json.loads(result.read_text())
    assert row["status"] == "ok" and row["lesson"] == "06" and row["kind"] == "lesson"
    assert row["key_figure"] == "saved bytes vs full: naive AMP 0.98x, mixed + tanh 0.52x"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0")]), path)
    notebook_runs.execute_one(path, result)
    assert json.loads(result.read_text())["status"] == "failed"


def test_course_map_cells_carry_full_mode_times():
    from sciml_teach.bench.summary import NOT_MEASURED, with_notebook_times
    cells = with_notebook_times({"03": "H100: AMP 0.59x", "04": NOT_MEASURED, "05": NOT_MEASURED},
                                "H100", [
        {"lesson": "03", "kind": "lesson", "status": "ok", "seconds": 95.2},
        {"lesson": "03", "kind": "solution", "status": "ok", "seconds": 20.0},
        {"lesson": "04", "kind": "lesson", "status": "timed out after 300 s", "seconds": 300.0}])
    assert cells == {"03": "H100: AMP 0.59x; full mode 1 min 35 s",
                     "04": "H100: full mode timed out after 300 s", "05": NOT_MEASURED}


def test_lesson_03_launch_check_fails_when_moving_the_data_changes_numbers():
    """Lesson 03's 'device data' check, on a variant whose move also rounds to bfloat16."""
    from sciml_teach.experiments import launch_runs
    from test_checks_can_fail import cell, fails, st_with

    source = cell("03", "launch = st.launch_rows(")
    report = st.capability_report()
    broken = launch_runs.placed
    try:
        launch_runs.placed = lambda problem, device, dtype: _placed_bf16(problem, device)
        fails(source, "changes when the copies happen", report=report)
    finally:
        launch_runs.placed = broken


def _placed_bf16(problem, device):
    import copy
    moved = copy.copy(problem)
    for name, value in vars(problem).items():
        if torch.is_tensor(value) and value.is_floating_point():
            setattr(moved, name, value.to(device, torch.bfloat16).float())   # rounded on the way
    return moved
