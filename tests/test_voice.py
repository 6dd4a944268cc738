"""Known answers for the voice parameters (serlib.voice, notebook 05_voice).

A synthetic vowel (:func:`serlib.voice.synthetic_vowel`: a glottal pulse train with set F0,
jitter and shimmer through resonators at set formant frequencies and bandwidths) must give
those values back within the tolerances stated here; a pure tone has no jitter; noise has
no voiced frame; a take without voice gives defined values and the flag, never NaN.

Tolerances, and why they are what they are:

* F0: within 1 % of the set value (the autocorrelation peak is interpolated; a 10-ms
  frame of a steady vowel leaves no room for more error).
* jitter (local): within 35 % of the realised value, or 0.1 percentage points - the
  periods are read from waveform peaks, which the formants' ringing moves a little.
* shimmer (local, dB): within 35 % - the peak-to-peak amplitude of a period includes the
  tail of the previous pulse's ringing, which evens out consecutive amplitudes (measured:
  the synthetic vowels come out 15-20 % low).
* formant frequencies: within 5 % for F1 >= 500 Hz; bandwidths within a factor of 2
  (LPC bandwidths of voiced speech are known to be rough: Rabiner & Schafer 1978, 8.9).
* HNR: within 2.5 dB of the signal-to-noise ratio of a vowel with added white noise.
"""
from __future__ import annotations

import numpy as np
import pytest

from serlib import audio, features, voice
from serlib.config import BUNDLED_DATA

NAMES = voice.voice_feature_names()
SR = 16000


def values(y) -> dict[str, float]:
    x = voice.voice_vector(y)
    assert x.shape == (len(NAMES),) and x.dtype == np.float32
    return dict(zip(NAMES, x.tolist()))


@pytest.mark.parametrize("f0, jitter, shimmer, formants_hz, bandwidths_hz", [
    (120.0, 0.010, 0.5, (700.0, 1220.0, 2600.0), (80.0, 90.0, 120.0)),    # a man's /a/
    (220.0, 0.020, 1.0, (850.0, 1600.0, 2900.0), (90.0, 100.0, 150.0)),   # a woman's /a/
    (100.0, 0.0, 0.0, (500.0, 1500.0, 2500.0), (60.0, 80.0, 100.0)),      # schwa, no jitter
])
def test_a_synthetic_vowel_gives_its_f0_jitter_shimmer_and_formants_back(
        f0, jitter, shimmer, formants_hz, bandwidths_hz):
    y, truth = voice.synthetic_vowel(f0, 1.5, jitter=jitter, shimmer_db=shimmer,
                                     formants_hz=formants_hz, bandwidths_hz=bandwidths_hz)
    track = voice.analyze_voice(y)
    assert track.voiced.mean() > 0.9
    assert np.median(track.f0_hz[track.voiced]) == pytest.approx(f0, rel=0.01)
    x = values(y)
    assert x["f0_st_mean"] == pytest.approx(12 * np.log2(f0 / 27.5), abs=0.2)
    assert x["jitter_local_mean"] == pytest.approx(truth["jitter"], rel=0.35, abs=0.001)
    assert x["shimmer_local_db_mean"] == pytest.approx(truth["shimmer_db"], rel=0.35, abs=0.02)
    for k in range(3):
        assert x[f"f{k + 1}_hz_mean"] == pytest.approx(formants_hz[k], rel=0.05)
        bw = x[f"f{k + 1}_bw_hz_mean"]
        assert bandwidths_hz[k] / 2 <= bw <= bandwidths_hz[k] * 2, (k, bw)
    assert x["no_voiced_frame"] == 0.0
    # one pulse per glottal cycle, give or take the stretch's edges
    assert abs(len(track.pulses["times"]) - len(truth["pulse_times"])) <= 5


def test_more_jitter_and_shimmer_read_higher():
    low = values(voice.synthetic_vowel(150, 1.5, jitter=0.005, shimmer_db=0.3)[0])
    high = values(voice.synthetic_vowel(150, 1.5, jitter=0.03, shimmer_db=1.5)[0])
    assert high["jitter_local_mean"] > 3 * low["jitter_local_mean"]
    assert high["shimmer_local_db_mean"] > 3 * low["shimmer_local_db_mean"]


@pytest.mark.parametrize("snr_db", [20.0, 10.0, 5.0])
def test_hnr_follows_the_signal_to_noise_ratio(snr_db):
    y, _ = voice.synthetic_vowel(140, 1.5, noise_db=snr_db)
    assert values(y)["hnr_db_mean"] == pytest.approx(snr_db, abs=2.5)


def test_a_pure_tone_has_no_jitter_or_shimmer_and_the_right_pitch():
    x = values(audio.tone(200.0, 1.5))
    assert x["jitter_local_mean"] < 1e-4
    assert x["shimmer_local_db_mean"] < 0.01
    assert x["f0_st_mean"] == pytest.approx(12 * np.log2(200 / 27.5), abs=0.05)
    assert x["f0_st_range20_80"] < 0.1
    assert x["hnr_db_mean"] > 25


def test_white_noise_has_no_voiced_frame():
    y = (0.1 * np.random.default_rng(1).standard_normal(2 * SR)).astype(np.float32)
    track = voice.analyze_voice(y)
    assert not track.voiced.any()
    assert values(y)["no_voiced_frame"] == 1.0


def _whisper() -> np.ndarray:
    """Noise through the formants of /a/ with a syllable's envelope: a whispered vowel."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(2)
    y = rng.standard_normal(SR)
    for F, B in ((700, 150), (1220, 200), (2600, 250)):
        r = np.exp(-np.pi * B / SR)
        a = [1, -2 * r * np.cos(2 * np.pi * F / SR), r * r]
        y = lfilter([sum(a)], a, y)
    y *= np.hanning(len(y))
    return np.concatenate([np.zeros(SR // 4), 0.3 * y / np.abs(y).max(), np.zeros(SR // 4)])


def _cough() -> np.ndarray:
    """A 150-ms burst of noise with a sharp attack and exponential decay."""
    rng = np.random.default_rng(3)
    n = int(0.15 * SR)
    burst = rng.standard_normal(n) * np.exp(-np.arange(n) / (0.03 * SR))
    return np.concatenate([np.zeros(SR // 2), 0.8 * burst / np.abs(burst).max(), np.zeros(SR // 2)])


@pytest.mark.parametrize("make", [_whisper, _cough, lambda: np.zeros(SR)],
                         ids=["whisper", "cough", "silence"])
def test_a_take_without_voice_gives_defined_values_and_the_flag(make):
    y = make().astype(np.float32)
    x = voice.voice_vector(y)
    assert np.all(np.isfinite(x))
    d = dict(zip(NAMES, x.tolist()))
    assert d["no_voiced_frame"] == 1.0
    assert d["f0_st_mean"] == 0.0 and d["jitter_local_mean"] == 0.0
    assert d["voiced_segments_per_s"] == 0.0


def test_a_very_short_clip_gives_finite_values():
    x = voice.voice_vector(audio.tone(150.0, 0.08))
    assert x.shape == (len(NAMES),) and np.all(np.isfinite(x))


def test_stats_voice_is_stats_then_voice_from_one_stft():
    y = audio.load(BUNDLED_DATA / "ravdess" / "Actor_05" / "03-01-05-01-01-01-05.flac")
    both = features.compute(y, ["stats", "voice", "stats+voice"])
    np.testing.assert_array_equal(both["stats+voice"], np.concatenate([both["stats"], both["voice"]]))
    assert features.feature_shape("voice") == (89,)
    assert features.feature_shape("stats+voice") == (234 + 89,)
    assert features.feature_names("stats+voice") == features.stats_feature_names() + NAMES
    assert features.kind_parts("stats+voice") == ("stats+voice",)
    assert features.kind_parts("logmel+mfcc_seq") == ("logmel", "mfcc_seq")


def test_a_real_clip_has_plausible_voice_values():
    """An angry RAVDESS sentence by a man (actor 5): pitch, formants and rates in the ranges
    phonetics textbooks give for adult male speech."""
    y = audio.load(BUNDLED_DATA / "ravdess" / "Actor_05" / "03-01-05-01-01-01-05.flac")
    x = values(y)
    f0 = 27.5 * 2 ** (x["f0_st_p50"] / 12)
    assert 80 < f0 < 300
    assert 300 < x["f1_hz_mean"] < 900 and 1000 < x["f2_hz_mean"] < 2200
    assert 1 < x["voiced_segments_per_s"] < 10
    assert 0 < x["jitter_local_mean"] < 0.1 and 0 < x["shimmer_local_db_mean"] < 3
    assert x["no_voiced_frame"] == 0.0


def test_the_voice_cache_folder_carries_the_voice_version(tmp_path, monkeypatch):
    from serlib import extract

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert f"voice-v{voice.VOICE_VERSION}-" in extract.cache_folder("voice").name
    assert f"stats+voice-v{voice.VOICE_VERSION}-" in extract.cache_folder("stats+voice").name
    assert extract.cache_folder("stats").name.startswith("stats-")


def test_sma3_averages_three_frames_and_never_across_a_gap():
    x = np.array([0.0, 3.0, 0.0, 9.0, 6.0, 3.0])
    mask = np.array([True, True, True, False, True, True])
    out = voice.sma3(x, mask)
    np.testing.assert_allclose(out, [1.5, 1.0, 1.5, 9.0, 4.5, 4.5])
    np.testing.assert_allclose(voice.sma3(np.ones(5)), np.ones(5))


def test_evaluate_feeds_a_classical_model_the_voice_kind():
    from serlib.errors import SerlibError
    from serlib.evaluation import evaluate

    r = evaluate("logreg", train="ravdess", protocol="speaker", folds=2,
                 emotions="neutral,happy,sad,angry", speaker_norm=True, features="voice",
                 model_params={"n_jobs": 1})
    assert r["features"] == "voice" and "--features voice" in r["command"]
    assert 0.25 < r["uar"] <= 1.0  # above chance on the bundled sample's unseen actors
    with pytest.raises(SerlibError, match="classical"):
        evaluate("cnn2d", train="ravdess", features="voice")
    with pytest.raises(SerlibError, match="non-vector"):
        evaluate("logreg", train="ravdess", features="logmel")


def test_the_readme_voice_table_is_results_voice_loco_json():
    """The README's leave-one-corpus-out table carries exactly the committed results."""
    import json
    import re

    from serlib import config

    loco = json.loads((config.REPO_DIR / "results" / "voice" / "loco.json").read_text())
    text = (config.REPO_DIR / "README.md").read_text(encoding="utf-8")
    start = text.index("### Voice parameters across corpora")
    section = text[start:text.index("\n#", start + 10)]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.match(r"^[\d.]+ / ", cells[1]):
            rows[cells[0].split(" (")[0]] = cells
    assert set(rows) == {"stats", "voice", "stats+voice", "eGeMAPSv02"}
    for name, cells in rows.items():
        key = "egemaps" if name == "eGeMAPSv02" else name
        for col, model in ((1, "logreg"), (3, "svm")):
            r = loco["results"][key][model]
            assert cells[col] == " / ".join(f"{r[c]:.1f}" for c in ("ravdess", "tess", "emodb")), (name, model)
            assert cells[col + 1] == f"{r['mean']:.1f}", (name, model)
