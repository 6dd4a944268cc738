"""serlib.features: every feature from one STFT, checked against librosa's reference.

Stated tolerances (float32 arithmetic; measured errors are 10-1000x smaller):

- |STFT| and the mel spectrogram (power): max abs difference <= 1e-5 x the maximum;
- log-mel: <= 1e-3 dB; MFCC: <= 2e-3 absolute (coefficients range over hundreds);
- chroma: <= 1e-5 absolute (values in [0, 1]);
- frame RMS, spectral centroid, bandwidth, flatness: <= 1e-4 relative (+ small absolute).

And with known answers: a 440 Hz tone's chroma peaks at A, a tone's energy lands in the
mel band centred nearest to it, YIN finds a tone's pitch.
"""
from __future__ import annotations

import dataclasses
import subprocess
import sys

import librosa
import numpy as np
import pytest

from serlib import audio, features
from serlib.errors import AudioError
from serlib.features import FEATURE_KINDS, FeatureConfig

CFG = FeatureConfig()
LIBROSA = dict(sr=16000, n_fft=1024, hop_length=256)
MEL = dict(LIBROSA, n_mels=128, fmin=0.0, fmax=8000.0)


@pytest.fixture(scope="module")
def clip(sample_root):
    """A real RAVDESS clip from the bundled sample, loaded at 16 kHz."""
    clips = sorted((sample_root / "ravdess").glob("Actor_*/03-01-05-*.flac"))
    if not clips:
        pytest.skip("the bundled RAVDESS sample (data/ravdess) is not there")
    return audio.load(clips[0])


def _signals(clip):
    noise = np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32)
    return {"clip": clip, "tone440": audio.tone(440, 1.0), "noise": noise,
            "chirp": librosa.chirp(fmin=100, fmax=6000, sr=16000, duration=1.5).astype(np.float32)}


def _rel(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


# ------------------------------------------------------------------ agreement with librosa
@pytest.mark.parametrize("name", ["clip", "tone440", "noise", "chirp"])
def test_spectra_match_librosa(clip, name):
    y = _signals(clip)[name]
    s = features.analyze(y, CFG)
    ref_mag = np.abs(librosa.stft(y, n_fft=1024, hop_length=256))
    assert s.magnitude.shape == ref_mag.shape
    assert _rel(s.magnitude, ref_mag) <= 1e-5

    ref_mel = librosa.feature.melspectrogram(y=y, **MEL)
    assert _rel(s.mel, ref_mel) <= 1e-5
    assert np.max(np.abs(s.log_mel - librosa.power_to_db(ref_mel))) <= 1e-3

    ref_mfcc = librosa.feature.mfcc(y=y, n_mfcc=40, **MEL)
    assert s.mfcc.shape == (40, ref_mag.shape[1])
    assert np.max(np.abs(s.mfcc - ref_mfcc)) <= 2e-3

    ref_chroma = librosa.feature.chroma_stft(S=ref_mag, sr=16000, tuning=0.0)
    assert np.max(np.abs(s.chroma - ref_chroma)) <= 1e-5

    # librosa's rms(S=...) is the RMS of the windowed frame; serlib undoes the window
    window_rms = np.sqrt(np.mean(np.hanning(1025)[:-1] ** 2))
    ref_rms = librosa.feature.rms(S=ref_mag, frame_length=1024, hop_length=256)[0] / window_rms
    np.testing.assert_allclose(s.rms, ref_rms, rtol=1e-4, atol=1e-7)
    assert s.times == pytest.approx(librosa.frames_to_time(np.arange(s.n_frames), sr=16000,
                                                           hop_length=256))


def test_estimated_tuning_matches_librosa_default(clip):
    """``tuning=None`` reproduces chroma_stft's own per-clip tuning estimate."""
    s = features.analyze(clip, CFG.replace(tuning=None))
    ref_mag = np.abs(librosa.stft(clip, n_fft=1024, hop_length=256))
    ref = librosa.feature.chroma_stft(S=ref_mag, sr=16000)
    assert np.max(np.abs(s.chroma - ref)) <= 1e-4


def test_power_chroma_matches_chroma_stft_from_signal(clip):
    s = features.analyze(clip, CFG.replace(chroma_power=2.0))
    ref = librosa.feature.chroma_stft(y=clip, tuning=0.0, **LIBROSA)
    assert np.max(np.abs(s.chroma - ref)) <= 1e-5


def test_other_settings_follow_librosa(clip):
    cfg = CFG.replace(n_fft=512, hop_length=160, n_mels=40, n_mfcc=13, fmin=50.0, fmax=7600.0)
    s = features.analyze(clip, cfg)
    ref = librosa.feature.mfcc(y=clip, sr=16000, n_fft=512, hop_length=160, n_mels=40,
                               n_mfcc=13, fmin=50.0, fmax=7600.0)
    assert s.mfcc.shape == ref.shape
    assert np.max(np.abs(s.mfcc - ref)) <= 2e-3


def test_spectral_shape_features_match_librosa(clip):
    s = features.analyze(clip, CFG)
    v = dict(zip(features.stats_feature_names(), features.stats_vector(s)))
    S = np.abs(librosa.stft(clip, n_fft=1024, hop_length=256))
    centroid = librosa.feature.spectral_centroid(S=S, sr=16000)[0]
    bandwidth = librosa.feature.spectral_bandwidth(S=S, sr=16000)[0]
    flatness = librosa.feature.spectral_flatness(S=S, power=2.0)[0]
    rolloff = librosa.feature.spectral_rolloff(S=S, sr=16000, roll_percent=0.85)[0]
    loud = S.sum(axis=0) > 1e-6  # librosa and serlib treat all-zero frames differently
    if loud.all():
        assert v["centroid_hz_mean"] == pytest.approx(centroid.mean(), rel=1e-4)
        assert v["bandwidth_hz_mean"] == pytest.approx(bandwidth.mean(), rel=1e-3)
        assert v["flatness_mean"] == pytest.approx(flatness.mean(), rel=1e-3, abs=1e-6)
    assert v["rolloff_hz_mean"] == pytest.approx(rolloff.mean(), rel=0.02)
    zcr = librosa.feature.zero_crossing_rate(clip, frame_length=1024, hop_length=256)[0]
    assert v["zcr_mean"] == pytest.approx(zcr.mean(), rel=0.05)


# ------------------------------------------------------------------ known answers
@pytest.mark.parametrize("freq,name", [(440.0, "A"), (261.63, "C"), (329.63, "E"), (880.0, "A")])
def test_tone_chroma_peaks_at_its_pitch_class(freq, name):
    c = features.chroma(audio.tone(freq, 1.0))
    assert features.CHROMA_NAMES[int(np.argmax(c.mean(axis=1)))] == name
    assert c.max() == pytest.approx(1.0)


@pytest.mark.parametrize("freq", [150.0, 500.0, 1000.0, 3000.0, 6000.0])
def test_tone_energy_lands_in_its_mel_band(freq):
    mel = features.mel_spectrogram(audio.tone(freq, 1.0))
    band = int(np.argmax(mel.mean(axis=1)))
    centres = features.mel_frequencies()
    assert abs(band - int(np.argmin(np.abs(centres - freq)))) <= 1
    # nearly all the energy is within two bands of the peak
    share = mel.mean(axis=1)[max(0, band - 2): band + 3].sum() / mel.mean(axis=1).sum()
    assert share > 0.95


def test_stats_of_a_tone_have_known_values():
    y = audio.tone(220.0, 1.0)
    v = dict(zip(features.stats_feature_names(), features.stats_vector(y)))
    assert v["pitch_hz_mean"] == pytest.approx(220.0, abs=2.0)
    assert v["pitch_hz_std"] < 2.0
    assert v["voiced_fraction"] > 0.9
    assert v["zcr_mean"] == pytest.approx(2 * 220 / 16000, rel=0.1)
    assert v["centroid_hz_mean"] == pytest.approx(220.0, rel=0.25)
    assert v["flatness_mean"] < 0.01
    assert v["rms_db_max"] == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.5)
    noise = np.random.default_rng(1).uniform(-0.5, 0.5, 16000).astype(np.float32)
    vn = dict(zip(features.stats_feature_names(), features.stats_vector(noise)))
    assert vn["flatness_mean"] > 0.3
    assert vn["centroid_hz_mean"] == pytest.approx(4000, rel=0.05)


def test_silence_gives_finite_features():
    y = np.zeros(16000, np.float32)
    for kind, fn in FEATURE_KINDS.items():
        assert np.all(np.isfinite(fn(y, CFG))), kind


# ------------------------------------------------------------------ clip-level kinds
def test_seed_vector_layout_equals_seed_style_librosa_code(clip):
    v = features.seed_vector(clip, CFG)
    assert v.shape == (180,) and v.dtype == np.float32
    mfccs = librosa.feature.mfcc(y=clip, n_mfcc=40, **MEL).mean(axis=1)
    chroma = librosa.feature.chroma_stft(S=np.abs(librosa.stft(clip, n_fft=1024, hop_length=256)),
                                         sr=16000, tuning=0.0).mean(axis=1)
    mel = librosa.feature.melspectrogram(y=clip, **MEL).mean(axis=1)
    assert np.max(np.abs(v[:40] - mfccs)) <= 2e-3
    assert np.max(np.abs(v[40:52] - chroma)) <= 1e-5
    assert _rel(v[52:], mel) <= 1e-5
    assert np.array_equal(features.mfcc_means(clip, CFG), v[:40])


def test_every_kind_has_its_declared_shape(clip):
    short = audio.tone(300, 0.5)
    for kind, fn in FEATURE_KINDS.items():
        for y in (clip, short):
            x = fn(y, CFG)
            assert x.dtype == np.float32, kind
            assert x.shape == features.feature_shape(kind, CFG), kind
    assert set(FEATURE_KINDS) == {"seed180", "stats", "mfcc40", "logmel", "mfcc_seq", "voice",
                                  "stats+voice"}
    assert len(features.stats_feature_names()) == features.feature_shape("stats")[0]
    assert len(set(features.stats_feature_names())) == len(features.stats_feature_names())
    with pytest.raises(ValueError, match="unknown feature kind"):
        features.feature_shape("nope")


def test_logmel_image_crops_long_clips_in_the_middle(clip):
    s = features.analyze(clip, CFG)
    assert s.n_frames > CFG.image_frames  # RAVDESS clips are longer than 3 s
    img = features.logmel_image(s)
    start = (s.n_frames - CFG.image_frames) // 2
    assert img.shape == (128, 188) and img.dtype == np.float32
    assert np.array_equal(img, s.log_mel[:, start:start + 188])
    seq = features.mfcc_sequence(s)
    assert seq.shape == (188, 40)
    assert np.array_equal(seq, s.mfcc[:, start:start + 188].T)


def test_short_clips_are_padded_centred():
    y = audio.tone(500, 1.0)  # 63 frames
    s = features.analyze(y, CFG)
    n = s.n_frames
    img = features.logmel_image(s)
    start = (188 - n) // 2
    assert np.array_equal(img[:, start:start + n], s.log_mel)
    assert np.all(img[:, :start] == s.log_mel.min())
    assert np.all(img[:, start + n:] == s.log_mel.min())
    seq = features.mfcc_sequence(s)
    assert np.array_equal(seq[start:start + n], s.mfcc.T)
    assert np.all(seq[:start] == 0) and np.all(seq[start + n:] == 0)


def test_compute_several_kinds_from_one_stft(clip, monkeypatch):
    calls = []
    real = features.stft_magnitude

    def counting(y, cfg):
        calls.append(1)
        return real(y, cfg)

    monkeypatch.setattr(features, "stft_magnitude", counting)
    monkeypatch.setattr(librosa, "stft", lambda *a, **k: pytest.fail("librosa.stft was called"))
    out = features.compute(clip, list(FEATURE_KINDS), CFG)
    assert len(calls) == 1
    assert set(out) == set(FEATURE_KINDS)
    monkeypatch.undo()
    assert np.array_equal(out["seed180"], features.seed_vector(clip, CFG))


def test_analyze_rejects_non_mono_input():
    with pytest.raises(AudioError, match="mono"):
        features.analyze(np.zeros((2, 16000), np.float32))


# ------------------------------------------------------------------ config key
def test_key_is_stable_and_covers_every_field(monkeypatch):
    key = CFG.key()
    assert key == FeatureConfig().key() and len(key) == 16
    # the same in a fresh interpreter (no dependence on hash randomisation)
    code = "from serlib.features import FeatureConfig; print(FeatureConfig().key())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == key
    seen = {key}
    for f in dataclasses.fields(FeatureConfig):
        value = getattr(CFG, f.name)
        if isinstance(value, bool):
            new = not value
        elif isinstance(value, str):
            new = value + "x"
        elif value is None:
            new = 0.5
        else:
            new = value + 1
        k = CFG.replace(**{f.name: new}).key()
        assert k not in seen, f.name
        seen.add(k)
    monkeypatch.setattr(features, "FEATURE_VERSION", features.FEATURE_VERSION + 1)
    assert FeatureConfig().key() != key
