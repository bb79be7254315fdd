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
