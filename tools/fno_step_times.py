"""Median and best step time and saved bytes of the FNO's spectral settings on this machine, for the
sciml_teach first on PYTHONPATH: compare two commits by running it against each (one thread).

    PYTHONPATH=. python tools/fno_step_times.py > after.json
    git worktree add /tmp/before <commit> && PYTHONPATH=/tmp/before python tools/fno_step_times.py > before.json
"""
import json
import statistics
import time

import torch

import sciml_teach as st

torch.set_num_threads(1)
rows = {}
for name, modes, width, res, batch in [("burgers-1d", (12,), 24, 64, 16), ("darcy-64", (12, 12), 32, 64, 16)]:
    for precision, stabilizer, policy in [("full", "none", "fp32"), ("full", "none", "amp-bf16"),
                                          ("mixed", "tanh", "amp-bf16"), ("half", "tanh", "amp-bf16")]:
        torch.manual_seed(0)
        model = st.FNO(st.FNOConfig(modes=modes, width=width, projection=2 * width, precision=precision,
                                    stabilizer=stabilizer, half_dtype=torch.float16))
        a = torch.randn(batch, 1, *([res] * len(modes)))                # (B, 1, *N)
        step = st.TrainStep(model, lambda m: m(a).float().square().mean(), policy=policy)
        saved = st.saved_bytes(lambda: step())
        times = []
        for _ in range(12):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        rows[f"{name} {precision}+{stabilizer} {policy}"] = {
            "best_s": min(times[2:]), "median_s": statistics.median(times[2:]), "saved_bytes": saved}
print(json.dumps(rows, indent=1))
