"""The browser microphone for real: JupyterLab in headless Chromium, driven by Playwright.

Chromium's microphone is fed from a WAV file of a RAVDESS sample clip
(``--use-file-for-fake-audio-capture``). A small notebook shows the session UI with
the :class:`~serlib.demo.browser.BrowserMicrophone`; the test presses Start, the widget
records in the page and sends the sound to the kernel, the session judges it and the
grid appears. The recordings the kernel saved must be the clip Chromium played. A
screenshot is kept in ``artifacts/``. A second browser without microphone permission
must show the refusal in the widget and stop the session with the advice.

Needs JupyterLab, Playwright and Chromium (``/usr/bin/chromium`` or ``$CHROMIUM``);
skipped with the reason where they are missing.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from serlib import config, demo
from serlib.audio import load, resample, save

pytestmark = pytest.mark.browser

ARTIFACTS = config.REPO_DIR / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
#: No autoplay override: the Start click is the user gesture that lets the page's
#: AudioContext run, as in a real browser.
BASE_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
             "--no-first-run", "--disable-sync", "--use-fake-device-for-media-stream"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _notebook(code: str) -> dict:
    return {"cells": [{"cell_type": "code", "execution_count": None, "id": "c0", "metadata": {},
                       "outputs": [], "source": code}],
            "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                        "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}


CELL = """\
import os
from pathlib import Path
from serlib import demo
from serlib.predict import load_model
model = load_model()
prompts = [p for p in demo.find_prompts(per_emotion=1) if p.emotion in ("angry", "sad")]
mic = demo.BrowserMicrophone(timeout=20)
ui = demo.SessionUI(prompts, recorder=mic, model=model, seconds=2.5, pause=0,
                    folder=Path(os.environ["SERLIB_TEST_FOLDER"]) / "{name}")
ui
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a free local port; yields (url, work folder)."""
    pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"needs Chromium at {CHROMIUM} (sudo apt install chromium, or set $CHROMIUM)")
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        pytest.skip("needs JupyterLab in the same environment as the tests")
    from serlib.predict import default_model_path

    if not default_model_path().is_file():
        pytest.skip("the shipped model is not built yet (models/ser-mlp.skops)")
    work = tmp_path_factory.mktemp("lab")
    for name in ("granted", "denied"):
        (work / f"{name}.ipynb").write_text(json.dumps(_notebook(CELL.replace("{name}", name))))
    port = _free_port()
    env = dict(os.environ, SERLIB_TEST_FOLDER=str(work / "sessions"),
               JUPYTER_CONFIG_DIR=str(work / "jupyter-config"),
               JUPYTER_RUNTIME_DIR=str(work / "jupyter-runtime"), IPYTHONDIR=str(work / "ipython"))
    env.pop("MPLBACKEND", None)
    log = open(work / "jupyter.log", "w")
    server = subprocess.Popen(
        [str(jupyter), "lab", "--allow-root", "--no-browser", "--IdentityProvider.token=",
         "--ServerApp.password=", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--ServerApp.root_dir={work}",
         "--LabApp.news_url=", "--ServerApp.disable_check_xsrf=True"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=1)
            break
        except OSError:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited: {(work / 'jupyter.log').read_text()[-2000:]}")
            time.sleep(0.1)
    yield url, work
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


def _run_notebook(page, url: str, name: str):
    page.goto(f"{url}/lab/tree/{name}.ipynb?reset", wait_until="domcontentloaded")
    page.locator(".jp-Cell.jp-CodeCell").first.wait_for(timeout=30_000)
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=40_000)
    for _ in range(3):  # a run requested while the kernel connects can be lost: retry
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel:text-is('Run All Cells')").first.click()
        try:
            page.wait_for_function(
                "() => [...document.querySelectorAll('.jp-InputPrompt')]"
                ".some(e => /\\[(\\*|\\d+)\\]/.test(e.textContent))", timeout=5_000)
            break
        except Exception:
            continue
    try:
        page.wait_for_selector(".serlib-start", timeout=60_000)
        page.wait_for_selector(".serlib-mic", timeout=10_000)
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"browser_{name}_failure.png"))
        outputs = page.locator(".jp-OutputArea").all_inner_texts()
        raise AssertionError(f"the session UI did not appear; cell output: {outputs}") from None


def _fake_microphone_file(tmp_path) -> tuple[Path, np.ndarray]:
    clip = demo.sample_clips_for(["angry"])[0]
    y = load(clip)
    wav = save(tmp_path / "microphone.wav", resample(y, 16000, 48000), 48000)
    return wav, y


def test_browser_microphone_session_in_jupyterlab(lab, tmp_path):
    from playwright.sync_api import sync_playwright

    url, work = lab
    wav, ref = _fake_microphone_file(tmp_path)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BASE_ARGS + [
            "--use-fake-ui-for-media-stream", f"--use-file-for-fake-audio-capture={wav}"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 1400})
            _run_notebook(page, url, "granted")
            page.click(".serlib-start")
            try:
                page.wait_for_selector(".serlib-summary.serlib-done", timeout=90_000)
            except Exception:
                page.screenshot(path=str(ARTIFACTS / "browser_granted_failure.png"), full_page=True)
                raise AssertionError("the session did not finish; status: "
                                     f"{page.inner_text('.serlib-status')!r}, microphone: "
                                     f"{page.inner_text('.serlib-mic-status')!r}") from None
            page.wait_for_timeout(300)
            page.screenshot(path=str(ARTIFACTS / "browser_session.png"), full_page=True)
            summary = page.inner_text(".serlib-summary")
            mic_status = page.inner_text(".serlib-mic-status")
        finally:
            browser.close()
    assert "2 of 2 pictures recorded" in summary, summary
    assert "Sent 2.5 s to the kernel" in mic_status
    folder = work / "sessions" / "granted"
    table = __import__("pandas").read_csv(folder / "results.csv")
    assert list(table["expected"]) == ["sad", "angry"] and set(table["status"]) == {"ok"}
    # The kernel got the clip Chromium played (looped), through 48 kHz and back to 16 kHz.
    from scipy.signal import correlate

    # Each tenth of a second is aligned on its own: under load the browser's audio callback can
    # drop a buffer, which shifts what follows but is not a failure of the path under test.
    # The alignment is the normalised cross-correlation: the raw one is largest wherever the
    # reference is loudest, and so puts a quiet piece at the wrong place (seen in CI).
    # Only pieces with speech in them are judged. The clip's lead-in and tail are room noise
    # at -75 to -95 dBFS, at or below the 16-bit step of the WAV Chromium reads, so what comes
    # back there is quantisation noise that matches nothing. A 2.5 s window of the looped
    # 3.9 s clip always holds at least 0.6 s of its 2 s of speech. At least 0.3 s of it must
    # come back sample-faithful: a wrong sample rate, a lost channel or noise cannot do that,
    # and a simulation with ten dropped 10-ms buffers per take still keeps three good pieces.
    looped = np.tile(ref, 3).astype(np.float64)
    for wav_name in table["wav"]:
        y = load(folder / wav_name).astype(np.float64)
        assert y.size == int(2.5 * 16000)
        corrs = []
        for piece in np.split(y, 25):
            if np.sqrt(np.mean(piece ** 2)) < 1e-3:  # quieter than -60 dBFS: no speech here
                continue
            xc = correlate(looped, piece, mode="valid", method="fft")
            energy = np.convolve(looped ** 2, np.ones(piece.size), mode="valid")
            lag = int(np.argmax(xc / np.sqrt(np.maximum(energy, 1e-12))))
            seg = looped[lag: lag + piece.size]
            corrs.append(float(np.dot(seg, piece) / (np.linalg.norm(seg) * np.linalg.norm(piece))))
        assert np.sum(np.array(corrs) > 0.95) >= 3, (
            f"{wav_name}: correlations {np.round(corrs, 3)} with the fake microphone's clip")


def test_browser_permission_denied_is_shown_and_stops_the_session(lab, tmp_path):
    from playwright.sync_api import sync_playwright

    url, work = lab
    wav, _ = _fake_microphone_file(tmp_path)
    with sync_playwright() as p:
        # No --use-fake-ui-for-media-stream and no granted permission: the page is refused.
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=BASE_ARGS + [f"--use-file-for-fake-audio-capture={wav}"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            _run_notebook(page, url, "denied")
            page.click(".serlib-start")
            page.wait_for_selector(".serlib-summary.serlib-done", timeout=90_000)
            status = page.inner_text(".serlib-status")
            mic_status = page.inner_text(".serlib-mic-status")
            page.screenshot(path=str(ARTIFACTS / "browser_denied.png"))
        finally:
            browser.close()
    assert "NotAllowedError" in mic_status, mic_status
    assert "permission denied" in status and "allow the microphone" in status, status
    meta = json.loads((work / "sessions" / "denied" / "session.json").read_text())
    assert "permission denied" in meta["stopped"]
