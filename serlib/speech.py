"""Is there speech to judge? One answer for every way a recording reaches a model.

A model always names an emotion, even for silence or a fan: 7 s of digital zeros come
out as "fearful 1.00". So before anything is judged, :func:`check_speech` looks at the
level of the recording, frame by frame:

- the loudest tenth of the frames must reach :data:`QUIET_DBFS` (a voice is louder);
- loud and quiet moments must differ by :data:`MIN_CONTRAST_DB` (speech comes and goes,
  a hum or steady noise does not);
- the part around the speech (:func:`speech_part`) must last :data:`MIN_SPEECH_SECONDS`.

The live demo (:func:`serlib.demo.analyse`), ``serlib record``, :func:`serlib.predict.predict_file`,
:func:`serlib.predict.predict_signal` and ``serlib predict`` all use this one test, so a
silent file gets the same answer ("no speech heard ...") wherever it comes from.

Notebook: 10_live_demo.ipynb
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from serlib.config import SAMPLE_RATE

#: Recordings whose loudest tenth is quieter than this (frame RMS, dBFS) are not judged.
#: The quietest RAVDESS sample clips reach about -59 dBFS; room noise is steady.
QUIET_DBFS = -65.0
#: ... nor recordings whose level hardly changes (dB between the loudest and the
#: quietest tenth): a fan or hum, not speech. Speech clips show 30 dB or more.
MIN_CONTRAST_DB = 10.0
#: Parts quieter than this many dB below the loudest moment are cut from the ends.
TRIM_TOP_DB = 35.0
#: Seconds of sound kept around the speech after trimming (RAVDESS clips have pauses too).
MARGIN_SECONDS = 0.4
#: Speech shorter than this is not judged either (a cough, a click).
MIN_SPEECH_SECONDS = 0.25
#: What the live demo says instead of guessing.
NOTHING_HEARD = "we heard nothing"
#: Full scale: samples of a correctly scaled recording lie in [-FULL_SCALE, FULL_SCALE].
FULL_SCALE = 1.0


class SpeechCheck(NamedTuple):
    """What :func:`check_speech` found in one recording.

    ``reason`` is ``None`` when speech was heard, else one sentence for people that
    says what was found and what to do. ``part`` is the speech part (quiet ends cut,
    at :data:`~serlib.config.SAMPLE_RATE`). ``peak`` is the largest absolute sample;
    above 1.0 the recording lies beyond full scale (see :attr:`beyond_full_scale`).

    Notebook: 10_live_demo.ipynb
    """

    heard: bool
    level_dbfs: float  # level of the loudest tenth of the frames; -inf for digital silence
    contrast_db: float  # loudest tenth minus quietest tenth: speech comes and goes
    speech_seconds: float  # length of the speech part
    reason: str | None
    part: np.ndarray
    peak: float

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


def speech_part(y: np.ndarray, sr: int = SAMPLE_RATE, *, return_index: bool = False):
    """The part of a recording around the speech: quiet ends cut, a short margin kept.

    A 7-second recording in which a student speaks for two seconds would otherwise be
    judged mostly on silence, unlike the training clips. With ``return_index=True``
    returns ``(part, (start, stop))`` in samples.

    Notebook: 10_live_demo.ipynb
    """
    from serlib.audio import trim_silence

    y = np.asarray(y, dtype=np.float32)
    if y.size == 0 or not np.any(y):
        return (y, (0, y.size)) if return_index else y
    _, (start, stop) = trim_silence(y, top_db=TRIM_TOP_DB, return_index=True)
    margin = int(MARGIN_SECONDS * sr)
    start, stop = max(0, start - margin), min(y.size, stop + margin)
    return (y[start:stop], (start, stop)) if return_index else y[start:stop]


def _level_text(level: float) -> str:
    return "-inf dBFS, digital silence" if not math.isfinite(level) else f"{level:.0f} dBFS"


def check_speech(y: np.ndarray, sr: int = SAMPLE_RATE, *, quiet_dbfs: float = QUIET_DBFS,
                 min_contrast_db: float = MIN_CONTRAST_DB) -> SpeechCheck:
    """Decide whether ``y`` (mono, ``sr`` Hz) holds speech worth judging.

    Not heard (``heard`` is ``False`` and ``reason`` says why and what to do) when the
    recording is empty, when its loudest tenth is quieter than ``quiet_dbfs``, when its
    level hardly changes (less than ``min_contrast_db`` between loud and quiet moments:
    steady hum or noise, not speech), or when the speech part is shorter than
    :data:`MIN_SPEECH_SECONDS`. The levels are measured at
    :data:`~serlib.config.SAMPLE_RATE` (``y`` is resampled first if needed).

    Notebook: 10_live_demo.ipynb
    """
    from serlib.audio import resample

    y = np.asarray(y, dtype=np.float32).reshape(-1)
    if sr != SAMPLE_RATE:
        y = resample(y, sr, SAMPLE_RATE)
    if y.size == 0:
        return SpeechCheck(False, float("-inf"), 0.0, 0.0,
                           "no speech heard: the recording holds no samples; record or load a clip first",
                           y, 0.0)
    peak = float(np.max(np.abs(y)))
    levels = frame_levels(y)
    loud, quiet = np.percentile(levels, [90, 10])
    level = float(loud) if loud > -199 else float("-inf")
    contrast = float(loud - quiet)
    part = speech_part(y)
    seconds = part.size / SAMPLE_RATE
    reason = None
    if level < quiet_dbfs:
        reason = (f"no speech heard (level {_level_text(level)}, a voice reaches {quiet_dbfs:.0f} dBFS "
                  "or more): the recording is silent or far too quiet; check that the right "
                  "microphone is on and speak closer to it, or pick another file")
    elif contrast < min_contrast_db:
        reason = (f"no speech heard (level {level:.0f} dBFS, but only {contrast:.0f} dB between loud "
                  f"and quiet moments; speech shows {min_contrast_db:.0f} dB or more): a steady hum "
                  "or noise, not speech; record again in a quieter place, or pick another file")
    elif seconds < MIN_SPEECH_SECONDS:
        reason = (f"no speech heard (only {seconds:.2f} s of sound stands out, fewer than "
                  f"{MIN_SPEECH_SECONDS} s): a click or cough, not speech; say a whole sentence")
    return SpeechCheck(reason is None, level, contrast, seconds, reason, part, peak)
