"""The course's GPU targets, checked against benchmark JSON files (used by ``gpu-report``).

Each target is a ratio measured within one run on one card, so it does not depend on how fast the
card is: AMP's step time against float32's for a wide PINN (Hayford et al. 2024), the mixed FNO's
memory and throughput against the full one (Tu et al. 2024, up to 50% less memory and 58% more
throughput), and ZCS against the better baseline (Leng et al. 2024, about an order of magnitude).
"""
from __future__ import annotations

import json
import math
import re
import statistics
from typing import Callable, Mapping


def gpu_slug(name: str) -> str:
    """'NVIDIA H100 80GB HBM3' -> 'nvidia-h100-80gb-hbm3' (for file names)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


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


def _matches(row: dict, match: dict) -> bool:
    return all(v(row.get(k)) if callable(v) else row.get(k) == v for k, v in match.items())


def median_ratio(rows: list[dict], top: dict, bottom: dict, key: str) -> float | None:
    """The median over seeds of top[key] / bottom[key], pairing rows of the same seed (rows
    without a seed pair with each other); None when no seed has both with a value."""
    ratios = []
    for seed in dict.fromkeys(r.get("seed") for r in rows):
        same = [r for r in rows if r.get("seed") == seed]
        a = next((r for r in same if _matches(r, top)), None)
        b = next((r for r in same if _matches(r, bottom)), None)
        value = _ratio(a, b, key)
        if value is not None and math.isfinite(value):
            ratios.append(value)
    return statistics.median(ratios) if ratios else None


FULL_FP32 = {"spectral_precision": "full", "policy": "fp32", "input_scale": 1.0}
FULL_AMP = {"spectral_precision": "full", "stabilizer": "none", "input_scale": 1.0,
            "policy": lambda p: p in ("amp-fp16", "amp-bf16")}
MIXED_TANH = {"spectral_precision": "mixed", "stabilizer": "tanh", "input_scale": 1.0}


def _fno_where(rows: list[dict], size: str) -> str:
    r = next(iter(rows), {})
    seeds = len({x.get("seed") for x in rows})
    shape = (f"Darcy {r.get('resolution')}², width {r.get('width', '?')}, modes "
             f"{r.get('modes', '?')}, batch {r.get('batch', '?')}" if r else "Darcy")
    return f"FNO {size} size ({shape}; median of {seeds} seed{'s' if seeds != 1 else ''})"


def fno_targets(docs: Mapping[str, dict]) -> list[str]:
    """Tu et al.'s targets at the busy size (arithmetic-bound), medians over seeds; at the
    lesson size (launch-bound on a GPU) the same ratios are reported without a target."""
    busy = _rows(docs, "fno-busy")
    where = _fno_where(busy, "busy")
    lines = [
        _line(f"{where}: mixed+tanh memory / float32", median_ratio(busy, MIXED_TANH, FULL_FP32,
              "memory_bytes"), lambda v: v <= 0.50, "<= 0.50"),
        _line(f"{where}: mixed+tanh throughput / float32", median_ratio(busy, MIXED_TANH, FULL_FP32,
              "throughput"), lambda v: v >= 1.3, ">= 1.3"),
        _line(f"{where}: mixed+tanh memory / full+AMP", median_ratio(busy, MIXED_TANH, FULL_AMP,
              "memory_bytes"), lambda v: v <= 1.0, "<= 1.0"),
        _line(f"{where}: mixed+tanh throughput / full+AMP", median_ratio(busy, MIXED_TANH, FULL_AMP,
              "throughput"), lambda v: v >= 1.0, ">= 1.0"),
        _line(f"{where}: mixed+tanh error / float32", median_ratio(busy, MIXED_TANH, FULL_FP32,
              "rel_l2_error"), lambda v: v <= 1.05, "<= 1.05")]
    lesson = _rows(docs, "fno")
    if lesson:
        ratios = {k: median_ratio(lesson, MIXED_TANH, FULL_FP32, k)
                  for k in ("memory_bytes", "throughput", "rel_l2_error")}
        shown = ", ".join(f"{what} **{v:.2f}**" for what, v in
                          zip(("memory", "throughput", "error"), ratios.values()) if v is not None)
        lines.append(f"- {_fno_where(lesson, 'lesson')}: mixed+tanh / float32: {shown or 'not measured'} "
                     "— reported, no target: at this size a step is a few ms of kernels behind "
                     "launches and host waits (see the profile and launch sections)")
    return lines


def zcs_sweep_rows(docs: Mapping[str, dict], M: int = 50, N: int = 4000) -> list[dict]:
    """``bench zcs``'s one-step rows of reaction-diffusion at (M, N). FuncLoop rows without a
    ``part`` were measured before FuncLoop followed the paper (it re-ran the trunk for every
    function): superseded (docs/results/README.md), so they are left out."""
    return [r for r in _rows(docs, "zcs") if r.get("part", "sweep") == "sweep"
            and r.get("problem") == "reaction_diffusion" and r.get("n_functions") == M
            and r.get("n_points") == N and not (r["strategy"] == "funcloop" and "part" not in r)]


def zcs_targets(docs: Mapping[str, dict], M: int = 50, N: int = 4000) -> list[str]:
    rows = zcs_sweep_rows(docs, M, N)
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


NOT_MEASURED = "not yet measured"


def load_results(folder) -> tuple[str, dict[str, dict]]:
    """(GPU name, {benchmark run: JSON document}) from the ``<run>-<gpu>.json`` files in
    ``folder`` (``docs/results/``); ("", {}) when there are none."""
    from pathlib import Path
    docs: dict[str, dict] = {}
    gpu = ""
    for path in sorted(Path(folder).glob("*.json")):
        doc = json.loads(path.read_text())
        if doc.get("device") != "cuda":
            continue
        gpu = doc.get("device_name") or gpu
        suffix = "-" + gpu_slug(gpu)
        if path.stem.endswith(suffix):
            docs[path.stem[:-len(suffix)]] = doc       # "precision-wide-nvidia-h100..." -> "precision-wide"
    return gpu, docs


def course_map_gpu_cells(gpu: str, docs: Mapping[str, dict]) -> dict[str, str]:
    """README's GPU column, lesson number -> what was measured for it on ``gpu`` (from ``docs``),
    or "not yet measured". A test keeps README equal to this."""
    from ..course import LESSONS
    cells = {e.number: NOT_MEASURED for e in LESSONS}
    card = gpu.replace("NVIDIA ", "").split(" ")[0] if gpu else ""
    wide = _rows(docs, "precision-wide")
    fp32, amp16, ampbf = (_find(wide, policy=p) for p in ("fp32", "amp-fp16", "amp-bf16"))
    if fp32 and amp16 and ampbf:
        cells["03"] = (f"{card}: AMP step time {amp16['step_time_s'] / fp32['step_time_s']:.2f}x "
                       f"(fp16) / {ampbf['step_time_s'] / fp32['step_time_s']:.2f}x (bf16) of fp32, "
                       f"{amp16['memory_bytes'] / fp32['memory_bytes']:.2f}x memory (512-wide PINN)")
    by = {r["strategy"]: r for r in zcs_sweep_rows(docs) if r["status"] == "ok"}
    if {"zcs", "datavect"} <= set(by):
        z = by["zcs"]
        best_memory = min(by[s]["memory_bytes"] for s in ("funcloop", "datavect") if s in by)
        loop = (f", {by['funcloop']['step_time_s'] / z['step_time_s']:.0f}x than FuncLoop"
                if "funcloop" in by else "")
        cells["05"] = (f"{card}: ZCS {best_memory / z['memory_bytes']:.0f}x less memory than the "
                       f"best baseline, {by['datavect']['step_time_s'] / z['step_time_s']:.1f}x "
                       f"faster than DataVect{loop} (M=50, N=4000)"
                       + ("" if loop else "; FuncLoop as the paper defines it not yet measured"))
    paper = {(r["policy"], r["adam_eps"]): r for r in _rows(docs, "precision")}
    if ("fp32", 1e-8) in paper and ("fp16", 1e-8) in paper and ("amp-fp16", 1e-8) in paper:
        fp16, amp = paper["fp16", 1e-8], paper["amp-fp16", 1e-8]
        cells["02"] = (f"{card}: Burgers PINN, {paper['fp32', 1e-8]['steps']} steps: pure fp16 "
                       f"{fp16['status']} at step {fp16['steps']}; AMP "
                       f"{amp['rel_l2_error'] / paper['fp32', 1e-8]['rel_l2_error']:.2f}x fp32's error")
    busy, lesson = _rows(docs, "fno-busy"), _rows(docs, "fno")
    fno, size = (busy, "busy size") if busy else (lesson, "lesson size")
    memory = median_ratio(fno, MIXED_TANH, FULL_FP32, "memory_bytes")
    speed = median_ratio(fno, MIXED_TANH, FULL_FP32, "throughput")
    if memory is not None and speed is not None:
        cells["06"] = (f"{card}: mixed+tanh {memory:.2f}x memory, {speed:.2f}x throughput of "
                       f"float32 (Darcy {fno[0]['resolution']}², {size})")
    return with_notebook_times(cells, card, _rows(docs, "notebooks"))


def with_notebook_times(cells: dict[str, str], card: str, rows: list[dict]) -> dict[str, str]:
    """Each lesson's cell with its full-mode wall time on the card (the ``notebooks`` part of the
    GPU report), or the reason it did not finish."""
    for r in rows:
        number = r.get("lesson")
        if number not in cells or r.get("kind") != "lesson":
            continue
        run = (f"full mode {_minutes(r['seconds'])}" if r.get("status") == "ok"
               else f"full mode {r.get('status')}")
        cells[number] = (f"{card}: {run}" if cells[number] == NOT_MEASURED
                         else f"{cells[number]}; {run}")
    return cells


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 60 else f"{int(seconds // 60)} min {seconds % 60:02.0f} s"
