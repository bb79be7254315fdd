"""``python -m sciml_teach.bench gpu-report --out docs/results/``: the one GPU check.

On a machine with a CUDA GPU this runs the parts named by ``--only`` (default: all), each in its
own process with its own time limit (a failure or time-out loses only that part), rewrites the
Markdown page after every part, and writes into ``--out``:

* ``tests`` -- ``tests/test_cuda.py``: every problem, strategy, policy and spectral precision on
  the GPU against the CPU (output in ``gpu-report-<gpu>.log`` with every command's);
* ``fno-busy`` -- Tu et al. 2024's targets at the busy size (Darcy 256^2, width 64, 32 modes per
  axis, batch 32; three seeds): float32, full+AMP and mixed+tanh; ``fno`` -- every setting at the
  lesson size (Darcy 128^2), where a GPU step is launch-bound;
* ``profile`` -- torch.profiler: where those FNO steps spend their time, per kernel and category;
* ``launch`` -- the Burgers PINN and the lesson-size FNO: eager vs data on the device vs a CUDA
  graph; ``contraction`` -- the half spectral contraction, einsum vs block GEMM, and the
  CP-factorised (TFNO) contraction in naive vs greedy vs optimal order;
* ``fno-ns`` -- Navier-Stokes from our own solver at the busy size (256^2, width 64, 32 modes):
  float32, full+AMP, mixed+tanh and half+tanh; then, at 64^2, the precision schedule against
  constant precision (three seeds) and zero-shot super-resolution to 128^2 and 256^2;
* ``precision-wide``, ``precision``, ``zcs`` -- the AMP speed-up of a wide PINN, the paper's
  Burgers PINN under every policy and the ZCS sweep of Leng et al. 2024;
* ``notebooks`` -- every lesson and solution executed in full mode, several at a time, each with a
  time limit: wall time, pass/fail and the lesson's key printed figure. Needs nbclient, ipykernel
  and ipywidgets: ``tools/gpu_notebooks.sh`` installs them from a wheelhouse built beforehand.

``capability-<gpu>.txt`` and ``gpu-<gpu>.md`` (the card, torch, date, capability report, the
targets with their measured ratios, the tables) come with every run; ``--summary-only`` rewrites
the page from the files already in ``--out``. ``--budget-s`` (default 540) starts no part after
that many seconds and shortens the last part's limit to fit, so one device command of at most
9 minutes always ends with a page. ``--dry-run`` runs every part on the CPU in quick mode at
tiny sizes into a folder of its own, to check the plumbing without a GPU (no figure from it is a
GPU figure). Needs torch, numpy, scipy, matplotlib, opt_einsum (plus pytest for ``tests``): no
network.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from ..capability import capability_report
from ..tables import format_table
from .summary import gpu_slug, target_lines

DESCRIPTION = ("the one GPU check: CUDA tests, the benchmarks and profiles at GPU sizes and the "
               "lessons in full mode, written as JSON and a Markdown summary")
ROOT = Path(__file__).resolve().parents[2]
BUSY = ["fno", "--size", "busy", "--steps", "200", "--seeds", "0,1,2", "--settings",
        "full-fp32,full-amp,mixed-tanh"]
NS_BUSY = ["fno", "--problem", "navier-stokes", "--size", "busy", "--steps", "200", "--settings",
           "full-fp32,full-amp,mixed-tanh,half-tanh"]
NS_EXTRAS = ["fno", "--problem", "navier-stokes", "--parts", "schedule,superres", "--resolution",
             "64", "--samples", "400,100", "--steps", "300", "--seeds", "0,1,2"]
# name -> (arguments of `python -m sciml_teach.bench` on the GPU, time limit in seconds, the
# arguments of a --dry-run on the CPU: quick mode, a few steps, the same code paths)
RUNS = {
    "fno-busy": (BUSY, 200, [*BUSY[:3], "--steps", "2", "--seeds", "0,1", *BUSY[-2:]]),
    "fno": (["fno", "--resolution", "128", "--samples", "400,100", "--steps", "300"], 110,
            ["fno", "--steps", "2", "--settings", "full-fp32,full-amp,mixed-tanh,stress-mixed"]),
    "profile": (["profile"], 90, ["profile", "--steps", "1", "--top", "4"]),
    "launch": (["launch"], 90, ["launch", "--steps", "2", "--policies", "fp32,amp-bf16"]),
    "contraction": (["contraction"], 40, ["contraction"]),
    "fno-ns": (NS_BUSY, 100, [*NS_BUSY[:5], "--steps", "2", *NS_BUSY[-2:]]),
    "fno-ns-extras": (NS_EXTRAS, 120, [*NS_EXTRAS[:5], "--steps", "2", "--seeds", "0"]),
    "precision-wide": (["precision", "--problem", "poisson1d", "--width", "512", "--depth", "4",
                        "--collocation", "16384", "--steps", "300", "--policies",
                        "fp32,amp-fp16,amp-bf16"], 60,
                       ["precision", "--problem", "poisson1d", "--width", "32", "--collocation",
                        "256", "--steps", "2", "--policies", "fp32,amp-bf16"]),
    "precision": (["precision", "--steps", "2000", "--diagnose-every", "50"], 100,
                  ["precision", "--steps", "2", "--policies", "fp64,fp32,amp-bf16"]),
    "zcs": (["zcs"], 170, ["zcs", "--problems", "reaction_diffusion", "--memory-budget", "256MiB"]),
}
# the order parts run in: what the open targets need first, so a spent budget drops the rest
PARTS = ("fno-busy", "profile", "launch", "fno", "contraction", "fno-ns", "tests", "precision",
         "precision-wide", "zcs", "fno-ns-extras", "notebooks")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default=None, help="folder for the results (default docs/results; "
                        "with --dry-run test-output/gpu-report-dry-run)")
    parser.add_argument("--only", default=",".join(PARTS),
                        help=f"comma-separated parts to run, from {','.join(PARTS)}")
    parser.add_argument("--summary-only", action="store_true",
                        help="only rewrite gpu-<gpu>.md from the JSON files already in --out")
    parser.add_argument("--budget-s", type=int, default=540,
                        help="start no part after this many seconds (default 540)")
    parser.add_argument("--notebook-jobs", type=int, default=4,
                        help="notebooks executed at once in the notebooks part (default 4)")
    parser.add_argument("--dry-run", action="store_true",
                        help="run every part on the CPU in quick mode at tiny sizes (a plumbing check)")


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)   # the part and whatever it started (kernels)
    except ProcessLookupError:
        pass


def _run(command: list[str], log: Path, timeout_s: float, env: dict | None = None) -> str:
    """Run ``command`` in a process group of its own, appending its output to ``log``; return
    'ok', 'failed (rc N)' or 'timed out after N s' (the whole group is killed then)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=env, cwd=ROOT, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=timeout_s)
        status = "ok" if process.returncode == 0 else f"failed (rc {process.returncode})"
    except subprocess.TimeoutExpired:
        _kill_group(process)
        output, _ = process.communicate()
        status = f"timed out after {timeout_s:.0f} s"
    seconds = time.perf_counter() - start
    with log.open("a") as f:
        f.write(f"$ {' '.join(command)}\n{output}\n[{status} in {seconds:.0f} s]\n\n")
    print(f"  {' '.join(command[1:5])}...: {status} ({seconds:.0f} s)", flush=True)
    return status


def last_tests_summary(log: Path) -> tuple[str, str]:
    """(status, pytest's closing line) of the last ``tests/test_cuda.py`` run in ``log``, so a
    page rewritten by a later call still says what the tests did (and when they did not run)."""
    if not log.exists():
        return "not run", ""
    runs = log.read_text().split("$ ")
    for run in reversed(runs):
        if "test_cuda.py" in run.split("\n", 1)[0]:
            closing = [ln for ln in run.splitlines() if re.search(r"\d+ (passed|failed|skipped)", ln)]
            status = re.search(r"\[(ok|failed \(rc \d+\)|timed out after \d+ s) in", run)
            return (f"{status.group(1) if status else 'see the log'} (an earlier call)",
                    closing[-1].strip("= ") if closing else "")
    return "not run", ""


def _tests(log: Path, env: dict, limit: float) -> tuple[str, str]:
    tests = ROOT / "tests" / "test_cuda.py"
    if not tests.exists():
        return "not run", "tests/test_cuda.py not found: run from a checkout of the repository"
    status = _run([sys.executable, "-m", "pytest", str(tests), "-q", "-p", "no:cacheprovider",
                   "-rfs"], log, limit, env)
    return status, last_tests_summary(log)[1]


def _section(name: str, path: Path) -> list[str]:
    if not path.exists():
        return [f"### {name}", "", "no result (see the log beside this file)", ""]
    doc = json.loads(path.read_text())
    if doc["benchmark"] == "notebooks":
        from .notebook_runs import COLUMNS
        columns = COLUMNS
    else:
        from importlib import import_module
        from . import BENCHMARKS
        columns = import_module(BENCHMARKS[doc["benchmark"]]).COLUMNS
    rows = doc["rows"]
    if doc["benchmark"] == "profile":  # the summary and category rows, then the top kernels
        lines = [f"### {name}", "", *_profile_verdicts(rows), "", "```",
                 format_table([r for r in rows if r["kind"] != "kernel"], columns), "",
                 format_table([r for r in rows if r["kind"] == "kernel"], columns), "```", ""]
        return lines
    return [f"### {name}", "", "```", format_table(rows, columns), "```", ""]


def _profile_verdicts(rows: list[dict]) -> list[str]:
    from ..experiments.profile_runs import dominant
    pairs = dict.fromkeys((r["size"], r["setting"]) for r in rows if r["kind"] == "summary")
    lines = []
    for size, setting in pairs:
        s = next(r for r in rows if r["kind"] == "summary" and (r["size"], r["setting"]) == (size, setting))
        busy = (f"device busy {s['busy_share']:.0%}, {s['launches_per_step']:.0f} launches and "
                f"{s['host_syncs_per_step']:.0f} host waits per step" if s["device"] == "cuda" else
                f"operators {s['busy_share']:.0%} of the wall time (the rest: Python and the profiler)")
        lines.append(f"- {size} size, {setting}: {s['wall_ms']:.1f} ms per step, {busy}; most "
                     f"time: **{dominant(rows, size, setting)}**")
    return lines


def write_summary(out: Path, slug: str, tests: tuple[str, str] | None = None,
                  statuses: dict[str, str] | None = None, dry_run: bool = False) -> Path:
    """The Markdown page that README's GPU column and the course's results pages read."""
    names = [*RUNS, "notebooks"]
    paths = {name: out / f"{name}-{slug}.json" for name in names}
    docs = {name: json.loads(p.read_text()) for name, p in paths.items() if p.exists()}
    first = next(iter(docs.values()), {})
    gpu = first.get("device_name") or slug
    capability = out / f"capability-{slug}.txt"
    report = capability.read_text().strip() if capability.exists() else "(not measured)"
    log = out / f"gpu-report-{slug}.log"
    tests = tests or last_tests_summary(log)
    statuses = statuses or {}
    title = ("# DRY RUN on the CPU: a plumbing check, not GPU figures" if dry_run
             else f"# GPU results: {gpu}")
    lines = [title, "",
             f"Measured {datetime.date.today().isoformat()} with torch {first.get('torch', '?')} by "
             "`python -m sciml_teach.bench gpu-report` (full log: "
             f"`gpu-report-{slug}.log`).", "", "```", report, "```", "",
             f"**tests/test_cuda.py**: {tests[0]} — {tests[1] or 'see the log'}", "",
             "## Targets", "", *target_lines(docs), "", "## Tables", ""]
    for name in names:
        earlier = "an earlier run: see the log" if paths[name].exists() else "not run"
        lines += _section(f"{name} ({statuses.get(name, earlier)})", paths[name])
    page = out / f"gpu-{slug}.md"
    page.write_text("\n".join(lines))
    return page


def _parts(text: str) -> list[str] | None:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    return parts if parts and all(p in PARTS for p in parts) else None


def _command(name: str, out: Path, slug: str, device: str, dry_run: bool, jobs: int) -> list[str]:
    if name == "notebooks":
        command = [sys.executable, "-m", "sciml_teach.bench.notebook_runs", "--json",
                   str(out / f"notebooks-{slug}.json"), "--jobs", str(jobs)]
        return command + (["--only", "00", "--quick"] if dry_run else [])
    gpu_args, _, dry_args = RUNS[name]
    return [sys.executable, "-m", "sciml_teach.bench", *(dry_args if dry_run else gpu_args),
            "--device", device, "--no-progress", "--json", str(out / f"{name}-{slug}.json"),
            *(["--quick"] if dry_run else [])]


def main(args: argparse.Namespace) -> int:
    if not torch.cuda.is_available() and not args.dry_run:
        print("error: gpu-report needs a CUDA GPU; on a CPU run the benchmarks themselves, e.g. "
              "python -m sciml_teach.bench zcs --quick, or check the plumbing with --dry-run",
              file=sys.stderr)
        return 2
    parts = _parts(args.only)
    if parts is None:
        print(f"error: --only takes parts from {','.join(PARTS)}; got {args.only!r}", file=sys.stderr)
        return 2
    out = Path(args.out or ("test-output/gpu-report-dry-run" if args.dry_run else "docs/results"))
    out.mkdir(parents=True, exist_ok=True)
    device = "cpu" if args.dry_run else "cuda"
    slug = "cpu-dry-run" if args.dry_run else gpu_slug(torch.cuda.get_device_name(0))
    if args.summary_only:
        print(f"wrote {write_summary(out, slug, dry_run=args.dry_run)}")
        return 0
    report = str(capability_report(device))
    (out / f"capability-{slug}.txt").write_text(report + "\n")
    print(report, flush=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "SCIML_TEACH_PROGRESS": "0", "MPLBACKEND": "Agg"}
    if args.dry_run:
        env["SCIML_TEACH_QUICK"] = "1"
    log = out / f"gpu-report-{slug}.log"
    start, statuses, tests = time.perf_counter(), {}, None
    for name in [p for p in PARTS if p in parts]:
        left = args.budget_s - (time.perf_counter() - start)
        limit = {"tests": 200, "notebooks": left}.get(name) or RUNS[name][1]
        if left < 20:
            statuses[name] = f"not run: the {args.budget_s} s budget was spent"
            continue
        if name == "tests":
            tests = _tests(log, env, min(limit, left))
        else:
            command = _command(name, out, slug, device, args.dry_run, args.notebook_jobs)
            if name == "notebooks":   # it writes its rows before the part's own limit
                command += ["--deadline-s", f"{left - 20:.0f}"]
            statuses[name] = _run(command, log, min(limit, left), env)
        write_summary(out, slug, tests, statuses, args.dry_run)  # after every part: nothing lost
    print(f"wrote {write_summary(out, slug, tests, statuses, args.dry_run)}")
    return 0
