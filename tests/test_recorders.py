"""Recorders: the file recorder, and every way a microphone can fail.

The kernel microphone's failure paths run against a stand-in ``sounddevice`` module
(no PortAudio library, no input device, a device that stops delivering sound, a
device that only takes 48 kHz). A real recording through PortAudio and PulseAudio is
in ``test_pulse_microphone.py``; the real browser in ``test_browser_microphone.py``.
"""
from __future__ import annotations

import sys
import threading
import time
import types

import numpy as np
import pytest

from serlib import demo
from serlib.audio import load
from serlib.demo import browser, recorders
from serlib.demo.recorders import FileRecorder, KernelMicrophone, choose_recorder
from serlib.errors import RecorderError


# ---------------------------------------------------------------------------- files


def test_file_recorder_replays_clips_in_order_at_16k(tmp_path):
    clips = demo.sample_clips_for(["angry", "sad"])
    rec = FileRecorder(clips)
    assert rec.available() and rec.why_unavailable() is None
    first, second, third = rec.record(7), rec.record(1.5), rec.record(7)
    assert first.dtype == np.float32 and first.ndim == 1
    assert np.array_equal(first, load(clips[0])) and np.array_equal(third, first)
    assert second.size == 24000 and np.array_equal(second, load(clips[1])[:24000])
    assert rec.last_clip == clips[0]


def test_file_recorder_realtime_reports_progress():
    rec = FileRecorder(demo.sample_clips_for(["calm"]), realtime=True)
    ticks = []
    start = time.monotonic()
    rec.record(0.5, progress=lambda elapsed, total: ticks.append((elapsed, total)))
    assert time.monotonic() - start >= 0.5
    assert ticks[0] == (0.0, 0.5) and ticks[-1] == (0.5, 0.5) and len(ticks) >= 4
    assert all(a[0] <= b[0] for a, b in zip(ticks, ticks[1:]))


def test_file_recorder_names_a_missing_clip(tmp_path):
    rec = FileRecorder([tmp_path / "gone.wav"])
    assert not rec.available() and "gone.wav" in rec.why_unavailable()
    with pytest.raises(RecorderError, match="gone.wav"):
        rec.record(1)
    assert "no clips" in FileRecorder([]).why_unavailable()


def test_sample_clips_match_the_emotions():
    from serlib.datasets.ravdess import parse_name

    emotions = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised", "happy"]
    clips = demo.sample_clips_for(emotions)
    assert [parse_name(c.stem)["emotion"] for c in clips] == emotions
    assert clips[2] != clips[8]  # a second happy picture gets another clip


# ---------------------------------------------------------------------------- no PortAudio


@pytest.fixture
def fresh_sounddevice(monkeypatch):
    """Forget an already imported sounddevice so the next import runs again."""
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    return monkeypatch


def test_missing_portaudio_library_gives_install_advice(fresh_sounddevice):
    import ctypes.util

    real = ctypes.util.find_library
    fresh_sounddevice.setattr(ctypes.util, "find_library",
                              lambda name: None if "portaudio" in name else real(name))
    mic = KernelMicrophone()
    reason = mic.why_unavailable()
    assert reason is not None and "libportaudio2" in reason and "sudo apt install" in reason
    with pytest.raises(RecorderError, match="libportaudio2"):
        mic.record(1)


def test_missing_sounddevice_package(fresh_sounddevice):
    fresh_sounddevice.setitem(sys.modules, "sounddevice", None)  # import fails
    assert "pip install sounddevice" in KernelMicrophone().why_unavailable()


# ---------------------------------------------------------------------------- stand-in device


class _PortAudioError(Exception):
    pass


def fake_sounddevice(devices, *, rates=(16000,), signal=None, stop_after=None):
    """A sounddevice look-alike: ``devices`` as query_devices lists them; the stream
    feeds ``signal(t)`` (a function of time in seconds) at the opened rate, and stops
    calling back after ``stop_after`` seconds of audio (a device that vanished)."""
    sd = types.ModuleType("sounddevice")
    sd.PortAudioError = _PortAudioError

    def query_devices(device=None, kind=None):
        if kind is None and device is None:
            return devices
        inputs = [d for d in devices if d["max_input_channels"] > 0]
        if device is None:
            if not inputs:
                raise _PortAudioError("Error querying device -1")
            return inputs[0]
        matches = [d for d in inputs if str(device) in d["name"]]
        if not matches:
            raise ValueError(f"No input device matching {device!r}")
        return matches[0]

    def check_input_settings(device=None, channels=None, samplerate=None, dtype=None):
        if samplerate not in rates:
            raise _PortAudioError("Invalid sample rate [PaErrorCode -9997]")

    class InputStream:
        def __init__(self, samplerate, channels, dtype, device, blocksize, callback):
            self.rate, self.block, self.callback = samplerate, blocksize, callback
            self._run = threading.Event()

        def _feed(self):
            n = 0
            while self._run.is_set():
                if stop_after is not None and n >= stop_after * self.rate:
                    return  # the device is gone: no more callbacks
                t = (n + np.arange(self.block)) / self.rate
                self.callback(signal(t).astype(np.float32)[:, None], self.block, None, None)
                n += self.block
                time.sleep(0.001)

        def start(self):
            self._run.set()
            self._thread = threading.Thread(target=self._feed, daemon=True)
            self._thread.start()

        def abort(self):
            self._run.clear()
            self._thread.join()

        def close(self):
            self.closed = True

    sd.query_devices = query_devices
    sd.check_input_settings = check_input_settings
    sd.InputStream = InputStream
    return sd


MIC = {"name": "USB mic", "max_input_channels": 1, "default_samplerate": 48000.0}
SPEAKER = {"name": "HDMI", "max_input_channels": 0, "default_samplerate": 48000.0}


def test_no_input_device(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice([SPEAKER]))
    reason = KernelMicrophone().why_unavailable()
    assert "no input device" in reason and "browser microphone" in reason
    named = KernelMicrophone("Blue Yeti").why_unavailable()
    assert "Blue Yeti" in named and "Input devices found: none" in named


def test_device_that_stops_sending_sound(monkeypatch):
    sine = lambda t: 0.3 * np.sin(2 * np.pi * 440 * t)  # noqa: E731
    monkeypatch.setitem(sys.modules, "sounddevice",
                        fake_sounddevice([MIC], signal=sine, stop_after=0.5))
    mic = KernelMicrophone("USB", stall_seconds=0.3)
    assert mic.available() and mic.describe() == "kernel microphone (USB mic)"
    with pytest.raises(RecorderError, match=r"stopped sending sound after 0\.\d s of 3 s"):
        mic.record(3)


def test_device_without_16k_is_resampled(monkeypatch):
    sine = lambda t: 0.3 * np.sin(2 * np.pi * 440 * t)  # noqa: E731
    monkeypatch.setitem(sys.modules, "sounddevice",
                        fake_sounddevice([MIC], rates=(48000,), signal=sine))
    ticks = []
    y = KernelMicrophone().record(1.0, progress=lambda e, t: ticks.append(e))
    assert y.dtype == np.float32 and y.size == 16000
    spectrum = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    assert abs(np.argmax(spectrum) * 16000 / y.size - 440) <= 2
    assert ticks[0] == 0.0 and ticks[-1] == pytest.approx(1.0) and len(ticks) >= 10


def test_choose_recorder_says_why_it_skipped(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "sounddevice", fake_sounddevice([SPEAKER]))
    rec = choose_recorder(prompts=demo.find_prompts()[:2])
    assert isinstance(rec, FileRecorder) and len(rec.clips) == 2
    out = capsys.readouterr().out
    assert "skipped kernel: PortAudio finds no input device" in out
    assert "skipped browser: the browser microphone works only inside a Jupyter notebook" in out
    assert "using the file recorder" in out
    with pytest.raises(RecorderError, match="No recorder can record"):
        choose_recorder(prefer=("kernel", "browser"), verbose=False)


# ---------------------------------------------------------------------------- browser protocol


@pytest.fixture
def browser_mic(monkeypatch):
    pytest.importorskip("anywidget")
    monkeypatch.setattr(browser, "_kernel", lambda: object())  # pretend to be in a kernel
    mic = browser.BrowserMicrophone(timeout=5)
    mic.widget.views = 1
    return mic


def _answer(mic, content, buffers=()):
    """Play the browser: wait for the kernel's record request, then answer it."""
    for _ in range(200):
        if mic._pending:
            break
        time.sleep(0.01)
    rid = next(iter(mic._pending))
    mic._on_msg(mic.widget, {"id": rid, **content}, list(buffers))


def _record_in_thread(mic, seconds, **kw):
    box = {}

    def work():
        try:
            box["y"] = mic.record(seconds, **kw)
        except RecorderError as exc:
            box["error"] = exc

    thread = threading.Thread(target=work)
    thread.start()
    return thread, box


def test_browser_audio_reaches_the_kernel_at_16k(browser_mic):
    t = np.arange(48000) / 48000
    pcm = (0.2 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    ticks = []
    thread, box = _record_in_thread(browser_mic, 1.0, progress=lambda e, total: ticks.append(e))
    _answer(browser_mic, {"event": "progress", "elapsed": 0.5})
    _answer(browser_mic, {"event": "audio", "rate": 48000, "samples": 48000, "ended": False},
            [memoryview(pcm.tobytes())])
    thread.join(5)
    y = box["y"]
    assert y.size == 16000 and abs(np.argmax(np.abs(np.fft.rfft(y))) - 300) <= 1
    assert ticks == [0.0, 0.5, 1.0] and browser_mic.browser_rate == 48000


def test_browser_permission_denied_is_raised_with_advice(browser_mic):
    thread, box = _record_in_thread(browser_mic, 1.0)
    _answer(browser_mic, {"event": "error", "name": "NotAllowedError", "message": "Permission denied"})
    thread.join(5)
    assert "permission denied" in str(box["error"]) and "allow the microphone" in str(box["error"])
    assert "NotAllowedError" in browser_mic.last_error


def test_browser_microphone_refuses_main_thread_and_hidden_widget(browser_mic):
    with pytest.raises(RecorderError, match="main thread"):
        browser_mic.record(1)
    browser_mic.widget.views = 0
    thread, box = _record_in_thread(browser_mic, 1.0)
    thread.join(5)
    assert "not shown in any browser tab" in str(box["error"])


def test_browser_that_never_answers_times_out(browser_mic):
    browser_mic.timeout = 0.2
    thread, box = _record_in_thread(browser_mic, 0.1)
    thread.join(5)
    assert "did not answer" in str(box["error"])


def test_browser_microphone_outside_a_kernel():
    assert "only inside a Jupyter notebook" in browser.BrowserMicrophone.if_possible()


def test_importing_the_demo_loads_no_audio_or_widget_library():
    from helpers import modules_loaded_by

    code = "import serlib, serlib.demo, serlib.demo.session, serlib.commands.record"
    assert modules_loaded_by(code, ("sounddevice", "ipywidgets", "anywidget", "tensorflow")) == []
