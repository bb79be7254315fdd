"""The course's GPU targets, checked against benchmark JSON files (used by ``gpu-report``).

Each target is a ratio measured within one run on one card, so it does not depend on how fast the
card is: AMP's step time against float32's for a wide PINN (Hayford et al. 2024), the mixed FNO's
memory and throughput against the full one (Tu et al. 2024, up to 50% less memory and 58% more
throughput), and ZCS against the better baseline (Leng et al. 2024, about an order of magnitude).
"""
from __future__ import annotations

import math
from typing import Callable, Mapping


def _rows(docs: Mapping[str, dict], name: str) -> list[dict]:
    return docs.get(name, {}).get("rows", [])


def _find(rows: list[dict], **match) -> dict | None:
    return next((r for r in rows if all(r.get(k) == v for k, v in match.items())), None)


def _line(label: str, value: float | None, ok: Callable[[float], bool], target: str) -> str:
    if value is None or not math.isfinite(value):
        return f"- {label}: not measured (target {target})"
    return f"- {label}: **{value:.2f}** (target {target}) — {'met' if ok(value) else 'NOT met'}"


def _ratio(a: dict | None, b: dict | None, key: str) -> float | None:
    if not a or not b or not a.get(key) or not b.get(key):
        return None
    return a[key] / b[key]


def amp_targets(docs: Mapping[str, dict]) -> list[str]:
    rows = _rows(docs, "precision-wide")
    fp32 = _find(rows, policy="fp32")
    return [_line(f"PINN width 512, depth 4, 16k points: {p} step time / fp32",
                  _ratio(_find(rows, policy=p), fp32, "step_time_s"), lambda v: v <= 0.6, "<= 0.6")
            for p in ("amp-fp16", "amp-bf16")]


def fno_targets(docs: Mapping[str, dict]) -> list[str]:
    rows = _rows(docs, "fno")
    full = _find(rows, spectral_precision="full", policy="fp32", input_scale=1.0)
    mixed = _find(rows, spectral_precision="mixed", stabilizer="tanh", input_scale=1.0)
    where = f"FNO, Darcy {full['resolution']}x{full['resolution']}" if full else "FNO"
    error = _ratio(mixed, full, "rel_l2_error")
    return [_line(f"{where}: mixed+tanh memory / full", _ratio(mixed, full, "memory_bytes"),
                  lambda v: v <= 0.55, "<= 0.55"),
            _line(f"{where}: mixed+tanh throughput / full", _ratio(mixed, full, "throughput"),
                  lambda v: v >= 1.5, ">= 1.5"),
            _line(f"{where}: mixed+tanh error / full", error, lambda v: v <= 1.05, "<= 1.05")]


def zcs_targets(docs: Mapping[str, dict], M: int = 50, N: int = 4000) -> list[str]:
    rows = [r for r in _rows(docs, "zcs") if r.get("problem") == "reaction_diffusion"
            and r.get("n_functions") == M and r.get("n_points") == N]
    zcs = _find(rows, strategy="zcs", status="ok")
    baselines = [r for r in rows if r["strategy"] in ("funcloop", "datavect") and r["status"] == "ok"]
    lines = []
    for key, what in [("memory_bytes", "memory"), ("step_time_s", "step time")]:
        best = min((r[key] for r in baselines), default=None)
        factor = best / zcs[key] if best and zcs and zcs.get(key) else None
        lines.append(_line(f"ZCS, reaction-diffusion M={M}, N={N}: best baseline {what} / ZCS",
                           factor, lambda v: v >= 10, ">= 10"))
    return lines


def target_lines(docs: Mapping[str, dict]) -> list[str]:
    """One Markdown bullet per target: the measured ratio, the target, met or not."""
    return amp_targets(docs) + fno_targets(docs) + zcs_targets(docs)
