"""Every lesson is committed clean and starts the same way (capability report first, no outputs)."""
import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
NOTEBOOKS = sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("solutions/*.ipynb"))


def test_there_are_lessons():
    assert len(NOTEBOOKS) >= 4


def committed_text(path: Path, root: Path = ROOT) -> str:
    """The notebook as committed (``git show HEAD:path``), so a learner's working copy, which
    JupyterLab autosaves with outputs, never fails the tests; the file itself outside a git
    checkout or before its first commit."""
    rel = path.relative_to(root).as_posix()
    try:
        shown = subprocess.run(["git", "show", f"HEAD:{rel}"], cwd=root, capture_output=True,
                               text=True, timeout=60)
    except FileNotFoundError:  # no git on this machine
        return path.read_text()
    return shown.stdout if shown.returncode == 0 else path.read_text()


def assert_without_outputs(text: str, name: str) -> None:
    for cell in json.loads(text)["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, (
                f"{name}: commit it without outputs: jupyter nbconvert --clear-output --inplace {name}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    assert_without_outputs(committed_text(path), path.name)


def test_a_learners_saved_outputs_do_not_fail_the_committed_check(tmp_path):
    """Run a lesson in place (JupyterLab autosaves its outputs), then run the tests: they read
    what is committed. A commit with outputs still fails."""
    git = lambda *args: subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)
    clean = NOTEBOOKS[0].read_text()
    path = tmp_path / "lesson.ipynb"
    path.write_text(clean)
    git("init", "-q")
    git("add", "lesson.ipynb")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "clean")
    nb = json.loads(clean)
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["execution_count"] = 1
    code["outputs"] = [{"name": "stdout", "output_type": "stream", "text": ["device : cpu\n"]}]
    path.write_text(json.dumps(nb, indent=1))  # the learner's autosaved working copy
    assert_without_outputs(committed_text(path, tmp_path), path.name)
    git("commit", "-qam", "outputs committed by mistake")
    with pytest.raises(AssertionError, match="clear-output"):
        assert_without_outputs(committed_text(path, tmp_path), path.name)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_header_and_first_cell(path):
    cells = json.loads(path.read_text())["cells"]
    header = "".join(cells[0]["source"])
    assert "What you will learn" in header and "Time" in header and "Prerequisites" in header
    first_code = "".join(next(c for c in cells if c["cell_type"] == "code")["source"])
    assert '"google.colab" in sys.modules' in first_code
    assert "capability_report()" in first_code
    assert "torch" not in first_code.split("%pip install")[1].split("\n")[0].replace("sciml_teach", "")
