"""Progress bars: one policy (sciml_teach.progress), bars in the CLI's terminal output when asked,
none in quick mode or under pytest; the console command points at the CLI."""
import os
import subprocess
import sys
import tomllib
from importlib import import_module
from pathlib import Path

from sciml_teach.progress import ENV_VAR, progress, show_progress

ROOT = Path(__file__).resolve().parents[1]
BENCH = [sys.executable, "-m", "sciml_teach.bench", "precision", "--quick", "--device", "cpu",
         "--policies", "fp32", "--steps", "30"]
BAR = "100%|"  # what tqdm prints when a bar finishes


def test_policy_quiet_under_pytest_and_in_quick_mode(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert not show_progress()                       # pytest sets PYTEST_CURRENT_TEST
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    monkeypatch.setenv("SCIML_TEACH_QUICK", "1")
    assert not show_progress()
    monkeypatch.delenv("SCIML_TEACH_QUICK")
    assert show_progress()                           # full mode, a terminal: bars
    monkeypatch.setenv(ENV_VAR, "0")
    assert not show_progress()
    monkeypatch.setenv(ENV_VAR, "1")
    monkeypatch.setenv("SCIML_TEACH_QUICK", "1")
    assert show_progress()                           # asked for: shown even in quick mode


def test_progress_yields_the_same_items_and_closes_on_break(monkeypatch, capsys):
    monkeypatch.setenv(ENV_VAR, "1")
    for item in progress(range(5), "demo"):
        if item == 2:
            break
    assert "demo" in capsys.readouterr().err
    monkeypatch.setenv(ENV_VAR, "0")
    assert list(progress(iter("abc"), "demo")) == ["a", "b", "c"]
    assert capsys.readouterr().err == ""


def _bench(*flags: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    env.pop(ENV_VAR, None)
    return subprocess.run(BENCH + list(flags), capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)


def test_cli_shows_bars_with_progress_and_none_without():
    shown = _bench("--progress")
    assert shown.returncode == 0, shown.stderr
    assert "policies" in shown.stderr and BAR in shown.stderr, shown.stderr
    quiet = _bench()
    assert quiet.returncode == 0, quiet.stderr
    assert BAR not in quiet.stderr + quiet.stdout, quiet.stderr


def test_console_command_runs_the_cli():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, func = scripts["sciml-teach-bench"].split(":")
    main = getattr(import_module(module), func)
    assert main is import_module("sciml_teach.bench.__main__").main


def test_every_wrapped_loop_runs_with_bars_on(monkeypatch, capsys):
    """Each call site's one wrap, switched on: the loops still run and draw their bars."""
    import sciml_teach as st
    monkeypatch.setenv(ENV_VAR, "1")
    rows = st.strategy_sweep([st.SweepCase("reaction_diffusion", 2, 64)], ["zcs"], device="cpu",
                             width=8, repeats=1, progress=lambda row: None)
    assert rows and rows[0]["status"] == "ok"
    problem = st.Poisson1D()
    runs = st.train_pinn_seeds(problem, {"fp32": st.TrainConfig(steps=3, device="cpu")}, seeds=[0, 1])
    assert [h.steps for h in runs["fp32"]] == [3, 3]
    err = capsys.readouterr().err
    assert "sweep cases" in err and "seeds" in err and "fp32" in err, err


def test_data_set_generation_draws_bars(monkeypatch, capsys, tmp_path):
    from sciml_teach.problems import BurgersConfig, DarcyConfig, burgers_dataset, darcy_dataset
    monkeypatch.setenv("SCIML_TEACH_CACHE", str(tmp_path))   # solve, never read a cached file
    monkeypatch.setenv(ENV_VAR, "1")
    assert darcy_dataset(2, DarcyConfig(resolution=8))["u"].shape == (2, 8, 8)
    burgers = burgers_dataset(2, BurgersConfig(resolution=16, solver_resolution=32, t_end=0.01))
    assert burgers["u"].shape[0] == 2
    err = capsys.readouterr().err
    assert "solving Darcy" in err and "solving Burgers" in err, err
