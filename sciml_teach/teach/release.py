"""The lessons as an nbgrader course, and as learners receive them.

Read from each lesson's own structure, nothing is marked by hand in the notebooks:

* the ``## Exercises`` section's code cells with ``answer_k = None`` lines are the *answer cells*
  (nbgrader: ``solution``); in the instructor's copy each such line is followed by a
  ``### BEGIN SOLUTION ... ### END SOLUTION`` region holding the worked solution, taken from
  ``solutions/NN_*_solutions.ipynb``: the code cells under its ``## N.k`` heading, up to the one
  that checks exercise ``NN.k``;
* each ``exercises.check("NN.k", answer_k)`` call gets an *autograder test cell* after the
  lesson's check cell (nbgrader: ``grade``, locked, 1 point) whose test is hidden
  (``### BEGIN HIDDEN TESTS``): nbgrader keeps it in the teacher's gradebook, leaves it out of the
  learners' copy and puts it back when it grades.

The student copy is what ``nbgrader generate_assignment`` makes of the instructor's copy (regions
cleared to :data:`STUB`, hidden tests removed, outputs cleared), so a teacher without nbgrader can
hand it out too. Answers are never typed in: the hidden test asks the same checker as the lesson
(:func:`sciml_teach.exercises.check`), which computes them from the library and prints only hints.
"""
from __future__ import annotations

import ast
import copy
import json
import re
import shutil
from pathlib import Path

from .. import course

ROOT = Path(__file__).resolve().parents[2]            # a clone of the course repository
STUB = "# YOUR CODE HERE: replace None above by your answer"
_ANSWER = re.compile(r"^(answer_\d+)\s*=\s*None\b.*$", re.MULTILINE)
_CHECK = re.compile(r"""exercises\.check\(\s*["'](\d\d\.\d+)["']\s*,\s*(\w+)\s*\)""")
TEXT_STUB = "YOUR ANSWER HERE"      # nbgrader's own stub for a written answer
_REGIONS = {"SOLUTION": True, "HIDDEN TESTS": False}   # region -> replaced by a stub (or removed)
_ITEM = re.compile(r"^(?:# )?(\d+)\. ", re.MULTILINE)    # "1. ..." (markdown) or "# 1. ..." (code)


def _meta(grade_id: str, solution: bool) -> dict:
    """nbgrader's cell metadata, schema 3: an answer cell, or a locked 1-point test cell."""
    cell = {"grade": not solution, "grade_id": grade_id, "locked": not solution,
            "schema_version": 3, "solution": solution, "task": False}
    if not solution:
        cell["points"] = 1
    return {"nbgrader": cell}


def _src(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def exercise_cells(nb: dict) -> list[int]:
    """Indices of the cells of the ``## Exercises`` section, its heading's cell included."""
    inside, found = False, []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "markdown" and _src(cell).startswith("## "):
            inside = _src(cell).startswith("## Exercises")
        if inside:
            found.append(i)
    return found


def graded_exercises(nb: dict) -> list[tuple[str, str]]:
    """[(exercise id, answer variable)] of the lesson's check calls, in order."""
    found = [m.groups() for i in exercise_cells(nb) if nb["cells"][i]["cell_type"] == "code"
             for m in _CHECK.finditer(_src(nb["cells"][i]))]
    return list(dict.fromkeys(found))


def open_questions(nb: dict, lesson: str) -> list[str]:
    """The Exercises section's numbered questions without a checker, as 'NN.k' ids: the open ones
    (marked by hand with the rubric in docs/teaching.md)."""
    numbered, checked = [], set()
    for i in exercise_cells(nb):
        text = _src(nb["cells"][i])
        numbered += [f"{lesson}.{k}" for k in _ITEM.findall(text)]
        checked |= {m.group(1) for m in _CHECK.finditer(text)}
    return [q for q in dict.fromkeys(numbered) if q not in checked]


def solution_code(solutions: dict, exercise_id: str, variable: str) -> str:
    """The worked solution of ``exercise_id``: the code under its ``## N.k`` heading up to the
    cell that checks it, ending with ``variable = <what that check was given>``."""
    lesson, k = exercise_id.split(".")
    heading, inside, parts = f"## {int(lesson)}.{k} ", False, []
    for cell in solutions["cells"]:
        text = _src(cell)
        if cell["cell_type"] == "markdown" and text.startswith("## "):
            inside = text.startswith(heading)
        elif inside and cell["cell_type"] == "code":
            parts.append(text.rstrip())
            if f'check("{exercise_id}"' in text:
                given = _checked_expression(text, exercise_id)
                if given != variable:
                    parts.append(f"{variable} = {given}")
                return "\n".join(parts)
    raise ValueError(f"solutions have no '{heading.strip()}' section whose code checks "
                     f"{exercise_id!r}: add one (its code ends with exercises.check)")


def _checked_expression(code: str, exercise_id: str) -> str:
    """The source of the answer handed to ``check(exercise_id, ...)`` in ``code``."""
    for node in ast.walk(ast.parse(code)):
        if (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "check"
                and len(node.args) == 2 and getattr(node.args[0], "value", None) == exercise_id):
            return ast.get_source_segment(code, node.args[1])
    raise ValueError(f"no exercises.check({exercise_id!r}, ...) call in the solution")


def instructor_notebook(lesson: dict, solutions: dict | None, number: str = "") -> dict:
    """The nbgrader source of one lesson ``number``: answer cells with solution regions, hidden
    tests, and a manually graded answer cell per open question."""
    nb, graded = copy.deepcopy(lesson), graded_exercises(lesson)
    if graded and solutions is None:
        raise ValueError("the lesson has checked exercises but no solutions notebook")
    cells, placed, last_check = nb["cells"], set(), None
    for i in exercise_cells(nb):
        cell = cells[i]
        if cell["cell_type"] != "code":
            continue
        code = _src(cell)
        answers = {m.group(1) for m in _ANSWER.finditer(code)} & {v for _, v in graded}
        if answers:
            cell["source"] = _with_solutions(code, graded, solutions)
            cell["metadata"].update(_meta(f"answers_{i}", solution=True))
            placed |= answers
        if _CHECK.search(code):
            last_check = i
    missing = sorted({v for _, v in graded} - placed)
    if missing:
        raise ValueError(f"no exercise cell sets {', '.join(f'{v} = None' for v in missing)}: "
                         "each checked answer needs such a line in the Exercises section")
    tests = [_test_cell(eid, var) for eid, var in graded]
    tests += [_open_cell(q) for q in open_questions(lesson, number)] if number else []
    section = exercise_cells(nb)
    where = last_check if last_check is not None else (section[-1] if section else None)
    if where is not None:
        cells[where + 1:where + 1] = tests
    return nb


def _with_solutions(code: str, graded: list[tuple[str, str]], solutions: dict) -> str:
    """``code`` with a solution region after each graded ``answer_k = None`` line."""
    ids = {var: eid for eid, var in graded}
    out = []
    for line in code.splitlines():
        out.append(line)
        match = _ANSWER.match(line)
        if match and match.group(1) in ids:
            var = match.group(1)
            out += ["### BEGIN SOLUTION", "from sciml_teach import exercises",
                    solution_code(solutions, ids[var], var), "### END SOLUTION"]
    return "\n".join(out)


def _test_cell(exercise_id: str, variable: str) -> dict:
    source = (f"# Autograded: exercise {exercise_id}, 1 point. The test is hidden from learners;\n"
              f"# nbgrader puts it back when it grades (the same checker as the cell above).\n"
              f"### BEGIN HIDDEN TESTS\nfrom sciml_teach import exercises\n"
              f'assert exercises.check("{exercise_id}", {variable}), "{exercise_id} is not right"\n'
              f"### END HIDDEN TESTS")
    return {"cell_type": "code", "execution_count": None, "id": f"test-{exercise_id.replace('.', '-')}",
            "metadata": _meta(f"test_{exercise_id.replace('.', '_')}", solution=False),
            "outputs": [], "source": source}


def _open_cell(question: str) -> dict:
    """A manually graded written answer (1 point) for an open question; the region holds where
    the teacher finds the rubric and the worked answer."""
    lesson, k = question.split(".")
    source = (f"**Your answer to {question} (open)**, with the numbers you measured:\n\n"
              f"### BEGIN SOLUTION\nMark with docs/teaching.md, \"Rubric for the open questions\", "
              f"{question}; worked answer: solutions/, section {int(lesson)}.{k}.\n### END SOLUTION")
    meta = _meta(f"open_{question.replace('.', '_')}", solution=True)
    meta["nbgrader"].update(grade=True, points=1)
    return {"cell_type": "markdown", "id": f"open-{question.replace('.', '-')}", "metadata": meta,
            "source": source}


def student_notebook(instructor: dict) -> dict:
    """What ``nbgrader generate_assignment`` hands out: solution regions cleared to STUB, hidden
    tests removed, outputs cleared; hints and the nbgrader metadata kept."""
    nb = copy.deepcopy(instructor)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["source"] = _clear_regions(_src(cell))
            cell["outputs"], cell["execution_count"] = [], None
        elif cell["metadata"].get("nbgrader", {}).get("solution"):
            cell["source"] = _clear_regions(_src(cell), TEXT_STUB)
    return nb


def _clear_regions(code: str, stub: str = STUB) -> str:
    out, region = [], None
    for line in code.splitlines():
        marker = line.strip()
        if region is None and marker.startswith("### BEGIN ") and marker[10:] in _REGIONS:
            region = marker[10:]
            if _REGIONS[region]:
                out.append(line[:len(line) - len(line.lstrip())] + stub)
        elif region is not None:
            region = None if marker == f"### END {region}" else region
        else:
            out.append(line)
    return "\n".join(out)


NBGRADER_CONFIG = '''\
# nbgrader's settings for this course, written by `python -m sciml_teach.teach release`.
import os
os.environ.setdefault("SCIML_TEACH_QUICK", "1")     # grade in quick mode (about a minute a lesson)
os.environ.setdefault("SCIML_TEACH_ATTEMPTS", "0")  # grading is not a learner's attempt
c = get_config()  # noqa: F821 -- nbgrader's config loader defines it
c.CourseDirectory.course_id = "sciml_teach"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(os.path.dirname(os.path.abspath(__file__)), "gradebook.db")
c.ClearSolutions.code_stub = {{"python": {stub!r}}}
c.Execute.timeout = 900                              # seconds per cell: lessons train in some cells
'''


STUDENT_README = """\
# sciml_teach: the lessons

Open the notebooks in `notebooks/` with Jupyter (`pip install "sciml_teach @ git+{url}"` first) and run
them top to bottom. Each lesson ends with exercises: replace `None` by your answer and run the check
cell; it says *correct* or gives a hint. Graded exercises are marked "Autograded".

Each check appends one line to `.sciml_teach_attempts.jsonl` in the notebook's folder: the exercise
id, whether the answer was right and the time (UTC) -- not your answer, not your name; nothing is
sent anywhere. Hand the file in if your teacher asks; set `SCIML_TEACH_ATTEMPTS=0` to turn it off.
"""


def lesson_paths(root: Path = ROOT) -> list[tuple[Path, Path | None]]:
    """[(lesson notebook, its solutions notebook or None)] of a course clone."""
    lessons = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not lessons:
        raise ValueError(f"no lessons under {root / 'notebooks'}: run this from a clone of the course")
    return [(p, next(iter(sorted((root / "solutions").glob(f"{p.stem}_solutions.ipynb"))), None))
            for p in lessons]


def _read(path: Path) -> dict:
    return json.loads(path.read_text())


def _write(nb: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def release(out: Path, instructor: bool, root: Path = ROOT) -> list[Path]:
    """Write the course to ``out`` (must be new or empty); returns the notebooks written.

    student: ``out/notebooks/*.ipynb`` as learners receive them, no solutions.
    instructor: an nbgrader course folder, ``out/nbgrader_config.py``, ``out/source/<lesson>/``
    (run ``nbgrader generate_assignment <lesson>`` there) and ``out/solutions/``."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"output folder {str(out)!r} exists and is not empty: give a new folder")
    written = []
    for lesson, solutions in lesson_paths(root):
        source = instructor_notebook(_read(lesson), solutions and _read(solutions), lesson.name[:2])
        target = (out / "source" / lesson.stem / lesson.name if instructor
                  else out / "notebooks" / lesson.name)
        _write(source if instructor else student_notebook(source), target)
        written.append(target)
    if not instructor:
        (out / "README.md").write_text(STUDENT_README.format(url=course.REPO_URL))
    if instructor:
        (out / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(stub=STUB))
        shutil.copytree(root / "solutions", out / "solutions")
    return written
