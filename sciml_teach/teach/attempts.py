"""Attempts, recorded locally: every checked answer appends one line to a small file beside the
notebook, and a teacher sums a folder of such files (``python -m sciml_teach.teach progress DIR``).

A line is ``{"exercise": "01.2", "correct": false, "time": "2026-12-06T20:31:05Z"}``: the exercise
id, the verdict and the UTC time -- not the answer, no name, no machine; nothing is sent anywhere.
The file is :data:`FILE` in the kernel's working directory (the notebook's folder in Jupyter and
Colab). ``SCIML_TEACH_ATTEMPTS=0`` turns recording off (the tests, CI and the site build do).
"""
from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from pathlib import Path

FILE = ".sciml_teach_attempts.jsonl"
_OFF = {"0", "false", "no", "off"}


def recording() -> bool:
    """False when ``SCIML_TEACH_ATTEMPTS`` is 0/false/no/off; recording is on otherwise."""
    return os.environ.get("SCIML_TEACH_ATTEMPTS", "1").strip().lower() not in _OFF


def record_attempt(exercise_id: str, correct: bool, folder: str | Path | None = None) -> Path | None:
    """Append one attempt to ``folder/FILE`` (default: the working directory); returns the file,
    or None when recording is off or the folder cannot be written (checking never fails on it)."""
    if not recording():
        return None
    path = Path(folder if folder is not None else os.getcwd()) / FILE
    line = {"exercise": exercise_id, "correct": bool(correct),
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")
    except OSError:              # a read-only folder: the check itself still answers
        return None
    return path


def attempt_files(folder: str | Path) -> list[Path]:
    """Every ``*.jsonl`` file under ``folder`` (one per learner, however the teacher named them)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"progress folder {str(folder)!r} is not a folder: give the folder "
                         "holding the learners' attempt files")
    return sorted(p for p in folder.rglob("*.jsonl") if p.is_file())


def summarise(folder: str | Path) -> tuple[list[dict], int]:
    """One row per exercise -- learners who tried, attempts, learners who solved it, mean attempts
    up to the first correct one -- and the number of unreadable lines skipped. A learner is a file."""
    attempts, tried, solved_at, skipped = defaultdict(int), defaultdict(set), defaultdict(dict), 0
    for learner, path in enumerate(attempt_files(folder)):
        own = defaultdict(int)                   # this learner's attempts so far, per exercise
        for text in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                line = json.loads(text)
                exercise, correct = str(line["exercise"]), line["correct"] is True
            except (ValueError, KeyError, TypeError):
                skipped += bool(text.strip())
                continue
            attempts[exercise] += 1
            own[exercise] += 1
            tried[exercise].add(learner)
            if correct:
                solved_at[exercise].setdefault(learner, own[exercise])
    rows = [{"exercise": e, "learners": len(tried[e]), "attempts": attempts[e],
             "solved": len(solved_at[e]),
             "attempts to solve": (round(sum(solved_at[e].values()) / len(solved_at[e]), 1)
                                   if solved_at[e] else "-")}
            for e in sorted(attempts)]
    return rows, skipped


def progress_table(folder: str | Path) -> str:
    """The summary as a plain-text table (what the command line prints)."""
    rows, skipped = summarise(folder)
    files = len(attempt_files(folder))
    if not rows:
        return f"no attempts in {files} file(s) under {folder}"
    head = ["exercise", "learners", "attempts", "solved", "attempts to solve"]
    lines = [head] + [[str(r[h]) for h in head] for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines]
    text.append(f"{files} learner file(s)" + (f"; {skipped} unreadable line(s) skipped" if skipped else ""))
    return "\n".join(text)
