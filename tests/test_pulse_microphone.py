"""A real recording through PortAudio: PulseAudio plays RAVDESS clips into a virtual
microphone while the kernel microphone records them.

PortAudio (through sounddevice) opens ALSA's ``pulse`` device; ``PULSE_SOURCE`` points
it at the monitor of a null sink made for this test, and ``paplay`` plays a sample
clip into that sink in real time, starting just after the recording has begun. The
clip must come back at 16 kHz, complete, and be judged exactly as the clip read
from disk.

Needs ``pulseaudio``/``pactl``/``paplay`` and ``libportaudio2``; skipped (with the
reason) where they are missing. CI starts the daemon with
``scripts/start_pulseaudio.sh``; without it this test starts one itself.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from serlib import config, demo
from serlib.audio import load

pytestmark = pytest.mark.pulse

SCRIPT = config.REPO_DIR / "scripts" / "start_pulseaudio.sh"


def _pactl(*args, env=None) -> str:
    return subprocess.run(["pactl", *args], check=True, capture_output=True, text=True,
                          env=env, timeout=10).stdout.strip()


def stop_pulseaudio(runtime: Path) -> None:
    """Stop the PulseAudio daemon whose socket is in ``runtime`` (started by a test):
    its pid file names it; ``pulseaudio --kill`` for a daemon that wrote none."""
    pid_file = runtime / "pulse" / "pid"
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        subprocess.run(["pulseaudio", "--kill"], capture_output=True, timeout=10,
                       env=dict(os.environ, XDG_RUNTIME_DIR=str(runtime)))
        return
    try:
        os.kill(pid, 15)
        for _ in range(50):
            os.kill(pid, 0)  # raises once it is gone
            time.sleep(0.1)
        os.kill(pid, 9)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def pulse_env(tmp_path_factory):
    """Environment of a running PulseAudio daemon. A daemon already answering (CI
    starts one with scripts/start_pulseaudio.sh) is used and left alone; otherwise one
    is started here, with its own runtime folder, and stopped after the module."""
    missing = [tool for tool in ("pulseaudio", "pactl", "paplay", "pacat") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs PulseAudio ({', '.join(missing)} not found): "
                    "sudo apt install pulseaudio pulseaudio-utils libasound2-plugins")
    env = dict(os.environ)
    started = None
    if subprocess.run(["pactl", "info"], capture_output=True, env=env).returncode != 0:
        started = tmp_path_factory.mktemp("pulse-runtime")
        env["XDG_RUNTIME_DIR"] = str(started)
        out = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=30)
        if out.returncode != 0:
            stop_pulseaudio(started)
            pytest.skip(f"could not start PulseAudio: {out.stderr.strip()}")
    try:
        yield env
    finally:
        if started is not None:
            stop_pulseaudio(started)


def _keep_running(sink: str, env: dict):
    """Feed digital silence into ``sink`` in real time until the returned function is called.

    A null sink only runs while something plays into it; a real microphone delivers room
    noise all the time. Returns once the sink runs and the silence has gone through.
    """
    hush = subprocess.Popen(["pacat", f"--device={sink}", "--raw", "--format=s16le", "--rate=16000",
                             "--channels=1", "--latency-msec=50"], stdin=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)

    def feed():
        block = bytes(3200)  # 0.1 s of 16-bit zeros; pacat blocks at the real-time rate
        try:
            while hush.poll() is None:
                hush.stdin.write(block)
                hush.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass

    threading.Thread(target=feed, daemon=True).start()
    for _ in range(100):  # wait until the sink runs (it starts suspended)
        states = [line.split("\t") for line in _pactl("list", "short", "sinks", env=env).splitlines()]
        if any(s[1] == sink and s[-1] == "RUNNING" for s in states):
            break
        time.sleep(0.1)
    time.sleep(1.0)  # and until the silence has gone through (pacat's pre-buffering)

    def stop():
        hush.kill()
        hush.wait(timeout=5)

    return stop


@pytest.fixture
def virtual_mic(pulse_env, monkeypatch):
    """A fresh null sink; its monitor is what the kernel microphone hears.

    Yields a function ``play_later(clip, delay)`` that plays a clip into the sink in
    real time (paplay) after ``delay`` seconds, from a background thread.
    """
    sink = f"serlib_test_{uuid.uuid4().hex[:8]}"
    module = _pactl("load-module", "module-null-sink", f"sink_name={sink}", "rate=16000",
                    "channels=1", env=pulse_env)
    monkeypatch.setenv("XDG_RUNTIME_DIR", pulse_env["XDG_RUNTIME_DIR"])
    monkeypatch.setenv("PULSE_SOURCE", f"{sink}.monitor")
    sd = pytest.importorskip("sounddevice", reason="needs sounddevice and libportaudio2")
    sd._terminate()  # PortAudio lists devices when it starts: restart it with pulse running
    sd._initialize()
    names = [d["name"] for d in sd.query_devices() if d["max_input_channels"] > 0]
    if "pulse" not in names:
        pytest.skip(f"PortAudio does not see ALSA's pulse device (inputs: {names}); "
                    "install libasound2-plugins")
    stop_hush = _keep_running(sink, pulse_env)
    players = []

    def play_later(clip, delay=0.3):
        def play():
            players.append(subprocess.Popen(["paplay", f"--device={sink}", str(clip)], env=pulse_env))
        timer = threading.Timer(delay, play)
        timer.start()
        return timer

    yield play_later
    for p in players:
        p.wait(timeout=15)
    stop_hush()
    _pactl("unload-module", module, env=pulse_env)


def _align(y: np.ndarray, ref: np.ndarray) -> tuple[int, float, int]:
    """Where ``ref`` lies inside ``y``: lag (samples, may be negative when the recording
    began after the clip did), normalised correlation over the overlap, overlap length."""
    from scipy.signal import correlate

    xc = correlate(y.astype(np.float64), ref.astype(np.float64), mode="full", method="fft")
    lag = int(np.argmax(xc)) - (ref.size - 1)
    start, stop = max(lag, 0), min(lag + ref.size, y.size)
    seg = y[start:stop].astype(np.float64)
    part = ref[start - lag: stop - lag].astype(np.float64)
    corr = float(np.dot(seg, part) / (np.linalg.norm(seg) * np.linalg.norm(part) + 1e-12))
    return lag, corr, stop - start


def _clear_clip(model, emotion: str):
    """The sample clip of ``emotion`` the model judges most decisively (of the first eight),
    so that a shift of a few samples cannot flip the verdict on the recording."""
    from serlib.datasets import load_sample

    table = load_sample().sort_values("path")
    best, margin = None, -1.0
    for path in table[table["emotion"] == emotion]["path"].head(8):
        probs = sorted(demo.analyse(model, load(path)).prediction.probabilities.values())
        if probs[-1] - probs[-2] > margin:
            best, margin = path, probs[-1] - probs[-2]
    return Path(best)


def test_kernel_microphone_records_the_clip_at_16k(virtual_mic):
    clip = demo.sample_clips_for(["angry"])[0]
    ref = load(clip)
    mic = demo.KernelMicrophone("pulse")
    assert mic.available(), mic.why_unavailable()
    ticks = []

    def progress(elapsed, total):
        # The first tick comes once the stream is running: only then start the clip, so a
        # slow stream start on a loaded machine cannot make the recording miss its beginning.
        if not ticks:
            virtual_mic(clip, delay=0.5)
        ticks.append(elapsed)

    y = mic.record(7.0, progress=progress)
    assert y.dtype == np.float32 and y.shape == (7 * 16000,)
    lag, corr, overlap = _align(y, ref)
    # PulseAudio's buffering moves the clip by a few tenths of a second (more on a loaded
    # machine), so the recording may hold it shifted; what must hold is that the samples
    # arrive unchanged and at the right rate over most of the clip.
    assert overlap > 0.8 * ref.size, f"clip found at {lag / 16000:.2f} s, only partly recorded"
    assert corr > 0.98  # the very same samples (16-bit, no resampling on the way)
    level = lambda s: 10 * np.log10(np.mean(np.square(s, dtype=np.float64)) + 1e-20)  # noqa: E731
    start = max(lag, 0)
    assert abs(level(y[start: lag + ref.size]) - level(ref[start - lag:])) < 0.5
    if lag > 0.2 * 16000:
        assert level(y[: lag // 2]) < level(ref) - 40  # silence before the clip started
    assert ticks[0] == 0.0 and ticks[-1] == pytest.approx(7.0) and len(ticks) > 20


def test_session_with_the_kernel_microphone_matches_the_clip_on_disk(virtual_mic, tmp_path):
    from serlib.predict import default_model_path, load_model, predict_file

    if not default_model_path().is_file():
        pytest.skip("the shipped model is not built yet (models/ser-mlp.skops)")
    model = load_model()
    prompts = [p for p in demo.find_prompts(per_emotion=1) if p.emotion in ("happy", "sad")]
    clips = [_clear_clip(model, p.emotion) for p in prompts]
    session = demo.Session(prompts, model, folder=tmp_path / "pulse", seconds=5.5,
                           recorder_name="kernel microphone (pulse)")
    session.warm_up()
    queue = list(clips)
    session.run(demo.KernelMicrophone("pulse"), on_prompt=lambda p: virtual_mic(queue.pop(0), 0.8))
    assert session.finished and session.stopped is None and len(session.takes) == 2
    for take, clip in zip(session.takes, clips):
        recorded = load(tmp_path / "pulse" / take.wav)
        assert recorded.size == int(5.5 * 16000)
        assert _align(recorded, load(clip))[1] > 0.98
        on_disk = demo.analyse(model, load(clip)).prediction
        assert take.status == "ok"
        assert take.detected == on_disk.emotion, (take, on_disk)
        diff = max(abs(take.probabilities[k] - on_disk.probabilities[k]) for k in on_disk.probabilities)
        assert diff < 0.25  # frames fall a few samples apart; the model's verdict must not move
        print(f"{clip.name}: recorded -> {take.detected}, on disk -> {on_disk.emotion}, "
              f"predict_file -> {predict_file(model, clip).emotion}", file=sys.stderr)
    assert len(demo.Session.load(tmp_path / "pulse").takes) == 2


def test_record_command_with_the_virtual_microphone(virtual_mic, tmp_path, capsys):
    from serlib.cli import main
    from serlib.predict import default_model_path

    if not default_model_path().is_file():
        pytest.skip("the shipped model is not built yet (models/ser-mlp.skops)")
    clip = demo.sample_clips_for(["sad"])[0]
    virtual_mic(clip, delay=0.8)
    out = tmp_path / "check.wav"
    assert main(["record", "--seconds", "5.5", "--device", "pulse", "--json", "--save", str(out)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["file"] == str(out) and out.is_file()
    assert set(result) == {"file", "emotion", "probabilities"}
    assert abs(sum(result["probabilities"].values()) - 1) < 1e-3
    assert result["emotion"] == max(result["probabilities"], key=result["probabilities"].get)


def test_session_stops_cleanly_when_the_sound_server_dies(pulse_env, tmp_path, monkeypatch):
    """A real lost device: a private PulseAudio daemon is killed during the second picture."""
    runtime = tmp_path / "pulse-runtime"
    env = dict(pulse_env, XDG_RUNTIME_DIR=str(runtime))
    out = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, env=env, timeout=30)
    if out.returncode != 0:
        pytest.skip(f"could not start a private PulseAudio daemon: {out.stderr.strip()}")
    pid = int((runtime / "pulse" / "pid").read_text().strip())
    stop_hush = _keep_running("serlib_mic", env)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.delenv("PULSE_SOURCE", raising=False)
    sd = pytest.importorskip("sounddevice", reason="needs sounddevice and libportaudio2")
    sd._terminate()
    sd._initialize()

    killed = []

    def kill_during_second(elapsed, total):
        # once the second recording is under way (not while the stream opens)
        if session.position == 1 and elapsed >= 0.5 and not killed:
            killed.append(elapsed)
            os.kill(pid, 15)

    from sklearn.dummy import DummyClassifier

    model = DummyClassifier(strategy="prior").fit(np.zeros((2, 40)), ["neutral", "calm"])
    model.feature_kind = "mfcc40"
    session = demo.Session(demo.find_prompts()[:3], model, folder=tmp_path / "lost", seconds=3)
    try:
        session.run(demo.KernelMicrophone("pulse", stall_seconds=1.0), progress=kill_during_second)
    finally:
        stop_hush()
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    assert len(session.takes) == 1 and session.finished, session.stopped
    assert "stopped sending sound" in session.stopped
    assert [p.name for p in (tmp_path / "lost").glob("*.wav")] == ["01_neutral.wav"]
    assert json.loads((tmp_path / "lost" / "session.json").read_text())["stopped"] == session.stopped


def test_record_command_says_nothing_heard_on_silence(virtual_mic, tmp_path, capsys):
    from serlib.cli import main
    from serlib.predict import default_model_path

    if not default_model_path().is_file():
        pytest.skip("the shipped model is not built yet (models/ser-mlp.skops)")
    # nothing is played: the virtual microphone delivers digital silence
    assert main(["record", "--seconds", "2", "--device", "pulse", "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"file": None, "emotion": None, "probabilities": {}}
    assert "we heard nothing" in captured.err and "microphone is on" in captured.err
