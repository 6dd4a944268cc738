"""serlib.predict: known answers on synthetic tones, the shipped model on real clips."""
from __future__ import annotations

import numpy as np
import pytest

from serlib import audio
from serlib.config import SAMPLE_RATE
from serlib.errors import AudioError, ModelError
from serlib.predict import Prediction, load_model, predict_file, predict_signal


def noisy_tone(freq, seconds=1.5, sr=SAMPLE_RATE, seed=1):
    """A tone plus faint white noise (as in training), float32."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    return (0.3 * np.sin(2 * np.pi * freq * t) + rng.normal(0, 0.01, t.size)).astype(np.float32)


def tone_burst(freq, seconds=1.5, sr=SAMPLE_RATE, seed=1):
    """:func:`noisy_tone` between 0.4 s of the faint noise alone: a sound that starts and
    stops, as speech does (a steady tone is refused as "no speech heard")."""
    rng = np.random.default_rng(seed + 1)
    pad = rng.normal(0, 0.01, int(0.4 * sr)).astype(np.float32)
    return np.concatenate([pad, noisy_tone(freq, seconds, sr, seed), pad])


@pytest.fixture(scope="module")
def tone_model(tmp_path_factory):
    """A logistic regression that learned: low hum = 'sad', high whistle = 'happy'.

    Trained on stats features of synthetic tones, saved and loaded again, so the test
    goes through the same save/load path as a real model.
    """
    from serlib import features
    from serlib.models import io, registry

    rng = np.random.default_rng(0)
    X, y, g = [], [], []
    for i in range(12):
        for label, f0 in (("sad", 110.0), ("happy", 880.0)):
            freq = f0 * (1 + 0.1 * rng.uniform(-1, 1))
            sig = tone_burst(freq, 1.0, seed=int(rng.integers(1 << 30)))
            X.append(features.stats_vector(sig))
            y.append(label)
            g.append(f"spk-{i % 4}")
    model = registry.get("logreg").build().fit(np.array(X), np.array(y), groups=np.array(g))
    path = tmp_path_factory.mktemp("model") / "tones.skops"
    io.save(model, path, command="test")
    return load_model(path)


def test_predict_signal_knows_a_low_from_a_high_tone(tone_model):
    low = predict_signal(tone_model, tone_burst(100.0))
    high = predict_signal(tone_model, tone_burst(900.0))
    assert isinstance(low, Prediction)
    assert low.emotion == "sad" and high.emotion == "happy"
    assert set(low.probabilities) == {"sad", "happy"}
    assert sum(low.probabilities.values()) == pytest.approx(1.0)
    assert low.probabilities["sad"] > 0.5
    assert low.top(1)[0][0] == "sad"


def test_predict_signal_resamples_other_rates(tone_model):
    y16 = tone_burst(900.0)
    y44 = audio.resample(y16, SAMPLE_RATE, 44100)
    p16 = predict_signal(tone_model, y16)
    p44 = predict_signal(tone_model, y44, sr=44100)
    assert p44.emotion == p16.emotion == "happy"
    assert p44.probabilities["happy"] > 0.5
    stereo = np.stack([y44, y44], axis=1)
    assert predict_signal(tone_model, stereo, sr=44100).emotion == "happy"


def test_predict_file_any_format(tone_model, tmp_path):
    path = tmp_path / "hum.wav"
    audio.save(path, tone_burst(105.0, 2.0))
    pred = predict_file(tone_model, path)
    assert pred.file == str(path) and pred.emotion == "sad"
    d = pred.to_dict()
    assert set(d) == {"file", "emotion", "probabilities"}


def test_bad_signals_raise_audio_error(tone_model, tmp_path):
    with pytest.raises(AudioError, match="empty"):
        predict_signal(tone_model, np.zeros(0, np.float32))
    with pytest.raises(AudioError, match="NaN"):
        predict_signal(tone_model, np.full(16000, np.nan, np.float32))
    bad = tmp_path / "text.wav"
    bad.write_text("hello")
    with pytest.raises(AudioError):
        predict_file(tone_model, bad)


def test_load_model_missing_file(tmp_path):
    with pytest.raises(ModelError, match="serlib train"):
        load_model(tmp_path / "nothing.skops")


def test_shipped_model_predicts_a_sample_clip(sample_root):
    model = load_model()
    assert model.feature_kind in ("stats", "seed180")
    assert len(model.emotions) == 8
    assert set(model.emotions) == {"neutral", "calm", "happy", "sad", "angry", "fearful",
                                   "disgust", "surprised"}
    clip = sorted((sample_root / "ravdess").glob("Actor_*/*.flac"))[0]
    pred = predict_file(model, clip)
    assert pred.emotion in model.emotions
    assert sum(pred.probabilities.values()) == pytest.approx(1.0, abs=1e-6)
    meta = model.metadata
    assert meta["command"].startswith("serlib train")
    assert "/work/" not in str(meta) and "/root/" not in str(meta)


def test_shipped_model_recognises_angry_clips(sample_root):
    """On the sample's angry clips the shipped model is right far above chance (1/8)."""
    from serlib.datasets import load_corpus

    table = load_corpus("ravdess", sample_root)
    angry = table[table["emotion"] == "angry"].head(12)
    model = load_model()
    hits = sum(predict_file(model, p).emotion == "angry" for p in angry["path"])
    assert hits >= 6
