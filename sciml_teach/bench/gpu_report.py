"""``python -m sciml_teach.bench gpu-report --out docs/results/``: the one GPU check.

On a machine with a CUDA GPU this runs, each in its own process (a failure or time-out loses only
that part), and writes into ``--out``:

1. ``tests/test_cuda.py`` -- every problem, strategy, policy and spectral precision on the GPU
   against the CPU (its output goes to ``gpu-report-<gpu>.log`` with every command's);
2. the three papers' benchmarks at GPU sizes -- the Burgers PINN of Hayford et al. 2024 under every
   policy, a wide PINN (width 512, depth 4, 16k points) for the AMP speed-up, the ZCS sweep of
   Leng et al. 2024 up to their M and N (``oom`` cells where the card runs out) and the FNO of
   Tu et al. 2024 on 128x128 Darcy flow (``<benchmark>-<gpu>.json``);
3. ``capability-<gpu>.txt`` (the capability report) and ``gpu-<gpu>.md``: the GPU, torch version
   and date, the capability report, the tables and the measured ratios against the targets the
   course states. ``--summary-only`` rewrites the page from the files already in ``--out``.

It needs only torch, numpy, scipy, matplotlib and opt_einsum (plus pytest for step 1): no Jupyter,
no network. Plan about 6-8 minutes on one H100.
"""
from __future__ import annotations

import argparse
import datetime
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import torch

from ..capability import capability_report
from ..tables import format_table
from .summary import gpu_slug, target_lines

DESCRIPTION = ("the one GPU check: CUDA tests and the three benchmarks at GPU sizes, written as "
               "JSON and a Markdown summary")

# name -> (arguments of `python -m sciml_teach.bench`, time limit in seconds); the targets first
RUNS = {
    "precision-wide": (["precision", "--problem", "poisson1d", "--width", "512", "--depth", "4",
                        "--collocation", "16384", "--steps", "300", "--policies",
                        "fp32,amp-fp16,amp-bf16"], 60),
    "zcs": (["zcs"], 170),
    "fno": (["fno", "--resolution", "128", "--samples", "400,100", "--steps", "500"], 110),
    "precision": (["precision", "--steps", "2000", "--diagnose-every", "50"], 100),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="docs/results", help="folder for the results "
                        "(default docs/results)")
    parser.add_argument("--only", default=",".join(["tests", *RUNS]),
                        help=f"comma-separated parts to run, from tests,{','.join(RUNS)}")
    parser.add_argument("--summary-only", action="store_true",
                        help="only rewrite gpu-<gpu>.md from the JSON files already in --out")


def _run(command: list[str], log: Path, timeout_s: int) -> str:
    """Run ``command``, appending its output to ``log``; return 'ok', 'failed (rc N)' or
    'timed out after N s'."""
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
        output, status = done.stdout + done.stderr, ("ok" if done.returncode == 0
                                                     else f"failed (rc {done.returncode})")
    except subprocess.TimeoutExpired as err:
        output = err.stdout.decode() if isinstance(err.stdout, bytes) else (err.stdout or "")
        status = f"timed out after {timeout_s} s"
    seconds = time.perf_counter() - start
    with log.open("a") as f:
        f.write(f"$ {' '.join(command)}\n{output}\n[{status} in {seconds:.0f} s]\n\n")
    print(f"  {' '.join(command[1:4])}...: {status} ({seconds:.0f} s)", flush=True)
    return status


def _tests(log: Path) -> tuple[str, str]:
    tests = Path(__file__).resolve().parents[2] / "tests" / "test_cuda.py"
    if not tests.exists():
        return "not run", "tests/test_cuda.py not found: run from a checkout of the repository"
    before = log.read_text() if log.exists() else ""
    status = _run([sys.executable, "-m", "pytest", str(tests), "-q", "-p", "no:cacheprovider",
                   "-rfs"], log, 150)
    summary = [line for line in log.read_text()[len(before):].splitlines()
               if re.search(r"\d+ (passed|failed)", line)]
    return status, summary[-1] if summary else ""


def _section(name: str, path: Path) -> list[str]:
    if not path.exists():
        return [f"### {name}", "", "no result (see the log beside this file)", ""]
    doc = json.loads(path.read_text())
    from importlib import import_module
    from . import BENCHMARKS
    columns = import_module(BENCHMARKS[doc["benchmark"]]).COLUMNS
    return [f"### {name}", "", "```", format_table(doc["rows"], columns), "```", ""]


def write_summary(out: Path, slug: str, tests: tuple[str, str] = ("not run", ""),
                  statuses: dict[str, str] | None = None) -> Path:
    """The Markdown page that README's GPU column and the course's results pages read."""
    paths = {name: out / f"{name}-{slug}.json" for name in RUNS}
    docs = {name: json.loads(p.read_text()) for name, p in paths.items() if p.exists()}
    first = next(iter(docs.values()), {})
    gpu = first.get("device_name") or slug
    capability = out / f"capability-{slug}.txt"
    report = capability.read_text().strip() if capability.exists() else "(not measured)"
    statuses = statuses or {name: "see the log" for name in docs}
    lines = [f"# GPU results: {gpu}", "",
             f"Measured {datetime.date.today().isoformat()} with torch {first.get('torch', '?')} by "
             "`python -m sciml_teach.bench gpu-report` (full log: "
             f"`gpu-report-{slug}.log`).", "", "```", report, "```", "",
             f"**tests/test_cuda.py**: {tests[0]} — {tests[1] or 'see the log'}", "",
             "## Targets", "", *target_lines(docs), "", "## Tables", ""]
    for name in RUNS:
        earlier = "an earlier run: see the log" if paths[name].exists() else "not run"
        lines += _section(f"{name} ({statuses.get(name, earlier)})", paths[name])
    page = out / f"gpu-{slug}.md"
    page.write_text("\n".join(lines))
    return page


def main(args: argparse.Namespace) -> int:
    if not torch.cuda.is_available():
        print("error: gpu-report needs a CUDA GPU; on a CPU run the benchmarks themselves, e.g. "
              "python -m sciml_teach.bench zcs --quick", file=sys.stderr)
        return 2
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in parts if p not in ("tests", *RUNS)]
    if unknown or not parts:
        print(f"error: --only takes parts from tests,{','.join(RUNS)}; got {args.only!r}",
              file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    slug = gpu_slug(torch.cuda.get_device_name(0))
    if args.summary_only:
        print(f"wrote {write_summary(out, slug)}")
        return 0
    report = str(capability_report("cuda"))
    (out / f"capability-{slug}.txt").write_text(report + "\n")
    print(report, flush=True)
    log = out / f"gpu-report-{slug}.log"
    tests = _tests(log) if "tests" in parts else ("not run", "")
    statuses = {}
    for name, (bench_args, limit) in RUNS.items():
        if name in parts:
            command = [sys.executable, "-m", "sciml_teach.bench", *bench_args, "--device", "cuda",
                       "--json", str(out / f"{name}-{slug}.json")]
            statuses[name] = _run(command, log, limit)
            write_summary(out, slug, tests, statuses)  # after every part: a time-out loses nothing
    print(f"wrote {write_summary(out, slug, tests, statuses)}")
    return 0
