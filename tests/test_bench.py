import json

import pytest

from sciml_teach.bench.__main__ import main


def test_precision_bench_writes_the_documented_json(tmp_path, capsys):
    out = tmp_path / "r.json"
    code = main(["precision", "--quick", "--device", "cpu", "--steps", "30",
                 "--policies", "fp32,fp16,amp-bf16", "--json", str(out)])
    assert code == 0
    doc = json.loads(out.read_text())
    assert {"benchmark", "device", "torch", "memory_kind", "rows"} <= set(doc)
    assert doc["memory_kind"] == "autograd_saved" and doc["device"] == "cpu"
    rows = {(r["policy"], r["adam_eps"]): r for r in doc["rows"]}
    assert set(rows) == {("fp32", 1e-8), ("fp16", 1e-8), ("fp16", 1e-4), ("amp-bf16", 1e-8)}
    for r in doc["rows"]:
        assert {"policy", "status", "rel_l2_error", "step_time_s", "memory_bytes", "steps"} <= set(r)
    assert rows[("fp16", 1e-8)]["status"] == "diverged"
    assert rows[("fp16", 1e-8)]["rel_l2_error"] is None  # NaN is written as null
    assert rows[("amp-bf16", 1e-8)]["memory_vs_fp32"] <= 0.6
    assert "policy" in capsys.readouterr().out


def test_unknown_benchmark_and_missing_gpu_are_clear(capsys):
    with pytest.raises(SystemExit):
        main(["nope"])
    import torch
    if not torch.cuda.is_available():
        assert main(["precision", "--device", "cuda"]) == 2
        assert "no CUDA GPU" in capsys.readouterr().err


def test_gpu_report_targets_are_ratios_read_from_the_rows():
    from sciml_teach.bench.summary import gpu_slug
    from sciml_teach.bench.summary import target_lines
    assert gpu_slug("NVIDIA H100 80GB HBM3") == "nvidia-h100-80gb-hbm3"
    docs = {
        "precision-wide": {"rows": [{"policy": "fp32", "step_time_s": 0.010},
                                    {"policy": "amp-fp16", "step_time_s": 0.004},
                                    {"policy": "amp-bf16", "step_time_s": 0.008}]},
        "fno-busy": {"rows": [
            {"spectral_precision": p, "stabilizer": st_, "policy": pol, "input_scale": 1.0,
             "resolution": 256, "width": 64, "modes": "32x32", "batch": 32, "seed": seed,
             "memory_bytes": m, "throughput": t, "rel_l2_error": e}
            for seed, scale in [(0, 1.0), (1, 1.0), (2, 2.0)]     # seed 2's ratios are off: medians
            for p, st_, pol, m, t, e in [("full", "none", "fp32", 100, 10.0, 0.10),
                                         ("full", "none", "amp-fp16", 55, 14.0, 0.10),
                                         ("mixed", "tanh", "amp-fp16", 50 * scale, 16.0 * scale,
                                          0.104)]]},
        "zcs": {"rows": [{"part": "sweep", "problem": "reaction_diffusion", "n_functions": 50,
                          "n_points": 4000,
                          "strategy": s, "status": "ok", "memory_bytes": m, "step_time_s": t}
                         for s, m, t in [("funcloop", 3000, 5.0), ("datavect", 4000, 2.0),
                                         ("zcs", 100, 0.1)]]},
    }
    lines = target_lines(docs)
    assert "amp-fp16 step time / fp32: **0.40** (target <= 0.6) — met" in lines[0]
    assert "NOT met" in lines[1]                       # 0.80 > 0.6
    assert "median of 3 seeds" in lines[2]
    assert "memory / float32: **0.50**" in lines[2] and "— met" in lines[2]
    assert "throughput / float32: **1.60**" in lines[3] and "— met" in lines[3]
    assert "memory / full+AMP: **0.91**" in lines[4] and "throughput / full+AMP: **1.14**" in lines[5]
    assert "error / float32: **1.04**" in lines[6] and "— met" in lines[6]
    assert "memory / ZCS: **30.00**" in lines[7] and "step time / ZCS: **20.00**" in lines[8]
    assert all("not measured" in line for line in target_lines({}))


def test_fno_bench_on_navier_stokes_quick(tmp_path, monkeypatch):
    """``bench fno --problem navier-stokes --quick`` (32^2): Darcy's four rows, a few steps."""
    monkeypatch.setenv("SCIML_TEACH_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "ns.json"
    assert main(["fno", "--problem", "navier-stokes", "--quick", "--steps", "2", "--samples",
                 "16,8", "--settings", "full-fp32,full-amp,mixed-tanh,half-tanh", "--json",
                 str(out), "--no-progress"]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert [(r["part"], r["spectral_precision"], r["stabilizer"]) for r in rows] == [
        ("settings", "full", "none"), ("settings", "full", "none"), ("settings", "mixed", "tanh"),
        ("settings", "half", "tanh")]
    assert all(r["resolution"] == 32 and r["problem"] == "navier-stokes" and r["memory_bytes"] > 0
               for r in rows)


def test_schedule_and_superres_rows(tmp_path, monkeypatch):
    """What ``--parts schedule,superres`` adds, at a tiny width: the schedule against the three
    constant precisions, and each FNO's error at n, 2n and 4n."""
    from sciml_teach.experiments.fno_schedule import phase_steps, schedule_rows, superres_rows
    from sciml_teach.experiments.fno_settings import fno_data
    monkeypatch.setenv("SCIML_TEACH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SCIML_TEACH_QUICK", "1")
    assert phase_steps(8) == [2, 4, 2] and phase_steps(2000) == [500, 1000, 500]
    data = fno_data("navier-stokes", samples=(8, 4))
    rows = schedule_rows(data, "cpu", steps=8, seeds=(0,), width=8, batch=4)
    assert [r["schedule"] for r in rows] == ["full-fp32", "mixed-tanh", "half-tanh",
                                             "half->mixed->full"]
    assert all(r["memory_bytes"] > 0 and r["train_seconds"] > 0 and r["status"] == "ok"
               for r in rows)
    superres = superres_rows(data, "cpu", steps=2, width=8, batch=4, n_test=2)
    assert [(r["schedule"], r["eval_resolution"]) for r in superres] == [
        (s, n) for s in ("full-fp32", "mixed-tanh") for n in (32, 64, 128)]
    assert all(r["error_vs_train_res"] > 0 for r in superres)


def test_fno_bench_refuses_extras_off_navier_stokes_and_unknown_problems(capsys):
    assert main(["fno", "--quick", "--parts", "schedule", "--steps", "1"]) == 2
    assert "navier-stokes only" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["fno", "--problem", "kolmogorov"])
    assert "invalid choice: 'kolmogorov'" in capsys.readouterr().err
