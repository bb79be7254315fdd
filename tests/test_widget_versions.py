"""Every panel displays as a widget view under Colab's ipywidgets 7.7.1 and under the current 8.x.

Colab ships ipywidgets 7.7.1 and the lessons' Colab cell installs sciml_teach with --no-deps; our
``ipywidgets>=7.7`` requirement declares both versions tested here (each probe's version is checked
against it). 7.7.1 is installed once per test session into a temporary folder (it is pure Python)
and put first on PYTHONPATH of a fresh interpreter that runs tests/widget_display_probe.py.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "tests" / "widget_display_probe.py"
COLAB_IPYWIDGETS = ["ipywidgets==7.7.1", "widgetsnbextension==3.6.1", "ipython_genutils==0.2.0"]


@pytest.fixture(scope="session")
def ipywidgets7(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("ipywidgets7")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                          str(target), *COLAB_IPYWIDGETS], capture_output=True, text=True, timeout=300)
    if pip.returncode != 0:
        pytest.skip(f"could not install Colab's ipywidgets from the package index: {pip.stderr[-300:]}")
    return target


def _probe(extra_path: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([*extra_path, str(ROOT)]))
    run = subprocess.run([sys.executable, str(PROBE)], capture_output=True, text=True, env=env,
                         timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout[run.stdout.index('{"ipywidgets"'):])


def _declared(version: str) -> bool:
    """Whether pyproject's ipywidgets requirement admits ``version``."""
    from packaging.requirements import Requirement
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        tomllib = pytest.importorskip("tomli")
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return any(Requirement(r).name == "ipywidgets" and version in Requirement(r).specifier
               for r in deps)


def _assert_every_panel_shows_its_widget(result: dict) -> None:
    assert _declared(result["ipywidgets"]), (
        f"pyproject.toml's ipywidgets requirement must admit the tested {result['ipywidgets']}")
    assert set(result["shown"]) == set(result["classes"]), (
        "add every panel class to BUILDERS in tests/widget_display_probe.py")
    for name, shown in result["shown"].items():
        assert shown["model_ids"] == [shown["expected"]], (
            f"ipywidgets {result['ipywidgets']}: display({name}) published {shown['model_ids']}, "
            "not one view of its widget")


def test_panels_display_under_colab_ipywidgets_7(ipywidgets7):
    result = _probe([str(ipywidgets7)])
    assert result["ipywidgets"] == "7.7.1"
    _assert_every_panel_shows_its_widget(result)


def test_panels_display_under_installed_ipywidgets_8():
    result = _probe([])
    assert result["ipywidgets"].startswith("8.")
    _assert_every_panel_shows_its_widget(result)
