"""One source of truth for the course's budgets and step counts: ``sciml_teach.course.LESSONS``.

README's course map, every lesson's "Time" line and docs/teaching.md must say what LESSONS says,
and every training run LESSONS lists must be the one the lesson trains (``st.lesson_steps``), so
a time or a step count quoted in one place cannot drift from another.
"""
import json
import re
from pathlib import Path

import pytest

from sciml_teach import course

ROOT = Path(__file__).resolve().parent.parent


def _source(lesson: course.Lesson) -> str:
    cells = json.loads((ROOT / lesson.path).read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells)


def _table_rows(path: Path, pattern: str) -> dict[str, list[str]]:
    """{lesson number: [cells]} of the Markdown table rows that match ``pattern``."""
    rows = {}
    for line in path.read_text().splitlines():
        if m := re.match(pattern, line):
            rows[m.group(1)] = [c.strip() for c in line.strip().strip("|").split("|")]
    return rows


@pytest.mark.parametrize("lesson", course.LESSONS, ids=lambda e: e.number)
def test_lesson_header_says_the_syllabus_time(lesson):
    header = json.loads((ROOT / lesson.path).read_text())["cells"][0]
    assert lesson.time_line() in "".join(header["source"]), \
        f"{lesson.path}'s first cell must contain, word for word: {lesson.time_line()}"


@pytest.mark.parametrize("lesson", course.LESSONS, ids=lambda e: e.number)
def test_lesson_trains_the_steps_the_syllabus_lists(lesson):
    source = _source(lesson)
    listed = {run for run, _, _ in lesson.steps}
    used = set(re.findall(rf'st\.lesson_steps\("{lesson.number}", "([^"]+)"\)', source))
    assert used == listed, f"{lesson.path} trains runs {sorted(used)}, the syllabus lists {sorted(listed)}"


def test_readme_course_map_says_the_syllabus_times():
    rows = _table_rows(ROOT / "README.md", r"\| \[(\d\d) ")
    assert set(rows) == {e.number for e in course.LESSONS}
    for e in course.LESSONS:
        assert rows[e.number][2] == f"{e.cpu_full} / {e.cpu_quick}", f"README's CPU time of lesson {e.number}"


def test_teaching_notes_say_the_syllabus_times():
    rows = _table_rows(ROOT / "docs" / "teaching.md", r"\| (\d\d) ")
    assert set(rows) == {e.number for e in course.LESSONS}
    for e in course.LESSONS:
        assert rows[e.number][1:5] == [e.needs, e.cpu_quick, e.cpu_full, e.gpu], f"teaching.md, lesson {e.number}"


def test_lesson_steps_follow_quick_mode(monkeypatch):
    monkeypatch.setenv("SCIML_TEACH_QUICK", "1")
    assert course.lesson_steps("02", "burgers") == 500
    monkeypatch.setenv("SCIML_TEACH_QUICK", "0")
    assert course.lesson_steps("02", "burgers") == 20_000
    with pytest.raises(ValueError, match="no run 'nope'"):
        course.lesson_steps("02", "nope")
    with pytest.raises(ValueError, match="unknown lesson '99'"):
        course.lesson("99")
