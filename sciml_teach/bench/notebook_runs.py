"""Every lesson and solution executed top to bottom in full mode, timed: the ``notebooks`` part of
``gpu-report`` (``python -m sciml_teach.bench.notebook_runs --json PATH``).

Each notebook runs in a process group of its own (nbclient and its kernel) with a wall-clock
limit, ``--jobs`` at a time; the JSON is rewritten after each notebook, so a run stopped half-way
keeps what finished. A row: the notebook, its lesson, ``ok`` / ``failed`` / ``timed out``, the
wall time, and the lesson's key printed figure (the output line :data:`KEY_LINES` names). Run
several at once on one GPU, the notebooks share it: the times are upper bounds, and the JSON says
how many ran at once. Needs nbclient, ipykernel and ipywidgets (the ``dev`` extra).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["notebook", "status", "seconds", "key_figure"]
PER_NOTEBOOK_S = 300     # a lesson that needs more than 5 minutes on a GPU must be resized
# lesson -> a pattern of the printed line that carries the lesson's result
KEY_LINES = {"00": r"float16 runs at", "01": r"largest relative rounding error",
             "02": r"float16 ends .* less accurate", "03": r"AMP: activations",
             "04": r"/ fp32: median error", "05": r"DataVect needs .* the memory of ZCS",
             "06": r"saved bytes vs full", "07": r"median error ZCS \+ AMP"}
RATIO = r"\d+(\.\d+)?x\b"  # otherwise: the last printed line with a ratio in it


def notebooks(only: list[str] | None = None) -> list[Path]:
    """The lessons and worked solutions, in course order (``only``: lesson numbers)."""
    found = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))
    return [p for p in found if not only or p.name[:2] in only]


def key_figure(nb: dict, lesson: str) -> str:
    """The printed line that carries ``lesson``'s result, from an executed notebook."""
    text = [line for cell in nb["cells"] if cell["cell_type"] == "code"
            for out in cell.get("outputs", []) if out.get("output_type") == "stream"
            for line in "".join(out.get("text", "")).splitlines()]
    pattern = KEY_LINES.get(lesson)
    hits = [t for t in text if pattern and re.search(pattern, t)]
    hits = hits or [t for t in text if re.search(RATIO, t)]
    return hits[-1].strip()[:200] if hits else ""


def execute_one(path: Path, result: Path) -> None:
    """Execute ``path`` in a fresh kernel (in this process) and write its row to ``result``."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    row = {"notebook": str(path.relative_to(ROOT)), "lesson": path.name[:2],
           "kind": "solution" if path.parent.name == "solutions" else "lesson"}
    try:
        NotebookClient(nb, timeout=None, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        row.update(status="ok", key_figure=key_figure(nb, row["lesson"]))
    except CellExecutionError as err:
        lines = [ln for ln in str(err).splitlines() if ln.strip()]
        row.update(status="failed", key_figure="", error=lines[-1][:300] if lines else "")
    row["seconds"] = time.perf_counter() - start
    result.write_text(json.dumps(row))


def _child(path: Path, limit: float, env: dict, tmp: Path) -> dict:
    """Run :func:`execute_one` for ``path`` in a process group, killed whole after ``limit``."""
    result = tmp / f"{path.stem}.json"
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "sciml_teach.bench.notebook_runs", "--one",
                                str(path), "--result", str(result)], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        _, err = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return {"notebook": str(path.relative_to(ROOT)), "lesson": path.name[:2],
                "kind": "solution" if path.parent.name == "solutions" else "lesson",
                "status": f"timed out after {limit:.0f} s", "seconds": time.perf_counter() - start,
                "key_figure": ""}
    if result.exists():
        return json.loads(result.read_text())
    return {"notebook": str(path.relative_to(ROOT)), "lesson": path.name[:2], "status": "failed",
            "kind": "solution" if path.parent.name == "solutions" else "lesson",
            "seconds": time.perf_counter() - start, "key_figure": "", "error": (err or "")[-300:]}


def run_all(paths: list[Path], out: Path, jobs: int, per_notebook_s: float, deadline_s: float,
            quick: bool) -> list[dict]:
    """Execute ``paths``, ``jobs`` at a time; rewrite ``out`` after each. A notebook that would
    start with less than a minute before ``deadline_s`` is not started (its row says so)."""
    import torch
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "SCIML_TEACH_PROGRESS": "0", "MPLBACKEND": "Agg"}
    env.pop("SCIML_TEACH_QUICK", None)
    if quick:
        env["SCIML_TEACH_QUICK"] = "1"
    cuda = torch.cuda.is_available()
    doc = {"benchmark": "notebooks", "device": "cuda" if cuda else "cpu",
           "device_name": torch.cuda.get_device_name(0) if cuda else "cpu", "torch": torch.__version__,
           "memory_kind": "none", "mode": "quick" if quick else "full", "jobs": jobs, "rows": []}
    start = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    workspace = tempfile.TemporaryDirectory(prefix="sciml-notebooks-")   # each child's row file
    tmp = Path(workspace.name)

    def one(path: Path) -> dict:
        left = deadline_s - (time.perf_counter() - start)
        if left < 60:
            row = {"notebook": str(path.relative_to(ROOT)), "lesson": path.name[:2],
                   "kind": "solution" if path.parent.name == "solutions" else "lesson",
                   "status": "not started (deadline)", "seconds": float("nan"), "key_figure": ""}
        else:
            row = _child(path, min(per_notebook_s, left), env, tmp)
        doc["rows"].append(row)
        doc["rows"].sort(key=lambda r: r["notebook"])
        out.write_text(json.dumps(doc, indent=2))
        print(f"  {row['notebook']}: {row['status']} ({row['seconds']:.0f} s) {row['key_figure']}",
              flush=True)
        return row

    with workspace, ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        rows = list(pool.map(one, paths))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sciml_teach.bench.notebook_runs",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="where the rows go")
    parser.add_argument("--jobs", type=int, default=4, help="notebooks at once (default 4)")
    parser.add_argument("--only", default="", help="lesson numbers, e.g. 00,03 (default: all)")
    parser.add_argument("--per-notebook-s", type=float, default=PER_NOTEBOOK_S)
    parser.add_argument("--deadline-s", type=float, default=520.0,
                        help="start no notebook with less than a minute left of this (default 520)")
    parser.add_argument("--quick", action="store_true", help="quick mode (a plumbing check)")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)      # the child's own work
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        execute_one(args.one.resolve(), args.result)
        return 0
    if not args.json:
        parser.error("--json PATH is required")
    only = [n.strip() for n in args.only.split(",") if n.strip()] or None
    rows = run_all(notebooks(only), args.json, args.jobs, args.per_notebook_s, args.deadline_s,
                   args.quick)
    return 0 if all(r["status"] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
