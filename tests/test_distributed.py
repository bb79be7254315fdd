"""Data parallelism (lesson 08): 2 gloo processes started by torchrun against 1 process x M.

One torchrun job (module fixture, with a timeout, in its own process session, at a free port
chosen by ``--standalone``) trains every variant: the right one and the three broken ones. The
right one must give 1 process x M's gradient and loss curve, identical replicas, about one 16-bit
rounding with compressed gradients, and half of DataVect's bytes per rank; the lesson's own check
cell must fail on each broken variant with the message that names it. Bad input is one line in
our words. Nothing here needs a GPU (tests/test_cuda.py runs the NCCL path).
"""
import json
import os
from pathlib import Path

import pytest
import torch

import sciml_teach as st
from sciml_teach.bench import __main__ as bench_main

ROOT = Path(__file__).resolve().parent.parent
SIZES = ["--functions", "8", "--points", "200", "--width", "32", "--steps", "20", "--device", "cpu"]


def _marked(mark: str) -> list[int]:
    """Live processes whose environment holds ``MARK=mark``: everything one launch started,
    torchrun and its ranks (each rank runs in a session of its own). Linux /proc."""
    alive = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if f"SCIML_TEACH_TEST_MARK={mark}".encode() in environ.read_bytes().split(b"\0"):
                state = (environ.parent / "stat").read_text().rsplit(")", 1)[1].split()[0]
                alive += [] if state == "Z" else [int(environ.parent.name)]
        except OSError:  # ended while we looked, or not ours to read
            continue
    return alive


@pytest.fixture(scope="module")
def runs():
    mark = f"runs-{os.getpid()}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SCIML_TEACH_TEST_MARK", mark)
        doc = st.launch_ddp(2, [*SIZES, "--reference", "--strategies", "zcs,datavect",
                                "--compressions", "fp32,bf16",
                                "--broken", "none,no-split,no-average,one-rank-skips"],
                            timeout_s=400, log=None)
    return doc, mark


def rows_of(doc, broken="none"):
    return [r for r in doc["rows"] if r["broken"] == broken]


def test_rank_0_writes_one_json_and_no_process_is_left(runs):
    doc, mark = runs
    assert doc["benchmark"] == "ddp" and len(doc["rows"]) == 16
    assert all(r["ranks"] == 2 and r["backend"] == "gloo" for r in doc["rows"])
    assert all(r["per_rank"] == (8 if r["broken"] == "no-split" else 4) for r in doc["rows"])
    assert not _marked(mark), "torchrun left processes behind"


@pytest.mark.parametrize("strategy", ["zcs", "datavect"])
def test_two_ranks_give_one_process_gradient_and_loss_curve(runs, strategy):
    r = st.ddp_row(rows_of(runs[0]), strategy=strategy, compression="fp32")
    assert r["grad_rel_diff"] <= 1e-6, r["grad_rel_diff"]
    assert len(r["loss"]) == len(r["reference_loss"]) == 20
    assert max(abs(a / b - 1) for a, b in zip(r["loss"], r["reference_loss"])) <= 1e-5
    assert r["rank_weight_diff"] == 0 and r["skipped"] == [0, 0] and r["status"] == "ok"


def test_bytes_all_reduced_are_parameters_times_bytes_per_element(runs):
    fp32, bf16 = (st.ddp_row(rows_of(runs[0]), strategy="zcs", compression=c) for c in ("fp32", "bf16"))
    model = st.DeepONet(st.DeepONetConfig(width=32, n_features=32))
    assert fp32["params"] == sum(p.numel() for p in model.parameters())
    assert fp32["allreduce_bytes"] == 4 * fp32["params"] and bf16["allreduce_bytes"] == 2 * bf16["params"]
    assert bf16["hook"].startswith("bf16_allreduce_hook")       # PyTorch's bf16 hook refuses gloo


def test_bf16_gradients_differ_by_about_the_unit_roundoff(runs):
    u = 2.0 ** -8
    for strategy in ("zcs", "datavect"):
        r = st.ddp_row(rows_of(runs[0]), strategy=strategy, compression="bf16")
        assert 0.1 * u <= r["grad_rel_diff"] <= u, r["grad_rel_diff"]
        assert r["rank_weight_diff"] == 0


def test_per_rank_memory_halves_for_datavect_and_stays_flat_for_zcs(runs):
    ratio = {r["strategy"]: r["saved_bytes"] / r["reference_saved_bytes"]
             for r in rows_of(runs[0]) if r["compression"] == "fp32"}
    assert 0.45 <= ratio["datavect"] <= 0.55 and ratio["zcs"] >= 0.9, ratio


# --- the lesson's checks, on the right rows and on each broken variant ------------------------

def cell(needle: str) -> str:
    """The one code cell of lesson 08 that contains ``needle``."""
    nb = json.loads((ROOT / "notebooks" / "08_beyond_one_device.ipynb").read_text())
    hits = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code" and needle in "".join(c["source"])]
    assert len(hits) == 1, f"{len(hits)} cells contain {needle!r}"
    return hits[0]


def run_cell(source: str, **names) -> dict:
    namespace = {"st": st, "torch": torch, **names}
    exec(compile(source, "<lesson 08 cell>", "exec"), namespace)
    return namespace


CHECKS = 'row = lambda strategy, compression="fp32"'


def test_the_lesson_checks_pass_on_the_right_rows(runs):
    run_cell(cell(CHECKS), checks=rows_of(runs[0]))


@pytest.mark.parametrize("broken, message", [
    ("no-split", "about half of DataVect's bytes"),
    ("no-average", "1 process x M's gradient"),
    ("one-rank-skips", "the same weights after every step"),
])
def test_the_lesson_check_fails_on_a_broken_variant(runs, broken, message):
    with pytest.raises(AssertionError, match=message):
        run_cell(cell(CHECKS), checks=rows_of(runs[0], broken))


def test_the_compression_check_fails_when_gradients_are_not_compressed(runs):
    rows = [r for r in rows_of(runs[0]) if r["compression"] == "fp32"]
    fake = [{**r, "compression": c, "allreduce_bytes": r["allreduce_bytes"] // 2}
            for r in rows for c in ("fp16", "bf16")]             # labelled 16-bit, sent in fp32
    names = run_cell(cell(CHECKS), checks=rows + fake)
    with pytest.raises(AssertionError, match="unit roundoff"):
        run_cell(cell('unit = {"fp16"'), **names)


def test_ddp_figure_draws_curves_and_memory(runs):
    fig = st.ddp_figure(rows_of(runs[0]))
    assert len(fig.axes) == 2 and fig.axes[0].get_lines()
    with pytest.raises(ValueError, match="--reference"):
        st.ddp_figure([{**r, "reference_loss": None} for r in rows_of(runs[0])])


# --- a world of one, without torchrun; bad input ---------------------------------------------

def test_bench_without_torchrun_is_a_world_of_one(tmp_path, capsys):
    path = tmp_path / "rows.json"
    assert bench_main.main(["ddp", "--quick", "--steps", "2", "--compressions", "fp32,fp16",
                            "--device", "cpu", "--json", str(path)]) == 0
    rows = json.loads(path.read_text())["rows"]
    assert [(r["ranks"], r["per_rank"], r["compression"]) for r in rows] == [(1, 8, "fp32"), (1, 8, "fp16")]
    assert rows[1]["hook"] == "fp16_compress_hook (PyTorch)" and not torch.distributed.is_initialized()


@pytest.mark.parametrize("env, args, words", [
    ({"WORLD_SIZE": "4"}, ["--functions", "3"], "4 ranks but only 3 functions"),
    ({"WORLD_SIZE": "4"}, ["--functions", "10"], "10 functions do not split equally over 4 ranks"),
    ({}, ["--backend", "mpi"], "unknown backend 'mpi'"),
    ({}, ["--backend", "nccl"], "backend 'nccl' needs CUDA GPUs"),
    ({}, ["--compressions", "fp8"], "'fp8'"),
    ({}, ["--broken", "everything"], "'everything'"),
])
def test_bad_input_is_one_line_in_our_words(monkeypatch, capsys, env, args, words):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        code = bench_main.main(["ddp", "--device", "cpu", *args])
    except SystemExit as exit_:                                  # argparse's own refusals
        code = exit_.code
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and words in lines[0], lines
    assert not torch.distributed.is_initialized()


def test_library_refusals_say_what_to_do(monkeypatch):
    with pytest.raises(ValueError, match="use at most 3 ranks"):
        st.check_split(3, 4)
    with pytest.raises(ValueError, match="choose M divisible by 4"):
        st.shard_functions(torch.zeros(10, 5), 0, 4)
    with pytest.raises(ValueError, match="valid: auto, gloo, nccl"):
        st.check_backend("mpi", torch.device("cpu"))
    with pytest.raises(ValueError, match="unknown compression 'fp8'"):
        st.compression_hook("fp8", "gloo")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)   # a machine with one GPU ...
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")                      # ... and 2 ranks on it
    with pytest.raises(ValueError, match="2 ranks on this machine but 1 GPU"):
        st.init_world("cuda")


def test_a_torchrun_mistake_reaches_the_notebook_as_our_line():
    with pytest.raises(RuntimeError, match="3 functions do not split equally over 2 ranks"):
        st.launch_ddp(2, ["--functions", "3", "--device", "cpu"], timeout_s=300, log=None)


def test_a_launch_past_its_timeout_leaves_no_process(monkeypatch):
    mark = f"timeout-{os.getpid()}"
    monkeypatch.setenv("SCIML_TEACH_TEST_MARK", mark)
    with pytest.raises(RuntimeError, match="did not finish in 4 s"):
        st.launch_ddp(2, [*SIZES, "--steps", "100000"], timeout_s=4, log=None)
    assert not _marked(mark), "processes outlived the timeout"


# --- launch_script: the per-rank program lesson 08 writes, started by torchrun -----------------

RANK_SCRIPT = """import os, sys, time
sys.stdout.write(f"rank {os.environ['RANK']} of {os.environ['WORLD_SIZE']}\\n")  # one write: whole lines
time.sleep(float(sys.argv[1]))
sys.exit(int(sys.argv[2]))
"""


def test_launch_script_runs_every_rank_and_returns_what_they_printed(tmp_path):
    script = tmp_path / "ranks.py"
    script.write_text(RANK_SCRIPT)
    output = st.launch_script(2, script, ["0", "0"], timeout_s=120, log=None)
    assert sorted(line for line in output.splitlines() if line.startswith("rank")) == ["rank 0 of 2", "rank 1 of 2"]


def test_launch_script_failure_timeout_and_missing_file(tmp_path, monkeypatch):
    script = tmp_path / "ranks.py"
    script.write_text(RANK_SCRIPT)
    with pytest.raises(RuntimeError, match="failed \\(exit 1\\)"):          # a rank exits with 3
        st.launch_script(2, script, ["0", "3"], timeout_s=120, log=None)
    raising = tmp_path / "raising.py"
    raising.write_text("def f():\n    raise ValueError('no data on this rank')\nf()\n")
    with pytest.raises(RuntimeError, match="(?s)Traceback.*ValueError: no data on this rank"):
        st.launch_script(2, raising, timeout_s=120, log=None)     # the rank's own traceback
    mark = f"script-{os.getpid()}"
    monkeypatch.setenv("SCIML_TEACH_TEST_MARK", mark)
    with pytest.raises(RuntimeError, match="did not finish in 4 s"):
        st.launch_script(2, script, ["1000", "0"], timeout_s=4, log=None)
    assert not _marked(mark), "processes outlived the timeout"
    with pytest.raises(ValueError, match="is not a file: write it first"):
        st.launch_script(2, tmp_path / "missing.py", log=None)
    with pytest.raises(ValueError, match="timeout_s"):
        st.launch_script(2, script, timeout_s=0, log=None)
