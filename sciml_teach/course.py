"""Where the course lives: the repository URL, in one place, and every link derived from it.

Each notebook's "Open in Colab" badge and its Colab install line must point at this repository;
``tests/test_launch.py`` checks them against the functions below, so moving the repository means
changing :data:`REPO_URL` here and regenerating the links the test then names.
"""
from __future__ import annotations

from dataclasses import dataclass

from .quick import pick

REPO_URL = "https://github.com/sciml-teach/sciml_teach"  # the one place the repository is named
BRANCH = "main"                                            # the branch badges open
PACKAGE = "sciml_teach"                                    # the pip distribution name

_GITHUB = "https://github.com/"


def repo_slug() -> str:
    """'owner/name' of the repository, e.g. 'sciml-teach/sciml_teach'."""
    if not REPO_URL.startswith(_GITHUB):
        raise ValueError(f"REPO_URL must start with {_GITHUB!r}, got {REPO_URL!r}")
    return REPO_URL[len(_GITHUB):].rstrip("/")


def colab_url(path: str) -> str:
    """The Colab address that opens ``path`` (relative to the repository root, e.g. 'notebooks/01_x.ipynb')."""
    return f"https://colab.research.google.com/github/{repo_slug()}/blob/{BRANCH}/{path}"


def colab_badge(path: str) -> str:
    """The Markdown 'Open in Colab' badge for ``path``: the second line of every notebook."""
    return ("[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
            f"({colab_url(path)})")


def binder_url(path: str) -> str:
    """The mybinder.org address that opens ``path`` in JupyterLab."""
    return f"https://mybinder.org/v2/gh/{repo_slug()}/{BRANCH}?urlpath=lab/tree/{path}"


def pip_spec() -> str:
    """What the Colab set-up cell installs: this package from the repository, nothing else of ours."""
    return f"{PACKAGE} @ git+{REPO_URL}"


# --- The syllabus: one source of truth for what each lesson needs, how long it takes, how far it trains.
# README's course map, every lesson's "Time" line, lesson 00's map and docs/teaching.md are checked
# against these values by tests/test_course_facts.py; a lesson reads its step counts from here
# (``lesson_steps``), so a number quoted elsewhere cannot drift from the one that runs.
@dataclass(frozen=True)
class Lesson:
    number: str                   # "03": the notebook's prefix
    slug: str                     # "03_amp_recovery": the notebook's file name without .ipynb
    title: str                    # "AMP recovery": as in the course map
    needs: str                    # prerequisites, e.g. "lessons 01-02"
    cpu_full: str                 # CPU time in full mode, e.g. "~3 min" (estimates say so)
    cpu_quick: str                # CPU time in quick mode, measured by the site build on a 2-core machine
    gpu: str                      # GPU lesson time: measured, or "not yet measured"
    steps: tuple[tuple[str, int, int], ...] = ()  # (run, quick steps, full steps) of its training runs

    @property
    def path(self) -> str:
        return f"notebooks/{self.slug}.ipynb"

    def time_line(self) -> str:
        """The lesson header's line, word for word: budgets and prerequisites."""
        return (f"**Time:** CPU {self.cpu_full} full / {self.cpu_quick} quick; GPU {self.gpu}. "
                f"**Prerequisites:** {self.needs}.")


LESSONS: tuple[Lesson, ...] = (
    Lesson("00", "00_start_here", "start here", "Python and a little PyTorch", "~15 s", "~10 s",
           "not yet measured", (("panel", 400, 1000),)),
    Lesson("01", "01_floating_point", "floating point", "lesson 00", "~5 s", "~5 s",
           "not yet measured"),
    Lesson("02", "02_float16_divergence", "float16 divergence", "lesson 01",
           "~10 min (20,000 float32 Burgers steps, estimated)", "~40 s", "not yet measured",
           (("burgers", 500, 20_000), ("burgers fp16 eps=1e-4", 40, 200), ("poisson", 1000, 5000),
            ("remedies", 500, 2000))),
    Lesson("03", "03_amp_recovery", "AMP recovery", "lessons 01-02", "~2 min", "~70 s",
           "not yet measured", (("policies", 1000, 1000), ("small loss", 400, 400), ("scale trace", 300, 300))),
    Lesson("04", "04_deeponet_amp", "DeepONet + AMP", "lesson 03", "~25 min (estimated from measured step times)", "~30 s",
           "not yet measured", (("data-driven", 300, 3000), ("physics-informed", 100, 1000))),
    Lesson("05", "05_zero_coordinate_shift", "Zero Coordinate Shift", "lesson 04",
           "~10 min before its trained-error, order and Stokes sections (estimated; not re-run)", "~15 s", "not yet measured"),
    Lesson("06", "06_fno_mixed_precision", "FNO mixed precision", "lessons 01 and 03",
           "~8 min before its round-off and Navier–Stokes sections (estimated; not re-run)", "~40 s", "not yet measured", (("settings", 150, 1500),)),
    Lesson("07", "07_capstone_zcs_amp", "capstone: ZCS + AMP", "lessons 03, 04 and 05",
           "~18 min (estimated from measured step times)", "~30 s", "not yet measured",
           (("combinations", 80, 1000),)),
    Lesson("08", "08_beyond_one_device", "beyond one device", "lessons 03, 05 and 07",
           "~1 min before its per-rank program (not re-run)", "~30 s", "not yet measured",
           (("checks", 20, 20), ("seeds", 40, 500))),
)


def lesson(number: str) -> Lesson:
    """The syllabus entry of lesson ``number`` ("00" ... "08")."""
    for entry in LESSONS:
        if entry.number == number:
            return entry
    raise ValueError(f"unknown lesson {number!r}; valid: {', '.join(e.number for e in LESSONS)}")


def lesson_steps(number: str, run: str) -> int:
    """How many steps lesson ``number``'s ``run`` trains, in the current mode (quick or full)."""
    for name, quick, full in lesson(number).steps:
        if name == run:
            return pick(quick, full)
    names = ", ".join(name for name, _, _ in lesson(number).steps) or "(none)"
    raise ValueError(f"lesson {number} has no run {run!r}; its runs: {names}")


def course_rows() -> list[dict]:
    """One row per lesson for a table: number, title, CPU full/quick, GPU, and its runs' steps."""
    return [{"lesson": f"{e.number} {e.title}", "CPU full": e.cpu_full, "CPU quick": e.cpu_quick,
             "GPU": e.gpu, "steps (quick / full)": ", ".join(f"{n} {q} / {f}" for n, q, f in e.steps) or "-"}
            for e in LESSONS]
