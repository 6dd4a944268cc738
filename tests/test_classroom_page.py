"""The class on its own devices, for real: ``serlib demo --class/--https`` in headless
Chromium, reached through a name that is not localhost (``classroom.test``, mapped to
127.0.0.1 by Chromium's ``--host-resolver-rules``: only loopback traffic).

* over http the browser refuses the microphone and the page says why (and nothing is
  recorded);
* over https (``--ignore-certificate-errors`` stands in for the student's one click on
  the certificate warning) three students record at once - one on a phone-sized screen
  whose picture, record state and verdict fit without scrolling, one keeping only the
  verdicts - while a fourth is told the class is full; the board on the projector then
  shows the same counts and matrices as ``serlib demo report`` over the session folders;
  a fifth student who navigates away mid-session is let go at once (the page's beacon).

Chromium's microphone is a WAV of a RAVDESS sample clip. Screenshots go to
``artifacts/``. Needs Playwright and Chromium (``/usr/bin/chromium`` or ``$CHROMIUM``);
skipped with the reason where they are missing.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from serlib import config

from helpers import demo_page_files, free_port

pytestmark = pytest.mark.browser

ARTIFACTS = config.REPO_DIR / "artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
NAME = "classroom.test"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream", f"--host-resolver-rules=MAP {NAME} 127.0.0.1"]


@pytest.fixture
def setup(tmp_path):
    """Pictures (happy, sad, angry), the fake microphone's WAV, the sessions folder."""
    return demo_page_files(tmp_path, CHROMIUM, "tornado")


def _serve(images, sessions, log: Path, *extra):
    port = free_port()
    serlib = Path(sys.executable).with_name("serlib")
    env = dict(os.environ, XDG_CONFIG_HOME=str(log.parent / "config"))
    server = subprocess.Popen(
        [str(serlib), "demo", "--recorder", "browser", "--seconds", "2", "--port", str(port),
         "--ip", "127.0.0.1", "--images", str(images), "--sessions", str(sessions),
         "--no-calibrate", *extra],
        stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, start_new_session=True)
    for _ in range(600):
        if "Press Ctrl-C" in log.read_text():
            return server, port
        if server.poll() is not None:
            pytest.fail(f"serlib demo exited: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    _stop(server)
    pytest.fail(f"serlib demo did not start in 60 s: {log.read_text()[-2000:]}")


def _stop(server) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def test_over_http_the_page_says_why_there_is_no_microphone(setup):
    from playwright.sync_api import sync_playwright

    images, wav, sessions = setup
    server, port = _serve(images, sessions, sessions.parent / "http.log", "--class")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM,
                                        args=ARGS + [f"--use-file-for-fake-audio-capture={wav}"])
            try:
                page = browser.new_page(viewport={"width": 390, "height": 844})
                page.goto(f"http://{NAME}:{port}/", wait_until="domcontentloaded")
                page.wait_for_selector("#consent", state="visible", timeout=30_000)
                assert page.evaluate("window.isSecureContext") is False
                page.click("#agree-keep")
                page.wait_for_selector("#problem", state="visible", timeout=10_000)
                text = page.inner_text("#problem-text")
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "class_page_http_refused.png"))
            finally:
                browser.close()
    finally:
        _stop(server)
    assert "https://" in text and "microphone" in text and "serlib demo --https" in text
    assert not any(sessions.iterdir())  # refused before joining: nothing recorded


def _layout(page) -> dict:
    """Where the recording screen's parts are, and whether the page scrolls."""
    return page.evaluate("""() => {
        const box = (id) => { const r = document.getElementById(id).getBoundingClientRect();
                              return {top: r.top, bottom: r.bottom, height: r.height}; };
        const h1 = document.querySelector('h1');
        const style = getComputedStyle(h1);
        return {scroll: document.documentElement.scrollHeight, height: innerHeight,
                picture: box('picture'), state: box('state'), verdict: box('verdict'),
                h1_font: parseFloat(style.fontSize), h1_line: parseFloat(style.lineHeight)};
    }""")


def test_a_class_records_over_https_and_the_board_matches_the_report(setup):
    from playwright.sync_api import sync_playwright

    images, wav, sessions = setup
    ARTIFACTS.mkdir(exist_ok=True)
    server, port = _serve(images, sessions, sessions.parent / "https.log", "--https",
                          "--max-students", "3", "--keep-days", "30")
    url = f"https://{NAME}:{port}/"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=ARGS + ["--ignore-certificate-errors", f"--use-file-for-fake-audio-capture={wav}"])
            try:
                board = browser.new_context(viewport={"width": 1600, "height": 1000}).new_page()
                board.goto(url + "board", wait_until="domcontentloaded")
                sizes = [{"width": 390, "height": 844}, {"width": 1280, "height": 900},
                         {"width": 1280, "height": 900}]
                students = [browser.new_context(viewport=v).new_page() for v in sizes]
                for page in students:
                    page.goto(url, wait_until="domcontentloaded")
                    page.wait_for_selector("#consent", state="visible", timeout=30_000)
                consent = students[0].inner_text("#consent")
                students[0].screenshot(path=str(ARTIFACTS / "class_page_consent_phone.png"))
                students[0].click("#agree-keep")
                students[1].click("#agree-verdicts")
                students[2].click("#agree-keep")
                # a fourth student while three record: the class is full
                late = browser.new_context().new_page()
                late.goto(url, wait_until="domcontentloaded")
                late.wait_for_selector("#consent", state="visible", timeout=30_000)
                late.click("#agree-keep")
                late.wait_for_selector("#problem", state="visible", timeout=20_000)
                full = late.inner_text("#problem-text")
                # the phone: picture, record state and verdict on one screen (the wait
                # predicates are functions: the page's Content-Security-Policy forbids eval)
                phone = students[0]
                phone.wait_for_function("() => window.serlibClass.takes >= 1", timeout=30_000)
                layout = _layout(phone)
                verdict = phone.inner_text("#verdict")
                phone.screenshot(path=str(ARTIFACTS / "class_page_verdict_phone.png"))
                for page in students:
                    page.wait_for_function("() => window.serlibClass.view === 'done'", timeout=90_000)
                latencies = [ms for page in students
                             for ms in page.evaluate("window.serlibClass.latencies")]
                summaries = [page.inner_text("#done") for page in students]
                board.wait_for_function(
                    "() => window.serlibBoard.data && window.serlibBoard.data.takes === 9 "
                    "&& window.serlibBoard.data.students_in === 0", timeout=15_000)
                board.screenshot(path=str(ARTIFACTS / "class_board.png"), full_page=True)
                shown = board.evaluate("""() => {
                    const read = (id) => [...document.querySelectorAll(`#${id} tr`)].slice(1).map(
                        (tr) => [tr.dataset.expected, [...tr.querySelectorAll('td')].map(
                            (td) => Number(td.dataset.count))]);
                    return {plain: read('matrix-plain'), adapted: read('matrix-adapted'),
                            judged: Number(document.getElementById('judged').textContent),
                            nothing: Number(document.getElementById('nothing').textContent),
                            sessions: Number(document.getElementById('sessions').textContent),
                            text: document.body.innerText,
                            note: document.getElementById('certificate-note').textContent,
                            media: document.querySelectorAll('audio, video').length};
                }""")
                # a student who leaves mid-session (navigates away): the page says goodbye
                # (sendBeacon) and the server lets the session go at once
                leaver = browser.new_context().new_page()
                leaver.goto(url, wait_until="domcontentloaded")
                leaver.wait_for_selector("#consent", state="visible", timeout=30_000)
                leaver.click("#agree-keep")
                leaver.wait_for_function("() => window.serlibClass.takes >= 1", timeout=30_000)
                leaver.goto("about:blank")
                board.wait_for_function(
                    "() => window.serlibBoard.data.sessions === 4 "
                    "&& window.serlibBoard.data.students_in === 0", timeout=15_000)
            finally:
                browser.close()
    finally:
        _stop(server)

    assert "30 days" in consent and "trained on actors" in consent and "keep only the verdicts" in consent
    assert "class is full" in full and "try again in a minute" in full
    assert "Your voice sounded" in verdict and "to a model trained on actors" in verdict
    assert layout["scroll"] <= layout["height"], layout  # no scrolling on the phone
    for part in ("picture", "state", "verdict"):
        assert 0 <= layout[part]["top"] and layout[part]["bottom"] <= layout["height"], (part, layout)
    assert layout["picture"]["height"] >= 150, layout  # the picture still shows
    assert layout["h1_line"] >= layout["h1_font"], layout  # the title's lines do not overlap
    assert len(latencies) == 9 and max(latencies) < 5000, latencies
    assert all("3 of 3 pictures recorded" in s for s in summaries), summaries
    assert "only the verdicts" in summaries[1]

    folders = sorted(f for f in sessions.iterdir() if f.is_dir())
    assert len(folders) == 4
    left = json.loads((folders[-1] / "session.json").read_text())
    assert left["stopped"] == "the student left the page", left["stopped"]
    shutil.rmtree(folders.pop())  # the report below is over the three who finished
    wavs = sorted(len(list(f.glob("*.wav"))) for f in folders)
    assert wavs == [0, 3, 3]  # the student who kept only the verdicts left no recording
    serlib = Path(sys.executable).with_name("serlib")
    out = subprocess.run([str(serlib), "demo", "report", str(sessions), "--json"],
                         capture_output=True, text=True, timeout=120)
    report = json.loads(out.stdout)
    assert not report["problems"], report["problems"]
    as_rows = lambda part: [[e, c] for e, c in zip(part["expected"], part["counts"])]  # noqa: E731
    assert shown["plain"] == as_rows(report["confusion"])
    assert shown["adapted"] == as_rows(report["adapted"])
    assert shown["judged"] + shown["nothing"] == sum(map(sum, report["confusion"]["counts"])) == 9
    assert shown["sessions"] == 3
    assert shown["media"] == 0
    assert "Advanced" in shown["note"]  # what to click at the certificate warning
    for folder in folders:  # no names, no folders on the board
        assert folder.name not in shown["text"]
