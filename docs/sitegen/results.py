"""Results pages: the benchmark JSON files -- GPU runs committed under docs/results/ and CPU quick
runs made during the build -- as tables and plots, each saying on what device, with which torch,
and when it was measured.

A JSON file holds ``{"benchmark", "device", "device_name", "torch", "memory_kind", "rows"}``
(:mod:`sciml_teach.bench.report`). The date is the file's own ``date`` key when it has one, else
the "Measured YYYY-MM-DD" line of the GPU report written beside it, else the date of the commit
that last changed it (and the page says which).
"""
from __future__ import annotations

import importlib
import json
import math
import re
import subprocess
import sys
import time
from pathlib import Path

from sciml_teach.meters import format_bytes

from . import ROOT
from .execute import package_digest

# The CPU runs made during the build, sized for a 2-core machine (measured on a shared one: precision
# 7-11 s; zcs with a 1 GiB budget, where the baselines' M=50 cells become over-budget rows, 20-29 s;
# fno 20-37 s). The plain --quick runs took 108 s, 96 s and 330 s: too long for every build.
CPU_RUNS = {
    "precision": ["--policies", "fp32,bf16,amp-bf16,amp-fp16", "--steps", "300"],
    "zcs": ["--problems", "reaction_diffusion", "--memory-budget", "1GiB"],
    "fno": ["--steps", "20"],
}


def run_cpu_benchmarks(folder: Path, log=print) -> list[Path]:
    """Run :data:`CPU_RUNS` in quick mode on the CPU, one process each, alone on the machine (their
    timings are the point); cached by the package's source like the notebooks."""
    folder.mkdir(parents=True, exist_ok=True)
    key = package_digest()[:12]
    paths = []
    for name, args in CPU_RUNS.items():
        path = folder / f"{name}-cpu-{key}.json"
        if not path.exists():
            start = time.perf_counter()
            tmp = path.with_suffix(".tmp")
            cmd = [sys.executable, "-m", "sciml_teach.bench", name, "--quick", "--device", "cpu",
                   "--no-progress", "--json", str(tmp), *args]
            subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
            doc = json.loads(tmp.read_text())
            doc["date"] = time.strftime("%Y-%m-%d", time.gmtime())
            doc["command"] = " ".join(["python -m sciml_teach.bench", name, "--quick", *args])
            path.write_text(json.dumps(doc, indent=2))
            tmp.unlink()
            log(f"  measured {name} on the CPU in {time.perf_counter() - start:.0f} s")
        else:
            log(f"  cached   {name} on the CPU")
        paths.append(path)
    return paths


def measured_on(path: Path, doc: dict) -> str:
    """When ``path`` was measured, and how we know."""
    if doc.get("date"):
        return doc["date"]
    slug = path.stem.split("-", 1)[1] if "-" in path.stem else ""
    for report in path.parent.glob("gpu-*.md"):
        if slug.endswith(report.stem.removeprefix("gpu-")):
            found = re.search(r"Measured (\d{4}-\d\d-\d\d)", report.read_text())
            if found:
                return f"{found.group(1)} (from {report.name})"
    try:
        date = subprocess.run(["git", "log", "-1", "--format=%cs", "--", str(path)], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        date = ""
    return f"{date} (the commit that added the file)" if date else "unknown"


def _cell(key: str, value) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, float) and not math.isfinite(value):
        return "-"
    if key.endswith("bytes") and isinstance(value, (int, float)):
        return format_bytes(value)
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value).replace("|", "/")


def table(doc: dict) -> str:
    """The rows as a Markdown table, in the columns the benchmark's CLI prints."""
    columns = importlib.import_module(f"sciml_teach.bench.{doc['benchmark']}").COLUMNS
    rows = doc["rows"]
    columns = [c for c in columns if any(c in r for r in rows)]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(c, r.get(c)) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def figure(doc: dict):
    """A plot of the run (matplotlib Figure), drawn with the library's own figures."""
    from sciml_teach.viz.bars import sweep_curves
    from sciml_teach.viz.figures import bar_chart
    rows = [r for r in doc["rows"] if r.get("status") in ("ok", "stalled", "diverged")]
    if doc["benchmark"] == "zcs":
        first = [r for r in doc["rows"] if r["problem"] == doc["rows"][0]["problem"]]
        n_points = first[0]["n_points"]
        return sweep_curves([r for r in first if r["n_points"] == n_points])
    if doc["benchmark"] == "precision":
        return bar_chart({f"{r['policy']} eps={r['adam_eps']:g}": r["memory_bytes"] / 2**20
                          for r in rows if r.get("memory_bytes")},
                         "MiB", f"{rows[0]['problem']} PINN: memory per policy")
    return bar_chart({f"{r['spectral_precision']}/{r['stabilizer']} x{r['input_scale']:g}":
                      r["memory_bytes"] / 2**20 for r in rows if r.get("memory_bytes")},
                     "MiB", f"FNO, {rows[0]['problem']}: memory per setting")


def section(path: Path, doc: dict, images: Path, link_prefix: str) -> str:
    """One run: what, where, when; the plot; the table."""
    from sciml_teach.viz.render import to_png
    device = doc.get("device_name") or doc["device"]
    image = images / f"{path.stem}.png"
    image.write_bytes(to_png(figure(doc)))
    lines = [f"### {doc['benchmark']} on {device}", "",
             f"- **device:** {doc['device']} ({device}); memory measured as `{doc['memory_kind']}`",
             f"- **torch:** {doc['torch']}",
             f"- **measured:** {measured_on(path, doc)}",
             f"- **file:** `{path.name}`"]
    if doc.get("command"):
        lines.append(f"- **command:** `{doc['command']}`")
    lines += ["", f"![{doc['benchmark']} on {device}]({link_prefix}{image.name})", "", table(doc), ""]
    return "\n".join(lines)


def results_page(gpu_folder: Path, cpu_files: list[Path], out: Path) -> str:
    """The MyST source of the results page; its images are written beside ``out``."""
    images = out.parent / "results_images"
    images.mkdir(parents=True, exist_ok=True)
    lines = ["# Results", "",
             "Benchmark tables measured with `python -m sciml_teach.bench`. GPU runs are committed "
             "under `docs/results/` ([how they were made](../results/README.md)); CPU runs were "
             "made by this site's build, in quick mode, on the machine that built it (a shared "
             "CI machine: treat the timings as rough).", "", "## GPU runs", ""]
    for path in sorted(gpu_folder.glob("*.json")):
        lines.append(section(path, json.loads(path.read_text()), images, "results_images/"))
    lines += ["## CPU runs made during the build", "",
              "Sized to keep the build short: few training steps, so their memory and step times "
              "are measured as in a full run but their errors are far from converged; the zcs run "
              "has a 1 GiB budget, so the baselines' larger cells are `over_budget` rows (predicted, "
              "not run). The command under each table reproduces it.", ""]
    for path in cpu_files:
        lines.append(section(path, json.loads(path.read_text()), images, "results_images/"))
    return "\n".join(lines)
