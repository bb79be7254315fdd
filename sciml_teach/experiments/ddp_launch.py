"""Starting a torchrun job from a notebook, and stopping every process of it.

A notebook's kernel is one process; data parallelism needs one per rank. :func:`launch_script`
runs ``python -m torch.distributed.run --standalone --nproc_per_node=W your_script.py ...`` (the
per-rank program lesson 08 writes) in a subprocess and returns what the ranks printed;
:func:`launch_ddp` runs the course's benchmark the same way (``-m sciml_teach.bench ddp``) and
reads back the JSON rank 0 wrote. ``--standalone``: the rendezvous runs on this machine at a free
port. Both wait with a timeout; torchrun starts each rank in a session of its own, so a timeout
stops them through torchrun (SIGTERM), then kills whatever is left.
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

from ..checks import check_float, check_int


def _torchrun(ranks: int, program: Sequence[str]) -> list[str]:
    """torchrun through the running Python (as a notebook's kernel sees it), ``ranks`` copies of
    ``program`` (a script and its arguments, or ``-m module ...``)."""
    check_int("ranks", ranks, minimum=1)
    return [sys.executable, "-m", "torch.distributed.run", "--standalone",
            f"--nproc_per_node={ranks}", *program]


def torchrun_command(ranks: int, bench_args: Sequence[str]) -> list[str]:
    """``python -m torch.distributed.run --standalone --nproc_per_node=<ranks> -m sciml_teach.bench
    ddp ...``: torchrun through the running Python (as a notebook's kernel sees it); --standalone
    runs the rendezvous on this machine at a free port."""
    return _torchrun(ranks, ["-m", "sciml_teach.bench", "ddp", *bench_args])


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


def _run(command: list[str], ranks: int, timeout_s: float) -> str:
    """Run a torchrun ``command`` in a session of its own; its output, or a RuntimeError. On a
    timeout every process of the job is stopped, none is left behind. A failed job's error is
    the ranks' one-line ``error: ...`` (a mistake in the arguments), else the end of the output."""
    check_float("timeout_s", timeout_s, positive=True)
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env, start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _stop(proc)
        raise RuntimeError(f"torchrun with {ranks} ranks did not finish in {timeout_s:g} s; "
                           f"its processes were stopped") from None
    if proc.returncode != 0:
        ours = [line for line in output.splitlines() if line.startswith("error: ")]
        why = ours[0][len("error: "):] if ours else "\n" + _traceback(output)
        raise RuntimeError(f"torchrun with {ranks} ranks failed (exit {proc.returncode}): {why}")
    return output


def _traceback(output: str) -> str:
    """The first Python traceback in ``output``, up to its exception line (a rank's: torchrun's
    own comes after it and says only which rank failed); else the last 15 lines."""
    lines = output.strip().splitlines()
    strip = lambda line: line.lstrip("[]rank0123456789: ")           # "[rank1]: " prefixes, if any
    starts = [i for i, line in enumerate(lines) if strip(line).startswith("Traceback")]
    if not starts:
        return "\n".join(lines[-15:])
    tail = lines[starts[0]:]
    end = next((i for i, line in enumerate(tail[1:], 1)
                if line.strip() and not line.startswith((" ", "\t"))
                and not strip(line).startswith((" ", "^", "~"))), len(tail) - 1)
    return "\n".join(tail[:end + 1][-15:])


def _quiet(output: str) -> str:
    """The ranks' own lines, without torchrun's warnings (lines starting "W...")."""
    return "\n".join(line for line in output.splitlines() if not line.startswith("W")).strip()


def launch_script(ranks: int, script: str | os.PathLike, args: Sequence[str] = (),
                  timeout_s: float = 300, log: Callable[[str], None] | None = print) -> str:
    """Run ``torchrun --standalone --nproc_per_node=<ranks> script args...`` and return what the
    ranks printed (torchrun's warnings left out). Each rank runs the whole script with RANK,
    WORLD_SIZE and the rendezvous address in its environment (``dist.init_process_group()``
    reads them). Past ``timeout_s`` every process of the job is stopped; a failing script is a
    RuntimeError ending with its traceback. Lesson 08 runs the program it writes with this."""
    path = Path(script)
    if not path.is_file():
        raise ValueError(f"script {str(script)!r} is not a file: write it first (e.g. %%writefile)")
    command = _torchrun(ranks, [str(path), *map(str, args)])
    if log is not None:  # the command as you would type it (python: the kernel's own)
        log("$ python " + " ".join(command[1:]))
    return _quiet(_run(command, ranks, timeout_s))


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
        if log is not None:  # the command as you would type it (python: the kernel's own)
            log("$ python " + " ".join(command[1:-2]))
        output = _run(command, ranks, timeout_s)
        if not path.exists():
            raise RuntimeError(f"torchrun with {ranks} ranks wrote no rows: "
                               + "\n".join(output.strip().splitlines()[-15:]))
        if log is not None:  # without the line naming the temporary file
            log("\n".join(line for line in _quiet(output).splitlines()
                           if not line.startswith("wrote ")).strip())
        return json.loads(path.read_text())
