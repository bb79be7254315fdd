"""Torch's CPU thread count is chosen by one rule, said out loud, and changeable by the learner."""
import json
from pathlib import Path

import pytest
import torch

import sciml_teach as st
from sciml_teach import capability, threads

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("solutions/*.ipynb"))


@pytest.fixture
def no_thread_env(monkeypatch):
    monkeypatch.delenv(threads.ENV_VAR, raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    return monkeypatch


@pytest.fixture
def restore_threads():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_one_thread_on_two_cores_else_torchs_default(no_thread_env):
    assert st.choose_threads(cores=2, default=2)[0] == 1
    assert st.choose_threads(cores=1, default=1)[0] == 1
    assert st.choose_threads(cores=8, default=4) == (4, "this machine has 8 cores: torch's default")


def test_the_learners_setting_wins(no_thread_env):
    no_thread_env.setenv("OMP_NUM_THREADS", "2")
    assert st.choose_threads(cores=2, default=2) == (2, "OMP_NUM_THREADS is set")
    no_thread_env.setenv(threads.ENV_VAR, "3")
    assert st.choose_threads(cores=2, default=2) == (3, f"{threads.ENV_VAR} is set")


def test_use_threads_sets_torch_and_says_so(restore_threads):
    line = st.use_threads(2)
    assert torch.get_num_threads() == 2
    assert line.startswith("torch CPU threads: 2") and "st.use_threads(n)" in line
    with pytest.raises(ValueError, match="at least 1"):
        st.use_threads(0)


def test_capability_report_warns_about_more_threads_than_a_small_machine_has(monkeypatch):
    monkeypatch.setattr(capability, "cpu_cores", lambda: 2)
    assert any("use_threads(1)" in n for n in capability._notes(torch.device("cpu"), {"f": 0.1}, 2))
    assert not any("threads" in n for n in capability._notes(torch.device("cpu"), {"f": 0.1}, 1))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_lesson_chooses_threads_in_its_first_cell(path):
    cells = json.loads(path.read_text())["cells"]
    first = "".join(next(c for c in cells if c["cell_type"] == "code")["source"])
    assert "print(st.use_threads())" in first, f"{path.name}: the first cell should print st.use_threads()"
    assert first.index("use_threads") < first.index("capability_report"), "choose threads before measuring"
