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
        "fno": {"rows": [{"spectral_precision": "full", "stabilizer": "none", "policy": "fp32",
                          "input_scale": 1.0, "resolution": 128, "memory_bytes": 100,
                          "throughput": 10.0, "rel_l2_error": 0.10},
                         {"spectral_precision": "mixed", "stabilizer": "tanh", "policy": "amp-fp16",
                          "input_scale": 1.0, "resolution": 128, "memory_bytes": 50,
                          "throughput": 16.0, "rel_l2_error": 0.104}]},
        "zcs": {"rows": [{"problem": "reaction_diffusion", "n_functions": 50, "n_points": 4000,
                          "strategy": s, "status": "ok", "memory_bytes": m, "step_time_s": t}
                         for s, m, t in [("funcloop", 3000, 5.0), ("datavect", 4000, 2.0),
                                         ("zcs", 100, 0.1)]]},
    }
    lines = target_lines(docs)
    assert "amp-fp16 step time / fp32: **0.40** (target <= 0.6) — met" in lines[0]
    assert "NOT met" in lines[1]                       # 0.80 > 0.6
    assert "**0.50**" in lines[2] and "met" in lines[2] and "**1.60**" in lines[3]
    assert "**1.04**" in lines[4] and "— met" in lines[4]
    assert "memory / ZCS: **30.00**" in lines[5] and "step time / ZCS: **20.00**" in lines[6]
    assert all("not measured" in line for line in target_lines({}))
