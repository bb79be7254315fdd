"""Every lesson is committed clean and starts the same way (capability report first, no outputs)."""
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
NOTEBOOKS = sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("solutions/*.ipynb"))


def test_there_are_lessons():
    assert len(NOTEBOOKS) >= 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"{path.name}: clear outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_header_and_first_cell(path):
    cells = json.loads(path.read_text())["cells"]
    header = "".join(cells[0]["source"])
    assert "What you will learn" in header and "Time" in header and "Prerequisites" in header
    first_code = "".join(next(c for c in cells if c["cell_type"] == "code")["source"])
    assert '"google.colab" in sys.modules' in first_code
    assert "capability_report()" in first_code
    assert "torch" not in first_code.split("%pip install")[1].split("\n")[0].replace("sciml_teach", "")
