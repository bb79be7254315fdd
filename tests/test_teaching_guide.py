"""docs/teaching.md against the lessons (issue 28): its rubric covers exactly the open questions the
lessons ask, its two-day plan places every lesson and every checked exercise, and the board plan
it links has the four derivations. Read from the notebooks at test time, so a lesson that gains or
loses an open question fails here until the guide follows."""
import json
import re
from pathlib import Path

from sciml_teach.teach.release import exercise_cells

ROOT = Path(__file__).resolve().parent.parent
GUIDE = (ROOT / "docs" / "teaching.md").read_text()
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
_ITEM = re.compile(r"^(?:# )?(\d+)\. ", re.MULTILINE)       # "1. ..." or "# 1. ..." in a code cell
_CHECK = re.compile(r"""exercises\.check\(\s*["'](\d\d\.\d+)["']""")


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", GUIDE, re.MULTILINE | re.DOTALL)
    assert match, f"docs/teaching.md has no '## {title}' section"
    return match.group(1)


def lesson_exercises(path: Path) -> tuple[set[str], set[str]]:
    """(every numbered exercise, the checked ones) of a lesson's Exercises section, as 'NN.k'."""
    nb = json.loads(path.read_text())
    numbered, checked = set(), set()
    for i in exercise_cells(nb):
        text = "".join(nb["cells"][i]["source"])
        numbered |= {f"{path.name[:2]}.{k}" for k in _ITEM.findall(text)}
        checked |= set(_CHECK.findall(text))
    return numbered, checked


def _expand(text: str) -> set[str]:
    """Exercise ids in ``text``; a range '01.1-01.3' counts every id in it."""
    ids = set(re.findall(r"\b\d\d\.\d+\b", text))
    for lesson, a, b in re.findall(r"\b(\d\d)\.(\d+)-\1\.(\d+)\b", text):
        ids |= {f"{lesson}.{k}" for k in range(int(a), int(b) + 1)}
    return ids


def test_the_rubric_lists_exactly_the_lessons_open_questions():
    open_questions = set()
    for path in LESSONS:
        numbered, checked = lesson_exercises(path)
        assert checked <= numbered, f"{path.name}: a check for an exercise the text does not number"
        open_questions |= numbered - checked
    rubric = set(re.findall(r"^- \*\*(\d\d\.\d+)\*\*", _section("Rubric for the open questions"),
                            re.MULTILINE))
    assert {"07.3", "08.3"} <= open_questions
    assert rubric == open_questions, (f"missing from the rubric: {sorted(open_questions - rubric)}; "
                                      f"not open in any lesson: {sorted(rubric - open_questions)}")


def test_the_two_day_plan_places_every_lesson_and_every_checked_exercise():
    plan = _section("A two-day workshop")
    rows = [line for line in plan.splitlines() if line.startswith("| 1 |") or line.startswith("| 2 |")]
    for path in LESSONS:
        assert any(f"lesson {path.name[:2]}" in row for row in rows), f"lesson {path.name[:2]} not placed"
        numbered, checked = lesson_exercises(path)
        missing = numbered - _expand(" ".join(rows))
        assert not missing, f"the two-day plan leaves out exercises {sorted(missing)}"


def test_the_board_plan_has_the_four_derivations_and_the_guide_links_it():
    assert "](board_plan.md)" in GUIDE
    board = (ROOT / "docs" / "board_plan.md").read_text()
    headings = re.findall(r"^## \d\. (.*)$", board, re.MULTILINE)
    assert len(headings) == 4
    for needle in ("float's bits", "branch × trunk", "∂/∂z, then ∂/∂a", "zero mode overflowing"):
        assert any(needle in h for h in headings), needle


def test_the_slow_machine_list_names_real_sections_of_each_lesson():
    rows = [line for line in _section("Slow machines: what to skip, and what the site shows instead")
            .splitlines() if re.match(r"\| lesson \d\d \|", line)]
    assert len(rows) == len(LESSONS)
    for row, path in zip(rows, LESSONS):
        assert row.startswith(f"| lesson {path.name[:2]} |")
        nb = json.loads(path.read_text())
        headings = {"".join(c["source"]).splitlines()[0][3:] for c in nb["cells"]
                    if c["cell_type"] == "markdown" and "".join(c["source"]).startswith("## ")}
        named = re.findall(r'"([^"]+)"', row.split("|")[2])
        assert set(named) <= headings, f"{path.name}: no such section {sorted(set(named) - headings)}"
