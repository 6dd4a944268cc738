"""Features of a clip, all derived from ONE short-time Fourier transform.

:func:`analyze` computes the magnitude STFT of a signal once and returns a
:class:`Spectra` object from which every feature is derived on demand:

- ``magnitude``: ``|STFT|``, shape (1 + n_fft/2, frames)          (01_mel_scale.ipynb)
- ``power``: ``|STFT|**2``                                          (01_mel_scale.ipynb)
- ``mel``: mel filter bank @ power, a power mel spectrogram         (01_mel_scale.ipynb)
- ``log_mel``: ``mel`` in dB (``10 log10``, floor 80 dB below max)  (01_mel_scale.ipynb)
- ``mfcc``: orthonormal DCT-II of ``log_mel``, first 40             (02_mfcc.ipynb)
- ``chroma``: chroma filter bank @ magnitude, each frame max = 1    (03_chroma.ipynb)
- ``times``: centre of each frame in seconds                        (01_mel_scale.ipynb)

The filter banks are librosa's own (``librosa.filters.mel`` and
``librosa.filters.chroma``), so the results equal ``librosa.feature.melspectrogram``,
``mfcc`` and ``chroma_stft`` called with the same parameters (the tests check this, with
the tolerances they state) while costing one STFT instead of three.

Clip-level representations, each a function ``f(y, cfg) -> np.ndarray`` listed in
:data:`FEATURE_KINDS`:

- ``"seed180"``: :func:`seed_vector`, the seed project's 180 values per clip: 40 MFCC
  means, 12 chroma means, 128 mel-band means (02_mfcc, 03_chroma, 06_mlp_grid_search).
- ``"stats"``: :func:`stats_vector`, a richer summary (means, standard deviations,
  deltas, energy, spectral shape, pitch); :func:`stats_feature_names` names each value.
- ``"mfcc40"``: :func:`mfcc_means`, the 40 MFCC means alone (the seed's 1-D CNN input).
- ``"logmel"``: :func:`logmel_image`, a fixed-size log-mel image (n_mels x 188 frames,
  3.0 s) for 2-D CNNs and ResNet (07_cnn.ipynb, 08_resnet_transfer.ipynb).
- ``"mfcc_seq"``: :func:`mfcc_sequence`, a fixed-length MFCC sequence (188 frames x 40)
  for recurrent models (07_cnn.ipynb).
- ``"voice"`` and ``"stats+voice"``: pitch, loudness and voice quality (eGeMAPS-like, 89
  values), alone or after ``stats``; they live in :mod:`serlib.voice` (05_voice.ipynb).

Notebook: 01_mel_scale.ipynb, 02_mfcc.ipynb, 03_chroma.ipynb
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import cached_property, lru_cache
from typing import Callable

import numpy as np

from serlib.audio import FRAME_LENGTH
from serlib.config import SAMPLE_RATE
from serlib.errors import AudioError

#: Bump when the way a feature is computed changes; part of :meth:`FeatureConfig.key`,
#: so cached features computed by older code are never returned.
#: 2: the ``stats`` frame energy became the true RMS (the window's own RMS divided out,
#: +4.26 dB) and pitch voicing follows it; version 1 caches held the older values.
FEATURE_VERSION = 2

#: Pitch classes in the order of ``librosa.filters.chroma`` (row 0 is C).
CHROMA_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")

#: Frames in a log-mel image and an MFCC sequence: 188 frames of hop 256 at 16 kHz are
#: exactly the frames a centred STFT gives for 3.0 s of audio (1 + 48000 // 256), long
#: enough for a RAVDESS sentence without its leading and trailing silence.
IMAGE_FRAMES = 188


@dataclass(frozen=True)
class FeatureConfig:
    """Every setting that shapes a feature. Frozen, so it can key a cache.

    STFT: ``n_fft`` samples (64 ms at 16 kHz) per frame, a periodic Hann window, hop
    ``hop_length`` (16 ms), frames centred with zero padding (librosa's defaults).
    Mel: ``n_mels`` Slaney-normalised triangular filters between ``fmin`` and ``fmax``
    (librosa's default, not HTK). dB: ``10 log10(max(S, 1e-10))`` with values more than
    ``top_db`` below the clip's maximum raised to that floor (as ``librosa.power_to_db``).
    Chroma: computed on ``|STFT| ** chroma_power`` (1 = magnitude, as the seed did) with
    ``tuning`` fractional bins off A440 (0.0: standard tuning; ``None``: estimate it per
    clip as ``librosa.feature.chroma_stft`` does by default, slower and meaningless for
    speech). Images and sequences are ``image_frames`` / ``sequence_frames`` wide.

    Notebook: 01_mel_scale.ipynb
    """

    sr: int = SAMPLE_RATE
    n_fft: int = FRAME_LENGTH
    hop_length: int = 256
    window: str = "hann"
    center: bool = True
    n_mels: int = 128
    n_mfcc: int = 40
    fmin: float = 0.0
    fmax: float = 8000.0
    top_db: float = 80.0
    n_chroma: int = 12
    chroma_power: float = 1.0
    tuning: float | None = 0.0
    image_frames: int = IMAGE_FRAMES
    sequence_frames: int = IMAGE_FRAMES
    delta_width: int = 9
    pitch_fmin: float = 65.0
    pitch_fmax: float = 500.0

    def key(self) -> str:
        """A short, stable hash of every field and :data:`FEATURE_VERSION` (for caches)."""
        payload = json.dumps({"version": FEATURE_VERSION, **asdict(self)}, sort_keys=True)
        return hashlib.sha1(payload.encode()).hexdigest()[:16]

    @property
    def frame_seconds(self) -> float:
        """Length of one analysis frame in seconds."""
        return self.n_fft / self.sr

    def replace(self, **changes) -> "FeatureConfig":
        """A copy with some fields changed (``cfg.replace(n_mels=64)``)."""
        from dataclasses import replace

        return replace(self, **changes)


DEFAULT = FeatureConfig()


# ---------------------------------------------------------------------------- filters
@lru_cache(maxsize=16)
def _window(name: str, n_fft: int) -> np.ndarray:
    from scipy.signal import get_window

    return get_window(name, n_fft, fftbins=True).astype(np.float32)


@lru_cache(maxsize=16)
def mel_filters(cfg: FeatureConfig = DEFAULT) -> np.ndarray:
    """The mel filter bank (n_mels x (1 + n_fft/2)), from ``librosa.filters.mel``.

    Notebook: 01_mel_scale.ipynb
    """
    import librosa

    fb = librosa.filters.mel(sr=cfg.sr, n_fft=cfg.n_fft, n_mels=cfg.n_mels, fmin=cfg.fmin,
                             fmax=cfg.fmax, dtype=np.float32)
    fb.setflags(write=False)
    return fb


@lru_cache(maxsize=64)
def chroma_filters(cfg: FeatureConfig = DEFAULT, tuning: float = 0.0) -> np.ndarray:
    """The chroma filter bank (n_chroma x (1 + n_fft/2)), from ``librosa.filters.chroma``.

    Notebook: 03_chroma.ipynb
    """
    import librosa

    fb = librosa.filters.chroma(sr=cfg.sr, n_fft=cfg.n_fft, tuning=tuning,
                                n_chroma=cfg.n_chroma).astype(np.float32)
    fb.setflags(write=False)
    return fb


def mel_frequencies(cfg: FeatureConfig = DEFAULT) -> np.ndarray:
    """Centre frequency (Hz) of each mel band, as ``librosa.mel_frequencies``.

    Notebook: 01_mel_scale.ipynb
    """
    import librosa

    return librosa.mel_frequencies(n_mels=cfg.n_mels + 2, fmin=cfg.fmin, fmax=cfg.fmax)[1:-1]


def stft_magnitude(y: np.ndarray, cfg: FeatureConfig = DEFAULT) -> np.ndarray:
    """``|STFT|`` of ``y``: shape (1 + n_fft/2, frames), float32.

    Periodic Hann window, frames centred by zero-padding ``n_fft/2`` samples at both
    ends; equals ``np.abs(librosa.stft(y, n_fft=..., hop_length=...))`` (librosa's
    defaults) to float32 rounding.

    Notebook: 01_mel_scale.ipynb
    """
    from scipy import fft as sfft

    y = np.asarray(y, dtype=np.float32)
    if y.ndim != 1:
        raise AudioError(f"expected a 1-D (mono) signal, got shape {y.shape}; use serlib.audio.load.")
    n_fft, hop = cfg.n_fft, cfg.hop_length
    if cfg.center:
        y = np.pad(y, n_fft // 2, mode="constant")
    if y.shape[0] < n_fft:
        raise AudioError(
            f"signal too short: {y.shape[0]} samples after padding, less than one frame "
            f"({n_fft} samples); use a clip of at least {cfg.frame_seconds * 1000:.0f} ms."
        )
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop]
    spec = sfft.rfft(frames * _window(cfg.window, n_fft), axis=1)
    return np.abs(spec).T.astype(np.float32, copy=False)


def power_to_db(S: np.ndarray, top_db: float | None = 80.0, amin: float = 1e-10) -> np.ndarray:
    """``10 log10(max(S, amin))``, floored ``top_db`` below the maximum (as librosa, ref=1).

    Notebook: 01_mel_scale.ipynb
    """
    db = 10.0 * np.log10(np.maximum(S, amin))
    if top_db is not None and db.size:
        db = np.maximum(db, db.max() - top_db)
    return db.astype(np.float32, copy=False)


@lru_cache(maxsize=1)
def _blas_controller():
    try:
        from threadpoolctl import ThreadpoolController

        return ThreadpoolController()
    except Exception:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return None


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a @ b`` with one BLAS thread: these products are small, and on a busy machine a
    multi-threaded OpenBLAS made them 20-40 times slower (measured: 3 ms -> 75-140 ms
    per clip on 2 shared cores)."""
    ctl = _blas_controller()
    if ctl is None:  # pragma: no cover
        return a @ b
    with ctl.limit(limits=1, user_api="blas"):
        return a @ b


def _delta(x: np.ndarray, width: int) -> np.ndarray:
    """librosa.feature.delta along time, with the width shrunk for very short clips."""
    import librosa

    n = x.shape[-1]
    width = min(width, n if n % 2 else n - 1)
    if width < 3:
        return np.zeros_like(x)
    return librosa.feature.delta(x, width=width, axis=-1, mode="interp").astype(np.float32)


# ---------------------------------------------------------------------------- spectra
@dataclass(frozen=True, eq=False)
class Spectra:
    """One clip's STFT and everything derived from it (computed lazily, then kept).

    Build it with :func:`analyze`. All spectrograms are (bins, frames) ``float32``.

    Notebook: 01_mel_scale.ipynb, 02_mfcc.ipynb, 03_chroma.ipynb
    """

    y: np.ndarray
    cfg: FeatureConfig
    magnitude: np.ndarray

    @cached_property
    def power(self) -> np.ndarray:
        """``|STFT|**2``."""
        return np.square(self.magnitude)

    @cached_property
    def mel(self) -> np.ndarray:
        """Mel spectrogram (power), ``n_mels`` x frames."""
        return _dot(mel_filters(self.cfg), self.power)

    @cached_property
    def log_mel(self) -> np.ndarray:
        """Mel spectrogram in dB (``top_db`` floor below the clip's maximum)."""
        return power_to_db(self.mel, top_db=self.cfg.top_db)

    @cached_property
    def mfcc(self) -> np.ndarray:
        """MFCCs (``n_mfcc`` x frames): orthonormal DCT-II of ``log_mel``, as librosa."""
        from scipy import fft as sfft

        return sfft.dct(self.log_mel, type=2, axis=0, norm="ortho")[: self.cfg.n_mfcc]

    @cached_property
    def delta_mfcc(self) -> np.ndarray:
        """First-order deltas of the MFCCs (``librosa.feature.delta``, width 9)."""
        return _delta(self.mfcc, self.cfg.delta_width)

    @cached_property
    def tuning(self) -> float:
        """Tuning (fractional chroma bins off A440) used for the chroma filter bank."""
        if self.cfg.tuning is not None:
            return float(self.cfg.tuning)
        import librosa

        return float(librosa.estimate_tuning(S=self._chroma_input, sr=self.cfg.sr,
                                             n_fft=self.cfg.n_fft,
                                             bins_per_octave=self.cfg.n_chroma))

    @cached_property
    def _chroma_input(self) -> np.ndarray:
        p = self.cfg.chroma_power
        return self.magnitude if p == 1 else (self.power if p == 2 else self.magnitude ** p)

    @cached_property
    def chroma(self) -> np.ndarray:
        """Chromagram (12 x frames), each frame scaled so its largest pitch class is 1."""
        import librosa

        raw = _dot(chroma_filters(self.cfg, round(self.tuning, 6)), self._chroma_input)
        return librosa.util.normalize(raw, norm=np.inf, axis=0)

    @cached_property
    def rms(self) -> np.ndarray:
        """Frame RMS of the signal, from the spectrum (Parseval's theorem).

        ``librosa.feature.rms(S=magnitude)`` gives the RMS of the *windowed* frame; this
        divides by the window's own RMS, so a sine of amplitude A gives A/sqrt(2) and
        levels in dBFS mean what :func:`serlib.audio.rms_dbfs` means.
        """
        S = self.power.copy()
        S[0] *= 0.5
        if self.cfg.n_fft % 2 == 0:
            S[-1] *= 0.5
        w = _window(self.cfg.window, self.cfg.n_fft).astype(np.float64)
        return np.sqrt(2 * S.sum(axis=0) / self.cfg.n_fft ** 2 / np.mean(w * w)).astype(np.float32)

    @cached_property
    def frequencies(self) -> np.ndarray:
        """Centre frequency (Hz) of each STFT bin."""
        return np.linspace(0, self.cfg.sr / 2, self.magnitude.shape[0]).astype(np.float32)

    @property
    def times(self) -> np.ndarray:
        """Time (s) of each frame's centre (start, when ``center=False``)."""
        return (np.arange(self.magnitude.shape[1]) * self.cfg.hop_length / self.cfg.sr)

    @property
    def n_frames(self) -> int:
        return int(self.magnitude.shape[1])


def analyze(y: np.ndarray, cfg: FeatureConfig | None = None) -> Spectra:
    """Compute the STFT of ``y`` (mono, at ``cfg.sr``) once; derive features from it.

    Example::

        spec = analyze(serlib.audio.tone(440))
        spec.mel.shape, spec.mfcc.shape, spec.chroma.shape   # (128, 63) (40, 63) (12, 63)

    Notebook: 01_mel_scale.ipynb
    """
    cfg = cfg or DEFAULT
    y = np.asarray(y, dtype=np.float32)
    return Spectra(y=y, cfg=cfg, magnitude=stft_magnitude(y, cfg))


def _spectra(y, cfg) -> Spectra:
    return y if isinstance(y, Spectra) else analyze(y, cfg)


# ---------------------------------------------------------------------------- features
def mel_spectrogram(y: np.ndarray, cfg: FeatureConfig | None = None, *, db: bool = False) -> np.ndarray:
    """Mel spectrogram (power, or dB with ``db=True``), ``n_mels`` x frames.

    Equals ``librosa.feature.melspectrogram(y=y, sr=16000, n_fft=1024, hop_length=256,
    n_mels=128, fmin=0, fmax=8000)``.

    Notebook: 01_mel_scale.ipynb
    """
    s = _spectra(y, cfg)
    return s.log_mel if db else s.mel


def mfcc(y: np.ndarray, cfg: FeatureConfig | None = None) -> np.ndarray:
    """MFCCs, ``n_mfcc`` x frames; equals ``librosa.feature.mfcc`` with the same settings.

    Notebook: 02_mfcc.ipynb
    """
    return _spectra(y, cfg).mfcc


def chroma(y: np.ndarray, cfg: FeatureConfig | None = None) -> np.ndarray:
    """Chromagram, 12 x frames (rows C, C#, ..., B; see :data:`CHROMA_NAMES`).

    Equals ``librosa.feature.chroma_stft(S=np.abs(stft), sr=16000, tuning=0.0)``, i.e.
    chroma of the magnitude as the seed computed it (with standard A440 tuning instead of
    a per-clip estimate, see :class:`FeatureConfig`).

    Notebook: 03_chroma.ipynb
    """
    return _spectra(y, cfg).chroma


def seed_vector(y: np.ndarray, cfg: FeatureConfig | None = None) -> np.ndarray:
    """The seed's clip vector: 40 MFCC means, 12 chroma means, 128 mel-band means (180).

    The order is the seed's: MFCC (from the log-mel), then chroma (of ``|STFT|``), then
    the mel spectrogram (power). All three means come from one STFT here, where the seed
    called librosa three times.

    Notebook: 06_mlp_grid_search.ipynb (introduced in 02_mfcc.ipynb and 03_chroma.ipynb)
    """
    s = _spectra(y, cfg)
    return np.concatenate([s.mfcc.mean(axis=1), s.chroma.mean(axis=1),
                           s.mel.mean(axis=1)]).astype(np.float32)


def mfcc_means(y: np.ndarray, cfg: FeatureConfig | None = None) -> np.ndarray:
    """The 40 MFCC means alone (kind ``"mfcc40"``, the seed's 1-D CNN input).

    Notebook: 07_cnn.ipynb
    """
    return _spectra(y, cfg).mfcc.mean(axis=1).astype(np.float32)


#: Mel bands are averaged in groups of this many for the stats vector's log-mel part.
STATS_MEL_GROUP = 8


def _pitch(s: Spectra) -> tuple[np.ndarray, np.ndarray]:
    """f0 per frame (YIN) and a voicing mask (loud frames with a clear period)."""
    import librosa

    cfg = s.cfg
    frame = max(cfg.n_fft, int(np.ceil(2 * cfg.sr / cfg.pitch_fmin)) + 2)
    if s.y.shape[0] < frame:
        return np.zeros(0, np.float32), np.zeros(0, bool)
    # every second STFT frame is plenty for statistics, and YIN is the costly part
    step = 2
    f0 = librosa.yin(s.y, fmin=cfg.pitch_fmin, fmax=cfg.pitch_fmax, sr=cfg.sr,
                     frame_length=frame, hop_length=step * cfg.hop_length, center=True)
    rms = s.rms[::step]
    n = min(f0.shape[0], rms.shape[0])
    f0 = f0[:n]
    rms_db = 20 * np.log10(np.maximum(rms[:n], 1e-10))
    voiced = (rms_db > rms_db.max() - 30) & (f0 > cfg.pitch_fmin * 1.01) & (f0 < cfg.pitch_fmax * 0.99)
    return f0.astype(np.float32), voiced


def stats_feature_names(cfg: FeatureConfig | None = None) -> list[str]:
    """Names of the values in :func:`stats_vector`, in order.

    Notebook: 06_mlp_grid_search.ipynb
    """
    cfg = cfg or DEFAULT
    names: list[str] = []
    for stat in ("mean", "std"):
        names += [f"mfcc{i}_{stat}" for i in range(cfg.n_mfcc)]
    for stat in ("mean", "std"):
        names += [f"delta_mfcc{i}_{stat}" for i in range(cfg.n_mfcc)]
    groups = int(np.ceil(cfg.n_mels / STATS_MEL_GROUP))
    for stat in ("mean", "std"):
        names += [f"logmel_band{g}_{stat}" for g in range(groups)]
    for stat in ("mean", "std"):
        names += [f"chroma_{c}_{stat}" for c in CHROMA_NAMES[: cfg.n_chroma]]
    for feat in ("rms_db", "zcr", "centroid_hz", "rolloff_hz", "flatness", "bandwidth_hz"):
        names += [f"{feat}_mean", f"{feat}_std"]
    names += ["rms_db_max", "pitch_hz_mean", "pitch_hz_std", "pitch_hz_p10", "pitch_hz_p90",
              "voiced_fraction"]
    return names


def stats_vector(y: np.ndarray, cfg: FeatureConfig | None = None) -> np.ndarray:
    """A richer clip summary than :func:`seed_vector` (names: :func:`stats_feature_names`).

    - MFCC mean and standard deviation (2 x 40) and the same of their deltas (2 x 40);
    - log-mel mean and standard deviation in 16 groups of 8 adjacent bands (2 x 16);
    - chroma mean and standard deviation (2 x 12);
    - mean and standard deviation over frames of: RMS energy (dB), zero-crossing rate,
      spectral centroid, 85 % roll-off, flatness and bandwidth (2 x 6), plus the loudest
      frame's RMS (dB);
    - pitch (YIN, 65-500 Hz, every second frame) over voiced frames (loud, with a period found): mean,
      standard deviation, 10th and 90th percentile in Hz, and the voiced fraction
      (zeros when no frame is voiced).

    Spectral values come from the one STFT; only the zero-crossing rate and YIN read the
    waveform. 234 values at the default settings; about 10 ms per 4-s clip, half of
    it YIN.

    Notebook: 06_mlp_grid_search.ipynb
    """
    s = _spectra(y, cfg)
    cfg = s.cfg
    parts = [s.mfcc.mean(1), s.mfcc.std(1), s.delta_mfcc.mean(1), s.delta_mfcc.std(1)]
    lm = s.log_mel
    groups = int(np.ceil(cfg.n_mels / STATS_MEL_GROUP))
    pad = groups * STATS_MEL_GROUP - cfg.n_mels
    if pad:
        lm = np.concatenate([lm, np.repeat(lm[-1:], pad, axis=0)])
    grouped = lm.reshape(groups, STATS_MEL_GROUP, -1).mean(axis=1)
    parts += [grouped.mean(1), grouped.std(1), s.chroma.mean(1), s.chroma.std(1)]

    mag, freqs = s.magnitude, s.frequencies[:, None]
    total = np.maximum(mag.sum(axis=0), 1e-10)
    centroid = (freqs * mag).sum(axis=0) / total
    bandwidth = np.sqrt(((freqs - centroid) ** 2 * mag).sum(axis=0) / total)
    cum = np.cumsum(mag, axis=0)
    rolloff = s.frequencies[np.argmax(cum >= 0.85 * cum[-1:], axis=0)]
    power = np.maximum(s.power, 1e-10)
    flatness = np.exp(np.mean(np.log(power), axis=0)) / np.mean(power, axis=0)
    rms_db = 20 * np.log10(np.maximum(s.rms, 1e-10))
    yy = np.pad(s.y, cfg.n_fft // 2) if cfg.center else s.y
    frames = np.lib.stride_tricks.sliding_window_view(np.signbit(yy), cfg.n_fft)[:: cfg.hop_length]
    zcr = np.count_nonzero(np.diff(frames, axis=1), axis=1) / cfg.n_fft
    for v in (rms_db, zcr, centroid, rolloff, flatness, bandwidth):
        parts.append(np.array([v.mean(), v.std()]))
    f0, voiced = _pitch(s)
    if voiced.any():
        v = f0[voiced]
        pitch = [v.mean(), v.std(), np.percentile(v, 10), np.percentile(v, 90), voiced.mean()]
    else:
        pitch = [0.0] * 5
    parts.append(np.array([rms_db.max(), *pitch]))
    return np.concatenate([np.asarray(p, dtype=np.float32).ravel() for p in parts])


def _fix_frames(x: np.ndarray, frames: int, fill: float) -> np.ndarray:
    """Crop (centred) or pad (centred, with ``fill``) the time axis (last) to ``frames``."""
    n = x.shape[-1]
    if n >= frames:
        start = (n - frames) // 2
        return x[..., start:start + frames]
    out = np.full(x.shape[:-1] + (frames,), fill, dtype=x.dtype)
    start = (frames - n) // 2
    out[..., start:start + n] = x
    return out


def logmel_image(y: np.ndarray, cfg: FeatureConfig | None = None) -> np.ndarray:
    """A fixed-size log-mel image: ``n_mels`` x ``image_frames`` (128 x 188, 3.0 s), dB.

    Longer clips are cropped around their middle; shorter ones are padded on both sides
    with the clip's own floor value (its quietest dB level), so padding looks like
    silence. ``float32``, not rescaled (a model normalises it).

    Notebook: 07_cnn.ipynb, 08_resnet_transfer.ipynb
    """
    s = _spectra(y, cfg)
    lm = s.log_mel
    return np.ascontiguousarray(_fix_frames(lm, s.cfg.image_frames, float(lm.min())),
                                dtype=np.float32)


def mfcc_sequence(y: np.ndarray, cfg: FeatureConfig | None = None) -> np.ndarray:
    """MFCCs as a fixed-length sequence: ``sequence_frames`` x ``n_mfcc`` (188 x 40).

    Time runs along the first axis (as Keras recurrent layers expect). Longer clips are
    cropped around their middle; shorter ones are padded on both sides with zeros, so a
    ``keras.layers.Masking(mask_value=0.0)`` can skip the padding.

    Notebook: 07_cnn.ipynb
    """
    s = _spectra(y, cfg)
    return np.ascontiguousarray(_fix_frames(s.mfcc, s.cfg.sequence_frames, 0.0).T,
                                dtype=np.float32)


#: Feature kinds by name: each maps ``(y, cfg)`` (or a :class:`Spectra`) to an array.
FEATURE_KINDS: dict[str, Callable[..., np.ndarray]] = {
    "seed180": seed_vector,
    "stats": stats_vector,
    "mfcc40": mfcc_means,
    "logmel": logmel_image,
    "mfcc_seq": mfcc_sequence,
}


def feature_shape(kind: str, cfg: FeatureConfig | None = None) -> tuple[int, ...]:
    """Shape of one clip's ``kind`` features under ``cfg`` (without computing any).

    Notebook: 06_mlp_grid_search.ipynb
    """
    cfg = cfg or DEFAULT
    shapes = {
        "seed180": (cfg.n_mfcc + cfg.n_chroma + cfg.n_mels,),
        "stats": (len(stats_feature_names(cfg)),),
        "mfcc40": (cfg.n_mfcc,),
        "logmel": (cfg.n_mels, cfg.image_frames),
        "mfcc_seq": (cfg.sequence_frames, cfg.n_mfcc),
    }
    for name, names in _EXTRA_NAMES.items():
        shapes[name] = (len(names(cfg)),)
    if kind not in shapes:
        raise ValueError(f"unknown feature kind {kind!r}; choose one of {sorted(FEATURE_KINDS)}.")
    return shapes[kind]


def kind_parts(feature_kind: str) -> tuple[str, ...]:
    """The feature kinds of a model's input: ``"logmel+mfcc_seq"`` gives two inputs, but a
    name that is itself a kind (``"stats+voice"``, one concatenated vector) gives one.

    Notebook: 06_mlp_grid_search.ipynb
    """
    if feature_kind in FEATURE_KINDS:
        return (feature_kind,)
    return tuple(feature_kind.split("+"))


def feature_names(kind: str, cfg: FeatureConfig | None = None) -> list[str] | None:
    """Names of the values of a clip-vector kind (``stats``, ``voice``, ``stats+voice``),
    None for kinds whose values have no names of their own.

    Notebook: 05_voice.ipynb
    """
    if kind == "stats":
        return stats_feature_names(cfg)
    names = _EXTRA_NAMES.get(kind)
    return names(cfg) if names is not None else None


def kind_version(kind: str) -> int | None:
    """The code version of a kind added by another module (part of its cache folder), or
    None for the kinds defined here (their version is :data:`FEATURE_VERSION`)."""
    return _KIND_VERSIONS.get(kind)


def compute(y: np.ndarray, kinds, cfg: FeatureConfig | None = None) -> dict[str, np.ndarray]:
    """Several feature kinds of one signal from one STFT: ``{kind: array}``.

    Notebook: 06_mlp_grid_search.ipynb
    """
    if isinstance(kinds, str):
        kinds = [kinds]
    for k in kinds:
        if k not in FEATURE_KINDS:
            raise ValueError(f"unknown feature kind {k!r}; choose one of {sorted(FEATURE_KINDS)}.")
    s = _spectra(y, cfg)
    return {k: FEATURE_KINDS[k](s) for k in kinds}


# The voice kinds live in their own module, which builds on this one and adds its kinds
# to FEATURE_KINDS, _EXTRA_NAMES and _KIND_VERSIONS when it has loaded (imported last, so
# that everything it needs from here exists, whichever of the two is imported first).
_EXTRA_NAMES: dict[str, Callable[..., list]] = {}
_KIND_VERSIONS: dict[str, int] = {}
from serlib import voice as _voice  # noqa: E402,F401
