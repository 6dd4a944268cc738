"""Audio in and out: one loader for every clip, plus the small signal helpers the notebooks use.

Every clip serlib touches goes through :func:`load`: WAV, FLAC or OGG; any sample rate
from 8 to 96 kHz; mono or stereo; 8/16/24/32-bit integer or float samples. What comes
out is always the same thing: a 1-D ``float32`` array in [-1, 1] at one sample rate
(:data:`serlib.config.SAMPLE_RATE`, 16 kHz). Stereo is averaged to mono; other rates are
resampled with soxr (the same high-quality resampler ``librosa.load`` uses).

Files that cannot be used raise :class:`serlib.errors.AudioError` whose message names the
file, says what is wrong and what to do: a missing file, an empty (0-byte) file, a
truncated or corrupt header, a text (or other non-audio) file named ``.wav``, and a clip
shorter than one analysis frame (:data:`FRAME_LENGTH` samples at 16 kHz, 64 ms).

Notebook: 01_mel_scale.ipynb
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from serlib.config import SAMPLE_RATE
from serlib.errors import AudioError

#: Length of one analysis frame (the STFT window, ``n_fft``) in samples at
#: :data:`SAMPLE_RATE`: 1024 samples = 64 ms. A clip shorter than this holds not even
#: one frame, so :func:`load` refuses it. :class:`serlib.features.FeatureConfig` uses it
#: as its default ``n_fft``.
FRAME_LENGTH = 1024
#: The same frame as a duration in seconds (64 ms); used to check clips at any rate.
FRAME_SECONDS = FRAME_LENGTH / SAMPLE_RATE

#: Sample rates :func:`load` accepts (inclusive), in Hz.
MIN_RATE, MAX_RATE = 8_000, 96_000

#: Below this RMS level (dBFS) :func:`is_silent` calls a signal silent.
SILENCE_DBFS = -60.0

# First bytes of the containers libsndfile reads, used only to word error messages.
_MAGIC = {
    b"RIFF": "WAV", b"RIFX": "WAV", b"RF64": "WAV", b"fLaC": "FLAC", b"OggS": "OGG",
    b"FORM": "AIFF", b"ID3": "MP3", b"\xff\xfb": "MP3", b"\xff\xf3": "MP3",
}


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says, read without decoding the samples (see :func:`info`).

    Notebook: 04_datasets.ipynb
    """

    path: str
    sample_rate: int
    channels: int
    frames: int
    format: str
    subtype: str

    @property
    def seconds(self) -> float:
        """Duration in seconds."""
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def _container(head: bytes) -> str | None:
    for magic, name in _MAGIC.items():
        if head.startswith(magic):
            return name
    return None


def sniff(path: str | os.PathLike) -> str | None:
    """The audio container a file's first bytes announce (``"WAV"``, ``"FLAC"``, ``"OGG"``,
    ...), or ``None`` for anything else (or an unreadable file). Used to say "this is an
    audio file" when one is given where a model is expected.

    Notebook: 06_mlp_grid_search.ipynb
    """
    try:
        with open(path, "rb") as fh:
            return _container(fh.read(16))
    except OSError:
        return None


def _looks_like_text(head: bytes) -> bool:
    if not head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(32 <= b < 127 or b in (9, 10, 13) for b in head[:256])


def check_file(path: str | os.PathLike) -> None:
    """Raise :class:`AudioError` if ``path`` is missing, not a regular file, or empty.

    Notebook: 06_mlp_grid_search.ipynb
    """
    path = Path(path)
    if not path.exists():
        raise AudioError(
            f"{path}: file not found. Check the path (and the data root: set SERLIB_DATA "
            "or pass --data-root) or download the corpus with `serlib datasets download`."
        )
    if not path.is_file():
        raise AudioError(f"{path}: is not a file (a folder?). Pass the path of one audio file.")
    if path.stat().st_size == 0:
        raise AudioError(
            f"{path}: the file is empty (0 bytes), probably an interrupted copy or download. "
            "Delete it and copy or download it again."
        )


def _read_error(path: Path, exc: Exception) -> AudioError:
    """Turn a libsndfile failure into an AudioError that says what to do."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(512)
    except OSError as os_exc:  # pragma: no cover - unreadable after the existence check
        return AudioError(f"{path}: cannot be read ({os_exc}). Check its permissions.")
    kind = _container(head)
    if kind is None and _looks_like_text(head):
        return AudioError(
            f"{path}: this is a text file, not audio (it starts with "
            f"{head[:24].decode('utf-8', 'replace')!r}). Replace it with the real recording "
            "(WAV, FLAC or OGG)."
        )
    if kind is None:
        return AudioError(
            f"{path}: not a recognised audio file (no WAV/FLAC/OGG header; libsndfile says: "
            f"{exc}). Convert it to WAV or FLAC, e.g. `sox in.xyz out.wav`, or replace it."
        )
    return AudioError(
        f"{path}: the {kind} header is truncated or corrupt (libsndfile says: {exc}). The "
        "file is probably an incomplete copy or download: copy or download it again."
    )


def info(path: str | os.PathLike) -> AudioInfo:
    """Read a file's header (rate, channels, length, format) without decoding it.

    Raises :class:`AudioError` for the same bad files as :func:`load` (except too-short
    clips, which it reports as they are).

    Notebook: 01_mel_scale.ipynb
    """
    import soundfile as sf

    path = Path(path)
    check_file(path)
    try:
        meta = sf.info(str(path))
    except Exception as exc:  # soundfile.LibsndfileError, RuntimeError, TypeError
        raise _read_error(path, exc) from exc
    return AudioInfo(str(path), int(meta.samplerate), int(meta.channels), int(meta.frames),
                     str(meta.format), str(meta.subtype))


def load(path: str | os.PathLike, sr: int | None = SAMPLE_RATE, *,
         min_seconds: float = FRAME_SECONDS) -> np.ndarray:
    """Load any clip as mono ``float32`` at ``sr`` Hz (16 kHz by default).

    - Formats: whatever libsndfile reads (WAV, FLAC, OGG Vorbis/Opus, AIFF, ...), with
      8/16/24/32-bit integer (8-bit WAV is unsigned, handled) or 32/64-bit float samples.
    - Sample rates from 8 to 96 kHz are accepted and resampled to ``sr`` with soxr
      (high quality, as ``librosa.load`` does). ``sr=None`` keeps the file's own rate.
    - Several channels are averaged into one.
    - The result lies in [-1, 1] for integer files; float files are returned as stored.

    Raises :class:`AudioError` (naming the file, the cause and the fix) when the file is
    missing, empty, has a truncated or corrupt header, is not audio (e.g. a text file
    named ``.wav``), holds no samples, has a rate outside 8-96 kHz, contains NaN/inf, or
    is shorter than ``min_seconds`` (default: one analysis frame, :data:`FRAME_SECONDS`
    = 64 ms, i.e. :data:`FRAME_LENGTH` samples at 16 kHz). Pass ``min_seconds=0`` to
    accept any non-empty clip.

    A file cut in the middle of its data (its header promises more frames than it
    holds) is loaded as far as it goes, with an :class:`~serlib.errors.AudioWarning`
    that says how much is missing; :func:`load_with_notes` returns such notes instead.

    Notebook: 01_mel_scale.ipynb
    """
    import warnings

    from serlib.errors import AudioWarning

    y, notes = load_with_notes(path, sr, min_seconds=min_seconds)
    for note in notes:
        warnings.warn(note, AudioWarning, stacklevel=2)
    return y


def load_with_notes(path: str | os.PathLike, sr: int | None = SAMPLE_RATE, *,
                    min_seconds: float = FRAME_SECONDS) -> tuple[np.ndarray, list[str]]:
    """:func:`load`, returning ``(y, notes)``: ``notes`` lists what is wrong with a file
    that can still be used (today: a file cut in the middle of its data), one sentence each.

    Notebook: 01_mel_scale.ipynb
    """
    import soundfile as sf

    path = Path(path)
    check_file(path)
    try:
        with sf.SoundFile(str(path)) as fh:
            native = int(fh.samplerate)
            data = fh.read(dtype="float32", always_2d=True)
            # libsndfile notes "data : 192000 (should be 56)" when the data part is cut off
            missing = _missing_frames(fh.extra_info, int(fh.frames))
    except Exception as exc:  # soundfile.LibsndfileError, RuntimeError, TypeError
        raise _read_error(path, exc) from exc
    if not MIN_RATE <= native <= MAX_RATE:
        raise AudioError(
            f"{path}: sample rate {native} Hz is outside the supported {MIN_RATE}-{MAX_RATE} Hz. "
            f"Resample it first, e.g. `sox {path.name} -r 16000 out.wav`."
        )
    cut = " The file is truncated (its header promises more data than it holds)." if missing else ""
    if data.shape[0] == 0:
        raise AudioError(
            f"{path}: the file has a valid header but holds no samples (0 frames).{cut} It is "
            "probably an incomplete recording or copy: record or copy it again."
        )
    y = data[:, 0] if data.shape[1] == 1 else data.mean(axis=1, dtype=np.float32)
    if not np.all(np.isfinite(y)):
        raise AudioError(
            f"{path}: the samples contain NaN or infinite values (a broken float WAV). "
            "Re-export the recording as 16-bit PCM."
        )
    min_native = int(math.ceil(min_seconds * native - 1e-9))
    if y.shape[0] < max(min_native, 1):
        raise AudioError(
            f"{path}: the clip is too short: {y.shape[0]} samples ({1000 * y.shape[0] / native:.1f} ms "
            f"at {native} Hz), less than one analysis frame ({1000 * min_seconds:.0f} ms = "
            f"{FRAME_LENGTH} samples at {SAMPLE_RATE} Hz).{cut} Use a longer recording "
            "(speech clips are usually 1-5 s)."
        )
    notes = []
    if missing:
        notes.append(
            f"{path}: the file is cut off: its header promises {y.shape[0] + missing} frames but it "
            f"holds {y.shape[0]}; {missing} frames ({missing / native:.2f} s) are missing, so only the "
            f"first {y.shape[0] / native:.2f} s are used. Copy or record the file again to judge all of it."
        )
    if sr is not None and sr != native:
        y = resample(y, native, sr)
    return np.ascontiguousarray(y, dtype=np.float32), notes


def _missing_frames(extra_info: str, frames: int) -> int:
    """Frames a WAV's header promises beyond those in the file, from libsndfile's notes
    (``data : 192000 (should be 56)``: bytes promised, bytes present); 0 when complete."""
    import re

    promised = re.search(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", extra_info, re.M)
    if promised is None:
        return 0
    declared, present = int(promised.group(1)), int(promised.group(2))
    align = re.search(r"Block Align\s*:\s*(\d+)", extra_info)
    per_frame = int(align.group(1)) if align else (present / frames if frames else 0)
    if declared <= present or declared >= 0xFFFFFF00 or not per_frame:  # 0xFFFFFFFF: streamed, length unknown
        return 0
    return max(0, int(declared // per_frame) - frames)



def resample(y: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample a 1-D signal with soxr (high quality); returns ``float32``.

    Notebook: 01_mel_scale.ipynb
    """
    y = np.asarray(y, dtype=np.float32)
    if orig_sr == target_sr:
        return y
    import soxr

    return np.asarray(soxr.resample(y, orig_sr, target_sr, quality="HQ"), dtype=np.float32)


def save(path: str | os.PathLike, y: np.ndarray, sr: int = SAMPLE_RATE, *,
         subtype: str | None = None) -> Path:
    """Write a signal to WAV/FLAC/OGG (format from the extension); returns the path.

    Integer formats (the default for WAV and FLAC is 16-bit PCM) clip values outside
    [-1, 1]. Parent folders are created.

    Notebook: 01_mel_scale.ipynb
    """
    import soundfile as sf

    path = Path(path)
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[0] < y.shape[1]:
        y = y.T  # (channels, samples) -> (samples, channels), as soundfile expects
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), y, int(sr), subtype=subtype)
    return path


def tone(freq_hz: float, seconds: float = 1.0, sr: int = SAMPLE_RATE, amplitude: float = 0.5,
         *, fade_seconds: float = 0.0) -> np.ndarray:
    """A pure sine tone of ``freq_hz`` Hz as ``float32`` (peak ``amplitude``).

    ``fade_seconds`` > 0 adds raised-cosine fade-in/out, which removes the clicks at the
    edges when the tone is played back (leave it at 0 for analysis).

    Notebook: 01_mel_scale.ipynb
    """
    if freq_hz < 0 or freq_hz >= sr / 2:
        raise ValueError(f"freq_hz={freq_hz} must lie in [0, {sr / 2}) (the Nyquist limit at sr={sr}).")
    n = int(round(seconds * sr))
    t = np.arange(n, dtype=np.float64) / sr
    y = amplitude * np.sin(2 * np.pi * freq_hz * t)
    nf = int(round(fade_seconds * sr))
    if nf > 0:
        nf = min(nf, n // 2)
        ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(nf) / nf)
        y[:nf] *= ramp
        y[n - nf:] *= ramp[::-1]
    return y.astype(np.float32)


def rms_dbfs(y: np.ndarray) -> float:
    """Root-mean-square level in dB relative to full scale (1.0); ``-inf`` for silence.

    With this definition a full-scale square wave is 0 dBFS and a full-scale sine is
    about -3.01 dBFS.

    Notebook: 01_mel_scale.ipynb
    """
    y = np.asarray(y, dtype=np.float64)
    if y.size == 0:
        return float("-inf")
    rms = math.sqrt(float(np.mean(y * y)))
    return 20.0 * math.log10(rms) if rms > 0 else float("-inf")


def is_silent(y: np.ndarray, threshold_dbfs: float = SILENCE_DBFS) -> bool:
    """True when the RMS level of ``y`` is below ``threshold_dbfs`` (default -60 dBFS).

    Notebook: 10_live_demo.ipynb (refusing to classify a silent recording)
    """
    return rms_dbfs(y) < threshold_dbfs


def normalize_loudness(y: np.ndarray, target_dbfs: float = -23.0, *,
                       max_peak: float | None = 1.0) -> np.ndarray:
    """Scale ``y`` so that its RMS level is ``target_dbfs`` (default -23 dBFS).

    This is a plain RMS level, not perceptual loudness (LUFS, ITU-R BS.1770, which
    weights frequencies and gates silence): simple, and enough to make clips recorded
    at different distances comparable. With ``max_peak`` set (default 1.0) the gain is
    lowered where needed so that no sample exceeds it, so the result may be quieter than
    the target; ``max_peak=None`` applies the full gain. A silent (all-zero) signal is
    returned unchanged.

    Notebook: 01_mel_scale.ipynb
    """
    y = np.asarray(y, dtype=np.float32)
    level = rms_dbfs(y)
    if not math.isfinite(level):
        return y.copy()
    gain = 10.0 ** ((target_dbfs - level) / 20.0)
    if max_peak is not None:
        peak = float(np.max(np.abs(y)))
        if peak * gain > max_peak:
            gain = max_peak / peak
    return (y * np.float32(gain)).astype(np.float32)


def frame_rms(y: np.ndarray, frame_length: int = FRAME_LENGTH,
              hop_length: int = FRAME_LENGTH // 4) -> np.ndarray:
    """RMS of each frame (centred frames, zero padding), as ``librosa.feature.rms(y=y)``.

    Notebook: 01_mel_scale.ipynb
    """
    y = np.asarray(y, dtype=np.float32)
    padded = np.pad(y, frame_length // 2)
    frames = np.lib.stride_tricks.sliding_window_view(padded, frame_length)[::hop_length]
    return np.sqrt(np.einsum("ij,ij->i", frames, frames, dtype=np.float64) / frame_length)


def trim_silence(y: np.ndarray, top_db: float = 30.0, *, frame_length: int = FRAME_LENGTH,
                 hop_length: int = FRAME_LENGTH // 4, return_index: bool = False):
    """Cut leading and trailing parts quieter than ``top_db`` below the loudest frame.

    Frames whose RMS level is more than ``top_db`` dB below the clip's loudest frame
    count as silence; the clip is cut from the first to the end of the last loud frame.
    This is what ``librosa.effects.trim`` does (the tests check that both agree), written
    out in numpy. The whole clip is kept when it is all silent. With
    ``return_index=True`` it returns ``(trimmed, (start, stop))`` in samples.

    Notebook: 01_mel_scale.ipynb
    """
    y = np.asarray(y, dtype=np.float32)
    if y.size == 0:
        return (y, (0, 0)) if return_index else y
    power = frame_rms(y, frame_length, hop_length) ** 2
    db = 10 * np.log10(np.maximum(power, 1e-10)) - 10 * np.log10(max(float(power.max()), 1e-10))
    loud = np.flatnonzero(db > -top_db)
    if power.max() <= 0 or loud.size == 0:  # all silent: keep it as it is
        start, stop = 0, y.size
    else:
        start = int(loud[0] * hop_length)
        stop = int(min(y.size, (loud[-1] + 1) * hop_length))
    trimmed = y[start:stop]
    return (trimmed, (start, stop)) if return_index else trimmed
