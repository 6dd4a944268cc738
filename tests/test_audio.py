"""serlib.audio: one loader for every format/rate/channel layout, clear errors, signal helpers.

Files are written on purpose in each test (stereo, 96 kHz, 8 kHz 8-bit, float, 24-bit,
OGG, empty, truncated, text named .wav, too short) and checked against what they hold:
a 440 Hz tone of known amplitude.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import soundfile as sf

from serlib import audio
from serlib.config import SAMPLE_RATE
from serlib.errors import AudioError, SerlibError


@pytest.fixture
def sample_clip(sample_root):
    """One real RAVDESS clip from the bundled sample (an angry sentence)."""
    clips = sorted((sample_root / "ravdess").glob("Actor_*/03-01-05-*.flac"))
    if not clips:
        pytest.skip("the bundled RAVDESS sample (data/ravdess) is not there")
    return clips[0]


def _sine(freq, seconds, sr, amp=0.5):
    t = np.arange(int(round(seconds * sr))) / sr
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float64)


def _peak_freq(y, sr=SAMPLE_RATE):
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return np.fft.rfftfreq(len(y), 1 / sr)[np.argmax(spec)]


def _amplitude(y):
    """Amplitude of a sine from its RMS (robust to resampling ripples at the edges)."""
    core = y[len(y) // 10: -len(y) // 10]
    return math.sqrt(2) * float(np.sqrt(np.mean(core.astype(np.float64) ** 2)))


# ------------------------------------------------------------------ formats and rates
FORMATS = [
    # name, sample rate, subtype, extension, format
    ("wav-16bit-16k", 16000, "PCM_16", "wav", None),
    ("wav-24bit-96k", 96000, "PCM_24", "wav", None),
    ("wav-8bit-unsigned-8k", 8000, "PCM_U8", "wav", None),
    ("wav-32bit-int-44k", 44100, "PCM_32", "wav", None),
    ("wav-float32-22k", 22050, "FLOAT", "wav", None),
    ("wav-float64-48k", 48000, "DOUBLE", "wav", None),
    ("flac-24bit-48k", 48000, "PCM_24", "flac", None),
    ("flac-8bit-signed-32k", 32000, "PCM_S8", "flac", None),
    ("ogg-vorbis-44k", 44100, "VORBIS", "ogg", "OGG"),
]


@pytest.mark.parametrize("name,sr,subtype,ext,fmt", FORMATS, ids=[f[0] for f in FORMATS])
def test_load_any_format_gives_mono_float32_at_16k(tmp_path, name, sr, subtype, ext, fmt):
    path = tmp_path / f"{name}.{ext}"
    sf.write(path, _sine(440, 1.0, sr), sr, subtype=subtype, format=fmt)
    y = audio.load(path)
    assert y.dtype == np.float32 and y.ndim == 1
    assert abs(len(y) - SAMPLE_RATE) <= 1
    assert _peak_freq(y) == pytest.approx(440, abs=2)
    # 8-bit and Vorbis are lossy or coarse; the others keep the amplitude closely
    tol = 0.03 if subtype in ("PCM_U8", "PCM_S8", "VORBIS") else 0.005
    assert _amplitude(y) == pytest.approx(0.5, abs=tol)


def test_stereo_is_averaged_not_first_channel(tmp_path):
    sr = 48000
    left, right = _sine(440, 1.0, sr, 0.6), _sine(440, 1.0, sr, 0.2)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), sr, subtype="PCM_16")
    y = audio.load(path)
    assert y.ndim == 1 and len(y) == SAMPLE_RATE
    assert _amplitude(y) == pytest.approx(0.4, abs=0.005)


def test_resampling_removes_content_above_the_new_nyquist(tmp_path):
    """A 96 kHz file with a 1 kHz and a 20 kHz tone: at 16 kHz only 1 kHz may remain
    (a naive decimation would fold 20 kHz down to 4 kHz)."""
    sr = 96000
    path = tmp_path / "two_tones_96k.wav"
    sf.write(path, _sine(1000, 1.0, sr, 0.4) + _sine(20000, 1.0, sr, 0.4), sr, subtype="PCM_24")
    y = audio.load(path)
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    freqs = np.fft.rfftfreq(len(y), 1 / SAMPLE_RATE)
    at = lambda f: spec[np.argmin(np.abs(freqs - f))]  # noqa: E731
    assert at(1000) > 1000 * at(4000)


def test_sr_none_keeps_native_rate_and_other_rates_work(tmp_path):
    path = tmp_path / "t.flac"
    sf.write(path, _sine(300, 0.5, 22050), 22050)
    assert len(audio.load(path, sr=None)) == 11025
    y8 = audio.load(path, sr=8000)
    assert len(y8) == 4000 and _peak_freq(y8, 8000) == pytest.approx(300, abs=3)


def test_real_sample_clip(sample_clip):
    y = audio.load(sample_clip)
    info = audio.info(sample_clip)
    assert y.dtype == np.float32 and y.ndim == 1
    assert len(y) == pytest.approx(info.seconds * SAMPLE_RATE, abs=2)
    assert 0.01 < np.abs(y).max() <= 1.0
    assert not audio.is_silent(y)


# ------------------------------------------------------------------ bad input
def _assert_audio_error(path, *words):
    with pytest.raises(AudioError) as err:
        audio.load(path)
    msg = str(err.value)
    assert str(path) in msg, msg
    for w in words:
        assert w.lower() in msg.lower(), msg
    assert isinstance(err.value, SerlibError)
    return msg


def test_missing_file(tmp_path):
    _assert_audio_error(tmp_path / "nope.wav", "not found", "check the path")


def test_folder_instead_of_file(tmp_path):
    _assert_audio_error(tmp_path, "not a file")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    _assert_audio_error(path, "empty", "0 bytes", "again")


@pytest.mark.parametrize("ext,keep", [("wav", 30), ("flac", 20), ("ogg", 20)])
def test_truncated_header(tmp_path, ext, keep):
    good = tmp_path / f"good.{ext}"
    sf.write(good, _sine(440, 1.0, 16000), 16000)
    bad = tmp_path / f"cut.{ext}"
    bad.write_bytes(good.read_bytes()[:keep])
    _assert_audio_error(bad, "truncated or corrupt", "again")


def test_truncated_data_too_short_says_truncated(tmp_path):
    good = tmp_path / "good.wav"
    sf.write(good, _sine(440, 1.0, 16000), 16000)
    bad = tmp_path / "cut.wav"
    bad.write_bytes(good.read_bytes()[:200])  # header + 78 samples
    _assert_audio_error(bad, "too short", "truncated")


def test_text_file_named_wav(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("This is not a recording, just some notes.\n" * 5)
    _assert_audio_error(path, "text file", "not audio")


def test_binary_garbage_named_wav(tmp_path):
    path = tmp_path / "garbage.wav"
    path.write_bytes(bytes(range(256)) * 8)
    _assert_audio_error(path, "not a recognised audio file", "convert")


def test_zero_samples(tmp_path):
    path = tmp_path / "zero.wav"
    sf.write(path, np.zeros(0), 16000)
    _assert_audio_error(path, "no samples")


def test_shorter_than_one_frame(tmp_path):
    path = tmp_path / "short.wav"
    sf.write(path, _sine(440, 0.03, 16000), 16000)  # 30 ms < 64 ms
    msg = _assert_audio_error(path, "too short", "frame", "longer recording")
    assert str(audio.FRAME_LENGTH) in msg


def test_exactly_one_frame_is_enough_at_any_rate(tmp_path):
    ok16 = tmp_path / "one_frame_16k.wav"
    sf.write(ok16, _sine(440, audio.FRAME_LENGTH / 16000, 16000), 16000)
    assert len(audio.load(ok16)) == audio.FRAME_LENGTH
    short16 = tmp_path / "one_short_16k.wav"
    sf.write(short16, _sine(440, 1, 16000)[: audio.FRAME_LENGTH - 1], 16000)
    _assert_audio_error(short16, "too short")
    ok48 = tmp_path / "one_frame_48k.wav"
    sf.write(ok48, _sine(440, 1, 48000)[: 3 * audio.FRAME_LENGTH], 48000)
    assert len(audio.load(ok48)) == audio.FRAME_LENGTH
    assert len(audio.load(short16, min_seconds=0)) == audio.FRAME_LENGTH - 1


def test_rate_outside_supported_range(tmp_path):
    path = tmp_path / "4k.wav"
    sf.write(path, _sine(440, 1.0, 4000), 4000)
    _assert_audio_error(path, "outside the supported", "resample")


def test_nan_samples(tmp_path):
    path = tmp_path / "nan.wav"
    y = _sine(440, 1.0, 16000)
    y[100] = np.nan
    sf.write(path, y, 16000, subtype="FLOAT")
    _assert_audio_error(path, "nan")


def test_info_reads_header_and_rejects_bad_files(tmp_path):
    path = tmp_path / "s.wav"
    sf.write(path, np.zeros((24000, 2)), 48000, subtype="PCM_24")
    i = audio.info(path)
    assert (i.sample_rate, i.channels, i.frames, i.subtype) == (48000, 2, 24000, "PCM_24")
    assert i.seconds == pytest.approx(0.5)
    bad = tmp_path / "t.wav"
    bad.write_text("hello")
    with pytest.raises(AudioError, match="text file"):
        audio.info(bad)


# ------------------------------------------------------------------ helpers
def test_tone_frequency_amplitude_and_length():
    y = audio.tone(440, 0.5)
    assert y.dtype == np.float32 and len(y) == 8000
    assert np.abs(y).max() == pytest.approx(0.5, abs=1e-3)
    assert _peak_freq(y) == pytest.approx(440, abs=2)
    faded = audio.tone(440, 0.5, fade_seconds=0.05)
    assert abs(faded[0]) < 1e-6 and abs(faded[-1]) < 0.01
    assert np.abs(faded[4000 - 200:4000 + 200]).max() == pytest.approx(0.5, abs=1e-3)
    with pytest.raises(ValueError, match="Nyquist"):
        audio.tone(9000)


def test_rms_dbfs_and_is_silent():
    assert audio.rms_dbfs(audio.tone(1000, 1.0, amplitude=1.0)) == pytest.approx(-3.0103, abs=0.01)
    assert audio.rms_dbfs(np.full(100, 0.1)) == pytest.approx(-20.0, abs=1e-6)
    assert audio.rms_dbfs(np.zeros(100)) == float("-inf")
    assert audio.is_silent(np.zeros(1600))
    assert audio.is_silent(audio.tone(440, amplitude=1e-4))  # about -83 dBFS
    assert not audio.is_silent(audio.tone(440, amplitude=0.01))  # about -43 dBFS
    assert audio.is_silent(audio.tone(440, amplitude=0.01), threshold_dbfs=-30)


def test_normalize_loudness_hits_target_and_caps_peak():
    quiet = audio.tone(440, amplitude=0.01)
    out = audio.normalize_loudness(quiet, target_dbfs=-23.0)
    assert out.dtype == np.float32
    assert audio.rms_dbfs(out) == pytest.approx(-23.0, abs=0.01)
    # a target louder than a sine allows at peak 1.0: the peak cap wins
    capped = audio.normalize_loudness(quiet, target_dbfs=0.0)
    assert np.abs(capped).max() == pytest.approx(1.0, abs=1e-4)
    uncapped = audio.normalize_loudness(quiet, target_dbfs=0.0, max_peak=None)
    assert audio.rms_dbfs(uncapped) == pytest.approx(0.0, abs=0.01)
    silent = np.zeros(100, np.float32)
    assert np.array_equal(audio.normalize_loudness(silent), silent)


def test_trim_silence_cuts_quiet_edges():
    sr = SAMPLE_RATE
    y = np.concatenate([np.zeros(sr // 2), audio.tone(440, 1.0), np.zeros(sr // 2)]).astype(np.float32)
    trimmed, (start, stop) = audio.trim_silence(y, top_db=30, return_index=True)
    assert len(trimmed) == stop - start
    assert abs(start - sr // 2) <= audio.FRAME_LENGTH
    assert abs(stop - (sr // 2 + sr)) <= audio.FRAME_LENGTH
    silent = np.zeros(sr, np.float32)
    assert len(audio.trim_silence(silent)) == sr  # nothing loud: keep it all


def test_trim_silence_on_real_clip_agrees_with_librosa(sample_clip):
    import librosa

    y = audio.load(sample_clip)
    t = audio.trim_silence(y, top_db=30)
    assert 0.3 * len(y) < len(t) < len(y)
    for top_db in (20, 30, 60):
        _, index = audio.trim_silence(y, top_db=top_db, return_index=True)
        _, ref = librosa.effects.trim(y, top_db=top_db, frame_length=1024, hop_length=256)
        assert index == tuple(int(i) for i in ref)
    ref_rms = librosa.feature.rms(y=y, frame_length=1024, hop_length=256)[0]
    np.testing.assert_allclose(audio.frame_rms(y), ref_rms, rtol=1e-4, atol=1e-8)


@pytest.mark.parametrize("ext", ["wav", "flac"])
def test_save_and_load_roundtrip(tmp_path, ext):
    y = audio.tone(440, 0.5)
    path = audio.save(tmp_path / "sub" / f"t.{ext}", y)
    assert path.exists()
    back = audio.load(path)
    assert np.max(np.abs(back - y)) < 1e-4  # 16-bit quantisation
