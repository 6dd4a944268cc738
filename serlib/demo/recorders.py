"""Recorders: where the demo's sound comes from.

All recorders share one small interface::

    rec.available() -> bool            # can it record right now?
    rec.why_unavailable() -> str|None  # if not: what is wrong and what to do
    rec.record(seconds, progress=None) -> np.ndarray   # float32 mono at 16 kHz

``progress(elapsed, total)`` is called a few times per second while recording, so a
user interface can draw a countdown. Three recorders exist:

* :class:`KernelMicrophone` - the microphone of the machine that runs the Python
  kernel, through sounddevice/PortAudio (a laptop running JupyterLab itself).
* :class:`~serlib.demo.browser.BrowserMicrophone` - the microphone of the browser
  showing the notebook (JupyterHub, Colab, any remote kernel).
* :class:`FileRecorder` - replays existing clips (a classroom without microphones,
  tests, the committed notebook).

:func:`choose_recorder` tries them in that order and says why it skipped each.

Notebook: 10_live_demo.ipynb
"""
from __future__ import annotations

import importlib
import os
import queue
import time
from pathlib import Path

import numpy as np

from serlib.config import SAMPLE_RATE
from serlib.errors import RecorderError

#: What to do when the PortAudio C library is missing.
PORTAUDIO_ADVICE = ("install libportaudio2 (Debian/Ubuntu: sudo apt install libportaudio2; "
                    "macOS: brew install portaudio), then restart the kernel")


class Recorder:
    """Base class of the recorders. Subclasses implement :meth:`_check` and :meth:`record`.

    Notebook: 10_live_demo.ipynb
    """

    #: Short name used in messages and in the session's metadata.
    name = "recorder"
    #: Rate of the signals :meth:`record` returns.
    sample_rate = SAMPLE_RATE

    def available(self) -> bool:
        """True when :meth:`record` can be expected to work now."""
        return self.why_unavailable() is None

    def why_unavailable(self) -> str | None:
        """``None`` when usable, else a sentence saying what is wrong and what to do."""
        try:
            self._check()
        except RecorderError as exc:
            return str(exc)
        return None

    def _check(self) -> None:  # pragma: no cover - overridden
        """Raise :class:`RecorderError` when the recorder cannot record."""

    def record(self, seconds: float, progress=None) -> np.ndarray:  # pragma: no cover
        """Record ``seconds`` of sound; float32 mono at :attr:`sample_rate`."""
        raise NotImplementedError

    def describe(self) -> str:
        """One line for messages, e.g. ``kernel microphone (pulse)``."""
        return self.name

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.describe()}>"


def _tick(progress, elapsed: float, total: float) -> None:
    if progress is not None:
        progress(min(elapsed, total), total)


# --------------------------------------------------------------------------- kernel


def import_sounddevice():
    """Import sounddevice, turning a missing PortAudio library into a clear RecorderError.

    Notebook: 10_live_demo.ipynb
    """
    try:
        return importlib.import_module("sounddevice")
    except OSError as exc:  # raised by sounddevice when libportaudio is not found
        raise RecorderError(
            f"The kernel microphone needs the PortAudio library, which was not found ({exc}): "
            f"{PORTAUDIO_ADVICE}. Or use the browser microphone or the file recorder.") from exc
    except ImportError as exc:
        raise RecorderError(
            "The kernel microphone needs the Python package sounddevice: pip install sounddevice "
            f"(and {PORTAUDIO_ADVICE}). Or use the browser microphone or the file recorder.") from exc


def _close_in_background(stream, wait: float = 2.0) -> None:
    """Stop and close a PortAudio stream without hanging the caller.

    When the device (or the sound server behind it) has vanished, closing the stream
    can block inside the audio driver; the session must go on regardless.
    """
    import threading

    def close():
        try:
            stream.abort()
            stream.close()
        except Exception:  # noqa: BLE001 - the device is gone; nothing left to do
            pass

    worker = threading.Thread(target=close, name="serlib-close-stream", daemon=True)
    worker.start()
    worker.join(wait)


class KernelMicrophone(Recorder):
    """The microphone of the machine running the kernel, through sounddevice/PortAudio.

    Args:
        device: ``None`` for the system's default input, an index, or part of a device
            name as :func:`sounddevice.query_devices` lists it (e.g. ``"pulse"``).
        stall_seconds: when no audio arrives for this long, the device is taken as lost.

    Notebook: 10_live_demo.ipynb
    """

    name = "kernel microphone"

    def __init__(self, device: int | str | None = None, *, stall_seconds: float = 2.0):
        self.device = device
        self.stall_seconds = float(stall_seconds)

    def _device_info(self, sd) -> dict:
        try:
            info = sd.query_devices(self.device, kind="input")
        except (ValueError, sd.PortAudioError) as exc:
            inputs = [d["name"] for d in sd.query_devices() if d.get("max_input_channels", 0) > 0]
            if self.device is None and not inputs:
                raise RecorderError(
                    "PortAudio finds no input device (no microphone) on the machine running "
                    "Python: plug in a microphone and restart the kernel (or the command), or use "
                    "the browser microphone (remote kernels) or the file recorder.") from exc
            raise RecorderError(
                f"No usable input device {self.device!r} ({exc}). Input devices found: "
                f"{', '.join(inputs) or 'none'}. Pick one of them with device=... "
                "(serlib record --device NAME).") from exc
        if info.get("max_input_channels", 0) < 1:
            raise RecorderError(f"The device {info['name']!r} has no input channels: pick a "
                                "microphone (sounddevice.query_devices() lists them).")
        return info

    def _check(self) -> None:
        sd = import_sounddevice()
        self._device_info(sd)

    def describe(self) -> str:
        try:
            sd = import_sounddevice()
            return f"{self.name} ({self._device_info(sd)['name']})"
        except RecorderError:
            return self.name

    def _open_rate(self, sd, info) -> int:
        """16 kHz when the device takes it, else its own default rate (resampled later)."""
        try:
            sd.check_input_settings(device=self.device, channels=1, samplerate=SAMPLE_RATE,
                                    dtype="float32")
            return SAMPLE_RATE
        except Exception:  # noqa: BLE001 - PortAudio reports unsupported rates in many ways
            return int(info["default_samplerate"])

    def record(self, seconds: float, progress=None) -> np.ndarray:
        """Record ``seconds`` from the microphone; float32 mono at 16 kHz.

        Raises :class:`RecorderError` when the device cannot be opened or stops
        delivering sound part-way (unplugged, taken by another program).

        Notebook: 10_live_demo.ipynb
        """
        sd = import_sounddevice()
        info = self._device_info(sd)
        rate = self._open_rate(sd, info)
        wanted = int(round(seconds * rate))
        blocks: queue.Queue = queue.Queue()

        def callback(indata, frames, time_info, status):  # PortAudio's audio thread
            blocks.put(indata[:, 0].copy())

        got, chunks = 0, []
        try:
            stream = sd.InputStream(samplerate=rate, channels=1, dtype="float32",
                                    device=self.device, blocksize=max(rate // 20, 256),
                                    callback=callback)
        except Exception as exc:  # noqa: BLE001 - PortAudioError and friends
            raise RecorderError(f"Could not open the microphone {info['name']!r}: {exc}. Close other "
                                "programs using it, or pick another device.") from exc
        try:
            stream.start()
            _tick(progress, 0.0, seconds)
            while got < wanted:
                try:
                    block = blocks.get(timeout=self.stall_seconds)
                except queue.Empty:
                    _close_in_background(stream)
                    stream = None
                    raise RecorderError(
                        f"The microphone {info['name']!r} stopped sending sound after "
                        f"{got / rate:.1f} s of {seconds:g} s (unplugged or taken by another "
                        "program?). What was recorded before is kept; reconnect it and start "
                        "again.") from None
                chunks.append(block)
                got += len(block)
                _tick(progress, got / rate, seconds)
        finally:
            if stream is not None:
                _close_in_background(stream)
        y = np.concatenate(chunks)[:wanted] if chunks else np.zeros(0, np.float32)
        if rate != SAMPLE_RATE:
            from serlib.audio import resample

            y = resample(y, rate, SAMPLE_RATE)
        return np.ascontiguousarray(y, dtype=np.float32)


# --------------------------------------------------------------------------- files


def sample_clips_for(emotions, folder: str | os.PathLike | None = None) -> list[Path]:
    """One clip per requested emotion from the bundled RAVDESS sample, cycling actors.

    Used by the file recorder so that a classroom without microphones still sees the
    model at work on real emotional speech.

    Notebook: 10_live_demo.ipynb
    """
    from serlib.datasets import load_corpus
    from serlib import config

    table = load_corpus("ravdess", folder if folder is not None else config.BUNDLED_DATA)
    table = table.sort_values("path").reset_index(drop=True)
    used: dict[str, int] = {}
    clips = []
    for emotion in emotions:
        # the calibration take is read in a normal voice: a neutral clip stands in for it
        rows = table[table["emotion"] == ("neutral" if emotion == "calibration" else emotion)]
        if rows.empty:
            rows = table
        k = used.get(emotion, 0)
        # Spread the picks over the sample: every 7th clip of that emotion.
        clips.append(Path(rows["path"].iloc[(k * 7) % len(rows)]))
        used[emotion] = k + 1
    return clips


class FileRecorder(Recorder):
    """Replays existing clips, one per call to :meth:`record`, in order (then again).

    Args:
        clips: audio files (any format :func:`serlib.audio.load` reads).
        realtime: wait as long as a real recording would take, with progress updates
            (feels like the real thing in a classroom); False returns at once.

    Notebook: 10_live_demo.ipynb
    """

    name = "file recorder"

    def __init__(self, clips, *, realtime: bool = False):
        self.clips = [Path(c) for c in clips]
        self.realtime = bool(realtime)
        self.position = 0
        self.last_clip: Path | None = None

    @classmethod
    def for_prompts(cls, prompts, *, realtime: bool = False, folder=None) -> "FileRecorder":
        """A file recorder whose n-th clip is a sample clip of the n-th prompt's emotion.

        Notebook: 10_live_demo.ipynb
        """
        return cls(sample_clips_for([p.emotion for p in prompts], folder), realtime=realtime)

    def _check(self) -> None:
        if not self.clips:
            raise RecorderError("The file recorder has no clips to replay: give it a list of "
                                "audio files (e.g. FileRecorder.for_prompts(prompts)).")
        missing = [str(c) for c in self.clips if not c.is_file()]
        if missing:
            raise RecorderError(f"The file recorder cannot find {missing[0]} "
                                f"({len(missing)} missing): check the paths.")

    def describe(self) -> str:
        return f"{self.name} ({len(self.clips)} clips)"

    def record(self, seconds: float, progress=None) -> np.ndarray:
        """Return the next clip (at most ``seconds`` long) as float32 mono at 16 kHz.

        Notebook: 10_live_demo.ipynb
        """
        from serlib.audio import load

        self._check()
        clip = self.clips[self.position % len(self.clips)]
        self.position += 1
        self.last_clip = clip
        y = load(clip, sr=SAMPLE_RATE)[: int(round(seconds * SAMPLE_RATE))]
        _tick(progress, 0.0, seconds)
        if self.realtime:
            start = time.monotonic()
            while (elapsed := time.monotonic() - start) < seconds:
                _tick(progress, elapsed, seconds)
                time.sleep(min(0.1, seconds - elapsed))
        _tick(progress, seconds, seconds)
        return y


# --------------------------------------------------------------------------- choice


def choose_recorder(prefer=("kernel", "browser", "files"), *, device=None, prompts=None,
                    clips=None, verbose: bool = True) -> Recorder:
    """Pick the first recorder in ``prefer`` that can record, saying why others were skipped.

    ``"kernel"`` is :class:`KernelMicrophone` (``device``), ``"browser"`` the browser
    microphone (only inside a Jupyter kernel), ``"files"`` a :class:`FileRecorder` of
    ``clips`` or, with ``prompts``, of sample clips matching the prompts' emotions.
    The reasons are printed when ``verbose`` and kept in ``recorder.skipped``.

    Notebook: 10_live_demo.ipynb
    """
    skipped: list[str] = []
    for kind in prefer:
        if kind == "kernel":
            rec = KernelMicrophone(device)
        elif kind == "browser":
            from serlib.demo.browser import BrowserMicrophone

            rec = BrowserMicrophone.if_possible()
        elif kind == "files":
            if clips is not None:
                rec = FileRecorder(clips)
            elif prompts is not None:
                rec = FileRecorder.for_prompts(prompts)
            else:
                from serlib.demo.images import find_prompts

                rec = FileRecorder.for_prompts(find_prompts())
        else:
            raise ValueError(f"unknown recorder kind {kind!r}: use 'kernel', 'browser' or 'files'")
        reason = rec.why_unavailable() if not isinstance(rec, str) else rec
        if reason is None:
            rec.skipped = skipped
            if verbose:
                for line in skipped:
                    print(f"skipped {line}")
                print(f"using the {rec.describe()}")
            return rec
        skipped.append(f"{kind}: {reason}")
    raise RecorderError("No recorder can record here:\n  " + "\n  ".join(skipped))
