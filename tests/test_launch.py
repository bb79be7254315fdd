"""One-click launch, verified rather than assumed: Colab badges, install lines, Binder, CI.

The repository URL lives only in ``sciml_teach/course.py``; every badge and install line must be
derived from it, and the environment files must agree with ``pyproject.toml``.
"""
import json
import re
import shlex
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

from sciml_teach import course

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("solutions/*.ipynb"))
# What a Colab runtime already has: the set-up cell never reinstalls these, and installs (with
# --no-deps) every other runtime dependency. Versions: Colab's, which pyproject must admit, since
# `pip install .` there must resolve without replacing them.
PREINSTALLED_IN_COLAB = {"torch", "numpy", "scipy", "matplotlib", "ipywidgets", "tqdm"}
COLAB_VERSIONS = {"ipywidgets": "7.7.1"}
COLAB_URL = re.compile(r"https://colab\.research\.google\.com/github/[^)\s\"']+")


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _name(requirement: str) -> str:
    """'opt_einsum>=3.3' -> 'opt-einsum' (PEP 503 normalised), 'sciml_teach @ git+...' -> 'sciml-teach'."""
    return re.sub(r"[-_.]+", "-", re.split(r"[\s<>=!~;@\[]", requirement.strip(), maxsplit=1)[0]).lower()


def _requirement(requirement: str) -> tuple[str, str]:
    """(normalised name, version specifier without spaces)."""
    name = _name(requirement)
    spec = re.sub(r"\s+", "", requirement.strip())
    return name, spec[len(re.split(r"[<>=!~]", spec, maxsplit=1)[0]):]


def _pyproject_requirements() -> set[tuple[str, str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {_requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}


def _conda_requirements(path: Path) -> set[tuple[str, str]]:
    """Conda and pip requirements of an environment file, without python, pip and index options."""
    deps = yaml.safe_load(path.read_text())["dependencies"]
    found = set()
    for dep in deps:
        if isinstance(dep, dict):
            found |= {_requirement(r) for r in dep["pip"] if not r.startswith("-")}
        elif _name(dep) not in {"python", "pip"}:
            found.add(_requirement(dep))
    return found


def test_there_are_notebooks_and_solutions():
    assert any(p.parent.name == "notebooks" for p in NOTEBOOKS)
    assert any(p.parent.name == "solutions" for p in NOTEBOOKS)


def test_course_urls_derive_from_one_repo_url():
    slug = course.repo_slug()
    assert course.REPO_URL.endswith(slug) and slug.count("/") == 1
    path = "notebooks/00_start_here.ipynb"
    assert course.colab_url(path).endswith(f"/{slug}/blob/{course.BRANCH}/{path}")
    assert course.colab_url(path) in course.colab_badge(path)
    assert course.pip_spec() == f"sciml_teach @ git+{course.REPO_URL}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_rel)
def test_colab_badge_opens_this_notebook(path):
    header = "".join(_cells(path)[0]["source"])
    assert course.colab_badge(_rel(path)) in header, (
        f"{_rel(path)}: the first cell needs the badge course.colab_badge({_rel(path)!r})")
    urls = {u for c in _cells(path) if c["cell_type"] == "markdown" for u in COLAB_URL.findall("".join(c["source"]))}
    assert urls == {course.colab_url(_rel(path))}, f"{_rel(path)}: every Colab link must open this notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_rel)
def test_first_code_cell_installs_only_this_package_in_colab(path):
    first = "".join(next(c for c in _cells(path) if c["cell_type"] == "code")["source"])
    lines = [line.strip() for line in first.splitlines() if "pip install" in line]
    assert len(lines) == 1, f"{_rel(path)}: expected exactly one install line, found {lines}"
    before = first.split(lines[0])[0]
    assert 'if "google.colab" in sys.modules:' in before, "the install must run only in Colab"
    words = shlex.split(lines[0].lstrip("%!"))
    assert words[:2] == ["pip", "install"] and "--no-deps" in words, "install without dependencies"
    requirements = [w for w in words[2:] if not w.startswith("-")]
    assert course.pip_spec() in requirements, f"{_rel(path)}: install {course.pip_spec()!r}"
    runtime = {_name(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    extras = {_name(r) for r in requirements if r != course.pip_spec()}
    assert extras <= runtime - PREINSTALLED_IN_COLAB, (
        f"{_rel(path)}: {sorted(extras - runtime)} reinstall what Colab has or are not dependencies")
    assert extras >= runtime - PREINSTALLED_IN_COLAB, (
        f"{_rel(path)}: --no-deps leaves out {sorted(runtime - PREINSTALLED_IN_COLAB - extras)}, "
        "runtime dependencies Colab lacks")
    assert "git+" not in first.replace(course.pip_spec(), ""), "the repository URL must be course.REPO_URL"
    assert "capability_report()" in first


def test_readme_badges_use_the_repo_url():
    readme = (ROOT / "README.md").read_text()
    start = "notebooks/00_start_here.ipynb"
    assert course.binder_url(start) in readme and course.colab_url(start) in readme
    assert set(COLAB_URL.findall(readme)) == {course.colab_url(start)}


def test_environment_files_match_pyproject():
    expected = _pyproject_requirements()
    assert _conda_requirements(ROOT / "environment.yml") == expected
    assert _conda_requirements(ROOT / "binder" / "environment.yml") == expected


@pytest.mark.parametrize("name, version", COLAB_VERSIONS.items())
def test_pip_install_keeps_what_colab_has(name, version):
    """`pip install .` resolves with Colab's version already installed (it is not replaced):
    pyproject's specifier, and so each environment file's (they agree, above), admits it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = [Requirement(r).specifier for r in project["dependencies"] if _name(r) == name]
    assert len(specs) == 1, f"pyproject should list {name} once among its dependencies"
    assert Version(version) in specs[0], f"pyproject's {name}{specs[0]} refuses Colab's {version}"


def test_binder_cpu_torch_and_postbuild_installs_the_package():
    pip_section = next(d for d in yaml.safe_load((ROOT / "binder/environment.yml").read_text())["dependencies"]
                       if isinstance(d, dict))["pip"]
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in pip_section
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert re.search(r"^python -m pip install .*(-e )?\.\s*$", post_build, re.M), post_build
    assert (ROOT / "binder" / "postBuild").stat().st_mode & 0o111, "postBuild must be executable"


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "README's Quick start needs a ```bash block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_has_two_commands_and_ci_runs_the_second():
    commands = _quick_start_commands()
    assert len(commands) == 2, commands
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    runs = [line.strip() for line in ci if line.strip().startswith(commands[1])]
    assert runs, f".ci/run must run the README's test command: {commands[1]}"
    extra = runs[0][len(commands[1]):].split()
    assert extra in ([], ["-p", "no:cacheprovider"]), f"CI adds more than the README says: {extra}"


INSTALL_ROWS = ["Linux, CPU only", "Linux with an NVIDIA GPU", "macOS", "Windows", "Colab", "Binder"]


def test_quick_start_leads_with_an_install_table_of_two_steps_per_machine():
    section = (ROOT / "README.md").read_text().split("## Quick start\n", 1)[1]
    before_commands = section.split("```bash", 1)[0]
    rows = [line for line in before_commands.splitlines() if line.startswith("| ") and "---" not in line]
    machines = [row.split("|")[1].strip() for row in rows[1:]]
    assert [m for m in machines if any(m.startswith(r) for r in INSTALL_ROWS)] == machines
    assert len(machines) == len(INSTALL_ROWS), machines
    for row in rows[1:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 3 and all(cells[1:]), f"two steps per machine: {row}"
    cpu = next(r for r in rows if r.startswith("| Linux, CPU only"))
    assert "--index-url https://download.pytorch.org/whl/cpu" in cpu


def test_readme_gpu_column_is_what_docs_results_measured():
    """The course map's GPU column is generated from docs/results/ (or says "not yet measured"),
    so it can never quote a GPU figure nobody measured."""
    import re
    from sciml_teach.bench.summary import course_map_gpu_cells, load_results
    cells = course_map_gpu_cells(*load_results(ROOT / "docs" / "results"))
    rows = {m.group(1): line.split("|")[4].strip()
            for line in (ROOT / "README.md").read_text().splitlines()
            if (m := re.match(r"\| \[(\d\d) ", line))}
    assert rows == cells
