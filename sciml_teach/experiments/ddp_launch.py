"""Starting a torchrun job from a notebook, and stopping every process of it.

A notebook's kernel is one process; data parallelism needs one per rank. :func:`launch_ddp` runs
``python -m torch.distributed.run --standalone --nproc_per_node=W -m sciml_teach.bench ddp ...``
in a subprocess (``--standalone``: the rendezvous runs on this machine at a free port), waits with
a timeout, and reads back the JSON rank 0 wrote. torchrun starts each rank in a session of its
own, so a timeout stops them through torchrun (SIGTERM), then kills whatever is left.
Introduced in notebooks/08_beyond_one_device.ipynb.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Sequence

from ..checks import check_int


def torchrun_command(ranks: int, bench_args: Sequence[str]) -> list[str]:
    """``python -m torch.distributed.run --standalone --nproc_per_node=<ranks> -m sciml_teach.bench
    ddp ...``: torchrun through the running Python (as a notebook's kernel sees it); --standalone
    runs the rendezvous on this machine at a free port."""
    check_int("ranks", ranks, minimum=1)
    return [sys.executable, "-m", "torch.distributed.run", "--standalone",
            f"--nproc_per_node={ranks}", "-m", "sciml_teach.bench", "ddp", *bench_args]


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (read from /proc; [] where there is none, e.g. macOS)."""
    parent = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):  # the process ended while we looked
            continue
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        children = [p for p, pp in parent.items() if pp == current]
        found += children
        todo += children
    return found


def _stop(proc: subprocess.Popen) -> None:
    """Stop torchrun and its ranks. torchrun starts each rank in a session of its own, out of
    reach of a signal to torchrun's group; on SIGTERM it stops them itself. Whatever is left
    after 10 s is killed, torchrun's group and each rank's."""
    ranks = _descendants(proc.pid)               # now: a rank orphaned later has a new parent
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        ranks += _descendants(proc.pid)          # torchrun is still alive: its ranks still its own
        os.killpg(proc.pid, signal.SIGKILL)
    for pid in ranks:
        try:
            os.killpg(pid, signal.SIGKILL)       # a rank leads its own group (and session)
        except (ProcessLookupError, PermissionError):  # already gone
            pass
    proc.communicate()


def launch_ddp(ranks: int, bench_args: Sequence[str] = (), timeout_s: float = 600,
               log: Callable[[str], None] | None = print) -> dict:
    """Run ``torchrun`` with ``ranks`` processes on the ddp benchmark and return its JSON
    (``{"benchmark", "device", ..., "rows"}``). The job runs in its own process group: on a
    timeout every process of it is killed, none is left behind. A failed job raises
    RuntimeError with the ranks' one-line error (a mistake in the arguments), else the end of
    torchrun's output."""
    with tempfile.TemporaryDirectory(prefix="sciml_teach_ddp_") as folder:
        path = Path(folder) / "rows.json"
        command = torchrun_command(ranks, [*bench_args, "--json", str(path)])
        env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
        if log is not None:  # the command as you would type it (python: the kernel's own)
            log("$ python " + " ".join(command[1:-2]))
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, env=env, start_new_session=True)
        try:
            output, _ = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _stop(proc)
            raise RuntimeError(f"torchrun with {ranks} ranks did not finish in {timeout_s:g} s; "
                               f"its processes were stopped") from None
        if proc.returncode != 0 or not path.exists():
            ours = [line for line in output.splitlines() if line.startswith("error: ")]
            why = ours[0][len("error: "):] if ours else "\n" + "\n".join(output.strip().splitlines()[-15:])
            raise RuntimeError(f"torchrun with {ranks} ranks failed (exit {proc.returncode}): {why}")
        if log is not None:
            log("\n".join(line for line in output.splitlines()    # torchrun's warnings and
                           if not line.startswith(("W", "wrote "))).strip())  # the temporary file
        return json.loads(path.read_text())
