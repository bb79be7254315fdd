"""Attempts recorded locally by the exercise checker, and the teacher's summary (issue 28)."""
import json
import os
import subprocess
import sys

import pytest

from sciml_teach import exercises
from sciml_teach.teach import attempts
from sciml_teach.teach.cli import main


@pytest.fixture
def recording(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIML_TEACH_ATTEMPTS", "1")
    monkeypatch.chdir(tmp_path)
    return tmp_path / attempts.FILE


def test_each_check_appends_id_verdict_and_utc_time_but_not_the_answer(recording, capsys):
    exercises.check("01.1", 1024)
    exercises.check("01.1", 2048)
    exercises.check("01.3", None)                 # not answered: not an attempt
    lines = [json.loads(line) for line in recording.read_text().splitlines()]
    assert [(a["exercise"], a["correct"]) for a in lines] == [("01.1", False), ("01.1", True)]
    assert all(set(a) == {"exercise", "correct", "time"} and a["time"].endswith("Z") for a in lines)
    assert "1024" not in recording.read_text() and "2048" not in recording.read_text()


def test_recording_can_be_turned_off(recording, monkeypatch):
    monkeypatch.setenv("SCIML_TEACH_ATTEMPTS", "0")
    exercises.check("01.1", 2048)
    assert not recording.exists()


def test_a_folder_that_cannot_be_written_never_breaks_a_check(tmp_path, monkeypatch):
    monkeypatch.setenv("SCIML_TEACH_ATTEMPTS", "1")
    assert attempts.record_attempt("01.1", True, folder=tmp_path / "missing") is None


def _learner(folder, name, answers):
    path = folder / name / attempts.FILE
    path.parent.mkdir(parents=True)
    path.write_text("".join(json.dumps({"exercise": e, "correct": c, "time": "2026-12-06T10:00:00Z"})
                            + "\n" for e, c in answers))


def test_progress_sums_learners_attempts_and_solves(tmp_path):
    _learner(tmp_path, "ada", [("01.1", False), ("01.1", True), ("01.2", False), ("01.1", True)])
    _learner(tmp_path, "bo", [("01.1", True)])
    (tmp_path / "bo" / attempts.FILE).open("a").write("not json\n")
    rows, skipped = attempts.summarise(tmp_path)
    assert skipped == 1
    assert rows == [{"exercise": "01.1", "learners": 2, "attempts": 4, "solved": 2, "attempts to solve": 1.5},
                    {"exercise": "01.2", "learners": 1, "attempts": 1, "solved": 0, "attempts to solve": "-"}]
    table = attempts.progress_table(tmp_path)
    assert "2 learner file(s); 1 unreadable line(s) skipped" in table


def test_command_line_mistakes_are_one_line_and_status_2(tmp_path, capsys):
    for argv in (["progress", str(tmp_path / "nowhere")], ["release"], ["teleport"],
                 ["release", "--student", str(tmp_path), "--instructor", str(tmp_path)]):
        with pytest.raises(SystemExit) as stop:
            status = main(argv)
            raise SystemExit(status)
        err = capsys.readouterr().err.strip()
        assert stop.value.code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, argv


def test_the_module_runs_as_a_command(tmp_path):
    _learner(tmp_path, "ada", [("02.1", True)])
    env = dict(os.environ, SCIML_TEACH_ATTEMPTS="0")
    done = subprocess.run([sys.executable, "-m", "sciml_teach.teach", "progress", str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0 and "02.1" in done.stdout, done.stderr
    bad = subprocess.run([sys.executable, "-m", "sciml_teach.teach", "progress", str(tmp_path / "x")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1, bad.stderr
