"""The class server without a browser: sessions that keep no recordings, old folders
deleted, the classroom's students, takes and board, the certificate, and what a
visitor can reach over HTTP.

Real takes: bundled RAVDESS clips judged by the shipped model. The HTTP checks run
``serlib demo --class`` as a subprocess on a free port (loopback only).
"""
from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from serlib import config, demo
from serlib.audio import load
from serlib.demo import classroom, tls
from serlib.demo.report import class_report
from serlib.demo.session import Session, purge_sessions
from serlib.errors import SerlibError


@pytest.fixture(scope="module")
def model():
    if not config.default_model_path().is_file():
        pytest.skip("the shipped model is not built yet (models/ser-mlp.skops)")
    from serlib.predict import load_model

    return load_model()


@pytest.fixture(scope="module")
def prompts():
    return demo.find_prompts(emotions=["happy", "sad", "angry"], per_emotion=1)


def _clip(emotion="angry", seconds=2.5):
    return load(demo.sample_clips_for([emotion])[0])[: int(seconds * 16000)]


def test_a_session_that_keeps_only_the_verdicts(model, prompts, tmp_path):
    session = Session(prompts, model, folder=tmp_path / "s", keep_recordings=False)
    for emotion in ("happy", "sad", "angry"):
        session.submit(_clip(emotion))
    assert not list((tmp_path / "s").glob("*.wav"))
    meta = json.loads((tmp_path / "s" / "session.json").read_text())
    assert meta["recordings"] == "not kept"
    again = Session.load(tmp_path / "s", model)
    assert [t.wav for t in again.takes] == ["", "", ""]
    assert [t.detected for t in again.takes] == [t.detected for t in session.takes]
    with pytest.raises(SerlibError, match="kept no recordings"):
        again.rescore(model)
    assert session.looking_back() is None
    report = class_report(tmp_path / "s")
    assert len(report.takes) == 3 and not report.problems  # no "recording does not open"
    # the default keeps them, as before
    kept = Session(prompts, model, folder=tmp_path / "k")
    kept.submit(_clip())
    assert [p.name for p in (tmp_path / "k").glob("*.wav")] == ["01_happy.wav"]


def test_purge_deletes_only_old_session_folders(tmp_path):
    def folder(name, files=("session.json",), age_days=0.0):
        path = tmp_path / name
        path.mkdir()
        for f in files:
            (path / f).write_text("{}")
        stamp = time.time() - age_days * 86400
        for p in [path, *path.iterdir()]:
            os.utime(p, (stamp, stamp))
        return path

    old = folder("20261001-101500", ("session.json", "01_happy.wav"), age_days=40)
    recent = folder("20261201-101500", age_days=3)
    # a session begun long ago but written to today (still recording) stays
    busy = folder("20261002-090000", ("session.json",), age_days=40)
    (busy / "02_sad.wav").write_text("x")
    not_ours = folder("my-notes", ("session.json",), age_days=400)
    no_session = folder("20261003-090000", ("other.txt",), age_days=400)
    gone = purge_sessions(tmp_path, keep_days=30)
    assert gone == [old]
    assert not old.exists() and recent.exists() and busy.exists()
    assert not_ours.exists() and no_session.exists()
    assert purge_sessions(tmp_path, keep_days=2) == [recent]
    with pytest.raises(ValueError):
        purge_sessions(tmp_path, keep_days=0)


def test_classroom_students_takes_cap_and_board(model, prompts, tmp_path):
    room = classroom.Classroom(model, prompts, seconds=2.5, sessions=tmp_path, calibration=False,
                               max_students=2, idle_seconds=60)
    try:
        a, b = room.join(keep=True), room.join(keep=False)
        assert a.token != b.token and len(a.token) >= 22  # 16 random bytes
        with pytest.raises(classroom.ClassFull, match="class is full"):
            room.join()
        for emotion in ("happy", "sad"):
            answer = room.submit(a.token, a.session.position, _clip(emotion), 16000)
            assert "Your voice sounded" in answer["verdict_html"]
        # a take sent twice for the same picture is not saved twice
        again = room.submit(a.token, 0, _clip(), 16000)
        assert again.get("stale") and len(a.session.takes) == 2
        room.submit(a.token, 2, _clip("angry"), 16000)
        assert a.token not in room.students  # finished: let go at once
        with pytest.raises(classroom.SessionEnded):
            room.submit(a.token, 3, _clip(), 16000)
        room.submit(b.token, 0, _clip("sad"), 16000)
        board = room.board(max_age=0)
        report = class_report(tmp_path)
        assert board["takes"] == len(report.takes) == 4
        assert board["confusion"]["counts"] == report.confusion().to_numpy().tolist()
        assert board["students_in"] == 1 and board["sessions"] == 2
        assert board["differently"] and all(set(d) >= {"expected", "heard", "picture"}
                                            for d in board["differently"])
        assert not list(b.session.folder.glob("*.wav"))
        assert len(list(a.session.folder.glob("*.wav"))) == 3
        # an idle student is let go, the session saved with the reason
        assert room.reap(now=time.monotonic() + 61) == 1 and not room.students
        assert "idle" in json.loads((b.session.folder / "session.json").read_text())["stopped"]
        room.join()  # a place is free again
    finally:
        room.close()


def test_certificate_made_once_for_this_machine_and_remade_for_new_names(tmp_path):
    pytest.importorskip("cryptography")
    from cryptography import x509

    names = ["classroom.test", "localhost", "192.0.2.7", "127.0.0.1"]
    cert, key, made = tls.certificate(tmp_path, names)
    assert made and key.stat().st_mode & 0o077 == 0  # the key is the owner's only
    sans = x509.load_pem_x509_certificate(cert.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert set(sans.get_values_for_type(x509.DNSName)) == {"classroom.test", "localhost"}
    assert {str(a) for a in sans.get_values_for_type(x509.IPAddress)} == {"192.0.2.7", "127.0.0.1"}
    assert tls.certificate(tmp_path, names)[2] is False  # reused
    assert tls.certificate(tmp_path, names + ["198.51.100.3"])[2] is True  # a new network
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert), str(key))  # a pair ssl accepts
    assert "127.0.0.1" in tls.machine_names() and "localhost" in tls.machine_names()
    assert tls.qr_svg("https://192.0.2.7:8866/").startswith(b"<svg")


def test_demo_usage_does_not_require_report(capsys):
    from serlib.cli import main

    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    out = capsys.readouterr().out
    usage = out.split("\n\n")[0]
    assert "serlib demo [options]" in usage and "report DIR..." in usage
    assert "--https" in out and "--keep-days" in out and "--max-students" in out


# ---------------------------------------------------------------------------- over HTTP


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, model):
    """``serlib demo --class --https`` on a free port, with its own certificate folder."""
    pytest.importorskip("tornado")
    pytest.importorskip("cryptography")
    root = tmp_path_factory.mktemp("class")
    port = _free_port()
    env = dict(os.environ, XDG_CONFIG_HOME=str(root / "config"))
    log = root / "server.log"
    serlib = Path(sys.executable).with_name("serlib")
    proc = subprocess.Popen([str(serlib), "demo", "--https", "--ip", "127.0.0.1", "--port", str(port),
                             "--sessions", str(root / "sessions"), "--seconds", "2", "--no-calibrate",
                             "--max-students", "3"],
                            stdout=log.open("w"), stderr=subprocess.STDOUT, env=env,
                            start_new_session=True)
    url = f"https://localhost:{port}"
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        for _ in range(300):
            if "Press Ctrl-C" in log.read_text():
                break
            if proc.poll() is not None:
                pytest.fail(f"serlib demo --https exited: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield url, context, root, log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def _request(url, context, data=None, headers=None, method=None):
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_https_server_prints_its_address_and_certificate(server):
    url, context, root, printed = server
    assert f"Students open: {url}/" in printed and f"{url}/board" in printed
    assert "Advanced" in printed and "certificate for this machine was made" in printed
    assert (root / "config" / "serlib" / "tls" / "serlib-demo.crt").is_file()
    status, body = _request(url + "/", context)
    assert status == 200 and b"Before you record" in body


def test_a_visitor_cannot_read_recordings_or_another_session(server, model):
    url, context, root, _ = server
    status, body = _request(url + "/api/join", context, json.dumps({"consent": True}).encode(),
                            {"Content-Type": "application/json"}, "POST")
    joined = json.loads(body)
    token = joined["student"]
    take = _clip().astype("<f4").tobytes()
    status, body = _request(url + "/api/take", context, take,
                            {"X-Serlib-Student": token, "X-Serlib-Picture": "0",
                             "X-Serlib-Rate": "16000"}, "POST")
    assert status == 200 and "verdict_html" in json.loads(body)
    [folder] = [f for f in (root / "sessions").iterdir() if f.is_dir()]
    wav = next(folder.glob("*.wav"))
    attempts = [f"/{folder.name}/{wav.name}", f"/static/../../{folder.name}/{wav.name}",
                f"/static/..%2F..%2F{folder.name}%2F{wav.name}", "/static/%2e%2e/classroom.py",
                "/static/../session.py", f"/picture/..%2F{folder.name}", "/picture/99",
                f"/sessions/{folder.name}/results.csv", "/api/session?folder=..", "/tree",
                "/api/kernels", "/voila/render/app.ipynb"]
    for path in attempts:
        status, body = _request(url + path, context)
        assert status in (403, 404), (path, status)
        assert b"RIFF" not in body and b"expected,detected" not in body, path
    # another student's session: the folder name as a token, a guessed token, none
    for token_guess in (folder.name, "A" * 22, ""):
        status, body = _request(url + "/api/take", context, take,
                                {"X-Serlib-Student": token_guess, "X-Serlib-Picture": "1",
                                 "X-Serlib-Rate": "16000"}, "POST")
        assert status == 410 and "session has ended" in json.loads(body)["error"]
    # no consent, no session; a body that is not samples is refused
    status, _ = _request(url + "/api/join", context, b"{}", {"Content-Type": "application/json"}, "POST")
    assert status == 400
    status, _ = _request(url + "/api/take", context, b"abc",
                         {"X-Serlib-Student": token, "X-Serlib-Picture": "1",
                          "X-Serlib-Rate": "16000"}, "POST")
    assert status == 400
    status, body = _request(url + "/api/leave", context, token.encode(), method="POST")
    assert json.loads(body)["released"] is True
    assert len(list(folder.glob("*.wav"))) == 1  # what was saved stays


def test_classroom_with_the_file_recorder_records_on_the_server(model, prompts, tmp_path):
    """--recorder files: the page sends no sound; the server replays a sample clip per
    picture (a class without microphones), judged like any take."""
    room = classroom.Classroom(model, prompts, seconds=1.0, sessions=tmp_path, calibration=False,
                               recorder="files")
    try:
        student = room.join()
        for k in range(3):
            answer = room.submit(student.token, k, None, 0)
            assert answer["take"]["index"] == k + 1, answer
        assert answer["next"]["done"] and not room.students
        assert len(list(student.session.folder.glob("*.wav"))) == 3
        meta = json.loads((student.session.folder / "session.json").read_text())
        assert meta["recorder"] == "class page (files microphone)"
    finally:
        room.close()
    with pytest.raises(SerlibError, match="unknown recorder"):
        classroom.Classroom(model, prompts, sessions=tmp_path, recorder="telepathy")


def test_voila_page_culls_the_kernels_of_closed_pages():
    """Voilà refuses its own shutdown request when a tab closes (voila#1458): the page's
    server culls idle kernels of closed pages instead, after --idle-minutes."""
    import argparse

    from serlib.commands import demo as command

    parser = argparse.ArgumentParser()
    command.register(parser.add_subparsers())
    args = parser.parse_args(["demo", "--idle-minutes", "5"])
    args.ip = "127.0.0.1"
    argv = command.voila_argv(args)
    assert "--MappingKernelManager.cull_idle_timeout=300" in argv
    assert "--MappingKernelManager.cull_interval=60" in argv
    assert "--MappingKernelManager.cull_connected=False" in argv  # open pages keep theirs
    voila = pytest.importorskip("voila.app")
    app = voila.Voila()
    app.initialize(argv[:1] + argv[2:3] + argv[-3:] + ["--no-browser"])
    app.init_settings()
    assert app.kernel_manager.cull_idle_timeout == 300 and not app.kernel_manager.cull_connected


def test_the_command_line_stays_light():
    """The demo's options (``--keep-days``'s default among them) are read without
    importing the session module and numpy: every serlib command builds every parser."""
    code = ("import sys, contextlib, io\nfrom serlib import cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        cli.main(['predict', '--help'])\n    except SystemExit:\n        pass\n"
            "print(sorted(m for m in ('numpy', 'serlib.demo.session') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, PYTHONPATH=str(config.REPO_DIR)))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
