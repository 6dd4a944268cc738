"""Data augmentation for training sets: noise, pitch, tempo, SpecAugment masks.

Augmentation makes new *training* examples that keep the emotion label: the same
sentence a little noisier, a semitone higher, ten per cent faster, or with a few
frequency bands and time stretches of its spectrogram hidden. It must never touch the
validation or test clips - a test score on augmented test clips measures something
else - so every function here takes training data only:

* waveform level: :func:`add_noise`, :func:`pitch_shift`, :func:`time_stretch`,
  combined at random by :func:`augment_signal`; :func:`augmented_features` turns
  training clips into features of augmented copies.
* spectrogram level: :func:`spec_augment` (NumPy, for looking at it); inside the
  networks the same masks come from :class:`serlib.models.layers.SpecAugment`, which
  Keras applies only while training.

Notebook: 07_cnn.ipynb
"""
from __future__ import annotations

import numpy as np

from serlib.config import SAMPLE_RATE


def _rng(rng) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def add_noise(y: np.ndarray, snr_db: float = 20.0, rng=None) -> np.ndarray:
    """``y`` plus white Gaussian noise at a signal-to-noise ratio of ``snr_db`` decibels.

    The noise power is the signal's mean power divided by ``10 ** (snr_db / 10)``.

    Notebook: 07_cnn.ipynb
    """
    y = np.asarray(y, dtype=np.float32)
    power = float(np.mean(y.astype(np.float64) ** 2))
    if power == 0.0:
        return y.copy()
    noise = _rng(rng).normal(0.0, np.sqrt(power / 10 ** (snr_db / 10)), size=y.shape)
    return (y + noise).astype(np.float32)


def pitch_shift(y: np.ndarray, semitones: float, sr: int = SAMPLE_RATE) -> np.ndarray:
    """``y`` shifted by ``semitones`` (same length, same tempo), via librosa.

    Notebook: 07_cnn.ipynb
    """
    import librosa

    if semitones == 0:
        return np.asarray(y, dtype=np.float32).copy()
    return librosa.effects.pitch_shift(y=np.asarray(y, dtype=np.float32), sr=sr,
                                       n_steps=float(semitones)).astype(np.float32)


def time_stretch(y: np.ndarray, rate: float) -> np.ndarray:
    """``y`` played ``rate`` times as fast (``rate`` > 1 shorter), pitch unchanged.

    Notebook: 07_cnn.ipynb
    """
    import librosa

    if rate <= 0:
        raise ValueError(f"rate must be positive, got {rate}")
    if rate == 1:
        return np.asarray(y, dtype=np.float32).copy()
    return librosa.effects.time_stretch(y=np.asarray(y, dtype=np.float32),
                                        rate=float(rate)).astype(np.float32)


def augment_signal(y: np.ndarray, rng=None, sr: int = SAMPLE_RATE,
                   snr_db=(15.0, 30.0), semitones=(-2.0, 2.0), rates=(0.9, 1.1),
                   p_noise: float = 0.5, p_pitch: float = 0.5,
                   p_stretch: float = 0.5) -> np.ndarray:
    """One random augmented copy of ``y``: each transform applied with its probability.

    Pitch shift by a uniform number of semitones in ``semitones``, time stretch by a rate
    in ``rates``, noise at an SNR in ``snr_db`` (applied last, so it is not stretched).

    Notebook: 07_cnn.ipynb
    """
    rng = _rng(rng)
    out = np.asarray(y, dtype=np.float32)
    if rng.random() < p_pitch:
        out = pitch_shift(out, rng.uniform(*semitones), sr)
    if rng.random() < p_stretch:
        out = time_stretch(out, rng.uniform(*rates))
    if rng.random() < p_noise:
        out = add_noise(out, rng.uniform(*snr_db), rng)
    return out


def augmented_features(train_clips, kind: str, copies: int = 1, seed: int = 0, cfg=None,
                       **augment_kwargs) -> np.ndarray:
    """Features of ``copies`` augmented versions of each *training* clip.

    ``train_clips`` is a table with a ``path`` column (or a list of paths) holding
    training clips only; rows come back clip by clip (copy 0 of clip 0, copy 1 of
    clip 0, ...), so the labels are ``np.repeat(y_train, copies)``. Not cached: the
    copies are random.

    Notebook: 07_cnn.ipynb
    """
    from serlib import audio, features

    paths = list(train_clips["path"]) if hasattr(train_clips, "columns") else list(train_clips)
    rng = np.random.default_rng(seed)
    func = features.FEATURE_KINDS[kind]
    out = []
    for p in paths:
        y = audio.load(p)
        for _ in range(int(copies)):
            out.append(func(augment_signal(y, rng, **augment_kwargs), cfg))
    return np.stack(out) if out else np.empty((0,))


def spec_augment(image: np.ndarray, rng=None, freq_masks: int = 2, freq_width: int = 12,
                 time_masks: int = 2, time_width: int = 20, fill: float | None = None) -> np.ndarray:
    """A copy of a (freq, time) image with random frequency bands and time stretches masked.

    ``fill`` defaults to the image's mean. The same masks, on normalised inputs and
    only during training, come from :class:`serlib.models.layers.SpecAugment`.

    Notebook: 07_cnn.ipynb
    """
    rng = _rng(rng)
    out = np.array(image, dtype=np.float32, copy=True)
    fill = float(out.mean()) if fill is None else float(fill)
    n_f, n_t = out.shape[:2]
    for _ in range(freq_masks):
        w = int(rng.integers(0, freq_width + 1))
        f0 = int(rng.integers(0, max(1, n_f - w)))
        out[f0:f0 + w, :] = fill
    for _ in range(time_masks):
        w = int(rng.integers(0, time_width + 1))
        t0 = int(rng.integers(0, max(1, n_t - w)))
        out[:, t0:t0 + w] = fill
    return out
