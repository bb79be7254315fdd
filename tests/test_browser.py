"""End to end: lessons 03, 05 and 06 in JupyterLab, driven by headless Chromium.

Starts a private JupyterLab (127.0.0.1, a free port, a random token, every config dir in a temp
dir), runs all of notebooks/03_amp_recovery.ipynb in quick mode, checks that no cell shows an
error, then switches the PrecisionPanel's policy, presses Train and checks that the live plot and
the result line change. A screenshot lands in test-output/browser/. Facts this relies on are in
the project's browser-testing notes (Debian chromium, never `playwright install`, the
"No Kernel | Initializing" race, the news popup).
"""
import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "03_amp_recovery.ipynb"
OUTPUT = ROOT / "test-output" / "browser"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]
# What JupyterLab reads from JUPYTERLAB_SETTINGS_DIR: no news popup, and every cell kept in the
# page (with windowing, cells scrolled out of view leave the DOM and could not be checked).
SETTINGS = {"@jupyterlab/apputils-extension/notification.jupyterlab-settings":
            {"fetchNews": "false", "checkForUpdates": False},
            "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"}}
ERROR_TEXT = re.compile(r"Traceback|\w*Error\b")  # warnings on stderr are not errors
STDERR = '.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]'


def _tools():
    """sync_playwright, or skip (locally) / fail (under CI) saying what is missing."""
    missing = []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
        missing.append("the Python package playwright (pip install -e '.[browser]')")
    if CHROMIUM is None:
        missing.append("Debian's chromium (apt-get install -y chromium)")
    if missing:
        message = "browser test needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message + " -- CI must install them (.ci/run)")
        pytest.skip(message)
    return sync_playwright


@pytest.fixture
def sync_playwright():
    """Checked before the server starts, so a missing tool costs nothing."""
    return _tools()


def _request(url: str, token: str, method: str = "GET") -> int:
    req = urllib.request.Request(url, method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10) as response:
        return response.status


def _server_env(tmp: Path) -> dict:
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                     ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython"),
                     ("JUPYTERLAB_SETTINGS_DIR", "settings"), ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                     ("MPLCONFIGDIR", "matplotlib")]:
        (tmp / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(tmp / sub)
    for name, content in SETTINGS.items():
        path = tmp / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content))
    # The kernel imports this checkout's package, runs the lesson in quick mode, on one thread.
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    env.update(SCIML_TEACH_QUICK="1", OMP_NUM_THREADS="1")
    env.pop("JUPYTER_TOKEN", None)
    return env


@pytest.fixture
def jupyter(tmp_path):
    """(base_url, token) of a private JupyterLab; shut down with POST /api/shutdown afterwards."""
    token = secrets.token_hex(24)
    root = tmp_path / "root"
    root.mkdir()
    for notebook in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy(notebook, root / notebook.name)
    env = _server_env(tmp_path)
    env["JUPYTER_TOKEN"] = token  # through the environment: never on a command line or in the log
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
         "--ServerApp.port=0", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    base = None
    try:
        base = _wait_for_server(server, tmp_path / "runtime", token)
        yield base, token
    finally:
        _shutdown(server, base, token)
        log.close()
        shutil.copy(tmp_path / "server.log", _output_dir() / "server.log")
    assert token not in (tmp_path / "server.log").read_text(), "the server log must not contain the token"


def _wait_for_server(server: subprocess.Popen, runtime: Path, token: str) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {server.returncode}; see server.log")
        info = runtime / f"jpserver-{server.pid}.json"  # where port 0 became a real port
        try:
            base = f"http://127.0.0.1:{json.loads(info.read_text())['port']}"
            if _request(f"{base}/api/status", token) == 200:
                return base
        except (OSError, ValueError):
            pass  # file not (fully) written or server not listening yet: poll again
        time.sleep(0.25)
    raise RuntimeError("jupyter lab did not come up within 60 s; see server.log")


def _shutdown(server: subprocess.Popen, base: str | None, token: str) -> None:
    if base is not None and server.poll() is None:
        try:
            _request(f"{base}/api/shutdown", token, method="POST")
        except OSError as err:
            print(f"POST /api/shutdown failed ({err}); terminating the server")
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.terminate()
        server.wait(timeout=10)


def _output_dir() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


def _errors(notebook) -> list[str]:
    return [t for t in notebook.locator(STDERR).all_inner_texts() if ERROR_TEXT.search(t)]


def _run_all_and_wait(page, notebook, timeout_s: float = 420) -> None:
    from playwright.sync_api import expect
    status = page.locator("#jp-main-statusbar")
    expect(status).to_contain_text("| Idle", timeout=60_000)   # the kernel is really there ...
    expect(status).not_to_contain_text("No Kernel", timeout=60_000)  # ... not "No Kernel | Initializing"
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
    prompts = notebook.locator(".jp-CodeCell .jp-InputArea-prompt")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        texts = prompts.all_inner_texts()
        if texts and all(re.search(r"\[\d+\]", t) for t in texts):
            return
        errors = _errors(notebook)
        assert not errors, f"a cell failed:\n{errors[0]}"
        time.sleep(0.5)
    raise AssertionError(f"not every cell ran within {timeout_s:.0f} s: prompts {texts}")


def _screenshot(page, notebook, path: Path) -> None:
    """A tall viewport so the whole notebook (which scrolls in its own panel) is in the picture."""
    from playwright.sync_api import expect
    scroller = notebook.locator(".jp-WindowedPanel-outer")
    height = scroller.evaluate("el => el.scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 200, 16_000)})
    scroller.evaluate("el => { el.scrollTop = 0; }")  # Playwright scrolled down to the panel
    expect(notebook.locator(".jp-Cell").first).to_be_in_viewport()
    page.wait_for_timeout(500)  # let the layout settle after the resize
    page.screenshot(path=str(path))


@contextlib.contextmanager
def _lesson_run_in_browser(sync_playwright, jupyter, tmp_path, name: str):
    """Open notebooks/<name> in JupyterLab in headless Chromium, Run All, wait, check no cell
    failed; yield (page, notebook panel) and close the browser afterwards."""
    from playwright.sync_api import expect
    base, token = jupyter
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 1600})
        try:
            page = context.new_page()
            page.goto(f"{base}/lab/tree/{name}?reset&token={token}")
            notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
            expect(notebook.locator(".jp-Cell").first).to_be_visible(timeout=60_000)
            _run_all_and_wait(page, notebook)
            assert not _errors(notebook), "a cell shows an error"
            yield page, notebook
        finally:
            context.close()


def test_lesson_03_runs_and_its_panel_trains_in_a_real_browser(sync_playwright, jupyter, tmp_path):
    from playwright.sync_api import expect
    with _lesson_run_in_browser(sync_playwright, jupyter, tmp_path, NOTEBOOK) as (page, notebook):
        # The PrecisionPanel: pick another policy, press Train, watch the plot change.
        policy = notebook.locator(".widget-toggle-buttons").filter(has_text="amp-bf16").first
        train = notebook.locator("button.jupyter-button", has_text=re.compile(r"^\s*Train\s*$"))
        image = notebook.locator("img.widget-image")
        result = notebook.locator(".widget-html-content").filter(has_text="eps=")
        expect(result).to_contain_text("amp-fp16", timeout=30_000)  # the plain cell's run
        expect(image).to_have_attribute("src", re.compile(r"\S"), timeout=30_000)
        before = image.get_attribute("src")
        choice = policy.locator("button.widget-toggle-button", has_text=re.compile(r"^amp-bf16$"))
        choice.click()
        expect(choice).to_have_class(re.compile(r"mod-active"))
        train.click()
        expect(result).to_contain_text("amp-bf16", timeout=60_000)
        expect(image).not_to_have_attribute("src", before, timeout=30_000)
        expect(train).to_be_enabled(timeout=30_000)  # the callback finished
        assert "Error" not in result.inner_text(), result.inner_text()
        assert not _errors(notebook), "an error appeared after pressing Train"

        shot = tmp_path / "lesson03.png"
        _screenshot(page, notebook, shot)
        shutil.copy(shot, _output_dir() / "lesson03.png")


@pytest.mark.parametrize("lesson", ["05_zero_coordinate_shift", "06_fno_mixed_precision"])
def test_lessons_05_and_06_render_their_figures_in_a_real_browser(sync_playwright, jupyter,
                                                                  tmp_path, lesson):
    """The sweep and FNO figures as a learner sees them: no error in any cell, every figure an
    image, and a full-page screenshot in test-output/browser/ to check the axes by eye."""
    with _lesson_run_in_browser(sync_playwright, jupyter, tmp_path, f"{lesson}.ipynb") as (page, notebook):
        assert notebook.locator(".jp-OutputArea-output img").count() >= 2, "figures are images"
        shot = tmp_path / f"{lesson[:2]}.png"
        _screenshot(page, notebook, shot)
        shutil.copy(shot, _output_dir() / f"lesson{lesson[:2]}.png")
