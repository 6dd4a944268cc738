"""``serlib demo`` for real: the Voilà page in headless Chromium with a fake microphone.

``serlib demo`` runs as a subprocess on a free port with two of the bundled pictures
(``--images``) and 2-second recordings. Chromium's microphone is a WAV of a RAVDESS
sample clip. The test presses Start and waits for the pictures, the verdicts and the
grid, then checks the session folder. A second run kills the server in the middle of
a session and checks that every take whose verdict was given is still on disk.
Screenshots go to ``artifacts/``.

Needs Voilà, Playwright and Chromium (``/usr/bin/chromium`` or ``$CHROMIUM``); skipped
with the reason where they are missing.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from serlib import config, demo
from serlib.audio import load

from helpers import demo_page_files, free_port

pytestmark = pytest.mark.browser

ARTIFACTS = config.REPO_DIR / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream"]


@pytest.fixture
def setup(tmp_path):
    """Pictures (angry, sad, happy), the fake microphone's WAV, the sessions folder."""
    return demo_page_files(tmp_path, CHROMIUM, "voila")


def _serve(images: Path, sessions: Path, log: Path, *extra) -> tuple[subprocess.Popen, str]:
    port = free_port()
    serlib = Path(sys.executable).with_name("serlib")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(log.parent / "runtime"),
               IPYTHONDIR=str(log.parent / "ipython"))
    env.pop("MPLBACKEND", None)
    server = subprocess.Popen(
        [str(serlib), "demo", "--recorder", "browser", "--seconds", "2", "--port", str(port),
         "--images", str(images), "--sessions", str(sessions), "--no-calibrate", *extra],
        stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://localhost:{port}/"
    for _ in range(300):
        try:
            urllib.request.urlopen(url + "api/status", timeout=1).close()  # 404 in Voila
            break
        except urllib.error.HTTPError:  # an answer all the same: the server is up
            break
        except OSError:
            if server.poll() is not None:
                pytest.fail(f"serlib demo exited: {log.read_text()[-2000:]}")
            time.sleep(0.1)
    assert f"Open this address in a browser: {url}" in log.read_text()
    return server, url


def _stop(server: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if server.poll() is None:
        os.killpg(server.pid, sig)
    server.wait(timeout=20)


def _open_page(p, wav: Path, url: str):
    browser = p.chromium.launch(executable_path=CHROMIUM,
                                args=ARGS + [f"--use-file-for-fake-audio-capture={wav}"])
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_selector(".serlib-consent", timeout=60_000)
    page.wait_for_selector(".serlib-mic", timeout=10_000)
    return browser, page


def test_demo_page_runs_a_session_in_chromium(setup):
    from playwright.sync_api import sync_playwright

    images, wav, sessions = setup
    ARTIFACTS.mkdir(exist_ok=True)
    server, url = _serve(images, sessions, sessions.parent / "demo.log")
    try:
        with sync_playwright() as p:
            browser, page = _open_page(p, wav, url)
            try:
                page.screenshot(path=str(ARTIFACTS / "demo_page_start.png"))
                consent = page.inner_text(".serlib-consent")
                page.click(".serlib-agree-keep")  # consent starts the session
                page.wait_for_function("() => document.querySelector('.serlib-verdict')"
                                       ".innerText.includes('Your voice sounded')", timeout=30_000)
                verdict = page.inner_text(".serlib-verdict")
                page.screenshot(path=str(ARTIFACTS / "demo_page_verdict.png"))
                page.wait_for_selector(".serlib-summary.serlib-done", timeout=60_000)
                page.wait_for_timeout(500)
                page.locator(".serlib-session img").last.scroll_into_view_if_needed()
                page.screenshot(path=str(ARTIFACTS / "demo_page_grid.png"))
                summary = page.inner_text(".serlib-summary")
                grid = page.eval_on_selector(".serlib-session img:last-of-type",
                                             "e => e.naturalWidth")
            finally:
                browser.close()
    finally:
        _stop(server)
    assert "What is recorded" in consent and "For how long" in consent and "30 days" in consent
    assert str(sessions) in consent and "keep only the verdicts" in consent
    assert "to a model trained on actors" in verdict
    assert "3 of 3 pictures recorded" in summary, summary
    assert "Looking back with all 3 takes of this voice" in summary, summary
    assert grid > 300  # the final grid image was drawn
    [folder] = [f for f in sessions.iterdir() if f.is_dir()]
    table = pd.read_csv(folder / "results.csv")
    assert list(table["expected"]) == ["happy", "sad", "angry"]
    assert set(table["status"]) == {"ok"}, table
    for name in table["wav"]:
        assert load(folder / name).size == 2 * 16000
    assert len(list((folder / "pictures").iterdir())) == 3


def test_killing_the_server_mid_session_keeps_every_judged_take(setup):
    from playwright.sync_api import sync_playwright

    images, wav, sessions = setup
    server, url = _serve(images, sessions, sessions.parent / "demo.log")
    try:
        with sync_playwright() as p:
            browser, page = _open_page(p, wav, url)
            try:
                page.click(".serlib-agree-keep")
                page.wait_for_function("() => document.querySelector('.serlib-status')"
                                       ".innerText.includes('Picture 2 of 3')", timeout=30_000)
                shown = page.inner_text(".serlib-verdict")
                _stop(server, signal.SIGKILL)  # the server and its kernels, at once
            finally:
                browser.close()
    finally:
        _stop(server, signal.SIGKILL)
    assert shown == "" or "sounded" not in shown  # picture 2 was on screen, its verdict not yet
    [folder] = [f for f in sessions.iterdir() if f.is_dir()]
    session = demo.Session.load(folder)
    assert len(session.takes) >= 1 and session.takes[0].expected == "happy"
    for take in session.takes:
        assert load(folder / take.wav).size == 2 * 16000
    report = demo.class_report(sessions)
    assert len(report.takes) == len(session.takes) and not report.problems
