"""Bad input never gets a confident answer (issue 12).

Every file here is written by the test itself: digital silence, noise at -80 dBFS, a
real sample clip cut in the middle of its data, the same clip stored as float x10, a
damaged model file, a clip passed as a model. Each must get a clear status or warning,
in the wording of the interface used (command-line options on the command line,
Python keywords in Python), never a silent "fearful 1.00".
"""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import soundfile as sf

from serlib import audio, speech
from serlib.cli import main
from serlib.config import SAMPLE_RATE
from serlib.errors import AudioWarning, ModelError
from serlib.predict import load_model, predict_file, predict_signal

from helpers import sample_clips


@pytest.fixture(scope="module")
def model():
    return load_model()


@pytest.fixture
def clip(sample_root):
    """One real RAVDESS sample clip, as a 16 kHz float32 signal."""
    return audio.load(sample_clips(sample_root, 1)[0])


@pytest.fixture
def silent_files(tmp_path):
    """7 s of digital zeros and 7 s of white noise at about -80 dBFS, as 16-bit WAVs."""
    zeros = audio.save(tmp_path / "zeros.wav", np.zeros(7 * SAMPLE_RATE, np.float32))
    rng = np.random.default_rng(0)
    hiss = rng.normal(0, 10 ** (-80 / 20), 7 * SAMPLE_RATE).astype(np.float32)
    noise = audio.save(tmp_path / "hiss.wav", hiss, subtype="FLOAT")
    return zeros, noise


def cut_wav(tmp_path, y, keep: float = 0.5):
    """``y`` as a 16-bit WAV whose data part is cut after ``keep`` of its bytes (the header
    still promises all of them), as an interrupted copy leaves it."""
    whole = audio.save(tmp_path / "whole.wav", y, subtype="PCM_16")
    data = whole.read_bytes()
    header = 44  # soundfile writes a plain 44-byte RIFF header for 16-bit mono PCM
    assert data[36:40] == b"data"
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[:header + int((len(data) - header) * keep) // 2 * 2])
    return cut


# ---------------------------------------------------------------- the speech test itself
def test_check_speech_tells_silence_noise_and_speech_apart(clip):
    heard = speech.check_speech(clip)
    assert heard.heard and heard.reason is None and heard.contrast_db > 20
    assert 0 < heard.part.size <= clip.size and not heard.beyond_full_scale
    zeros = speech.check_speech(np.zeros(7 * SAMPLE_RATE, np.float32))
    assert not zeros.heard and zeros.level_dbfs == float("-inf")
    assert zeros.reason.startswith("no speech heard (level -inf dBFS")
    hum = speech.check_speech(audio.tone(120.0, 7.0, amplitude=0.3))  # loud but steady
    assert not hum.heard and hum.level_dbfs > -20 and "steady" in hum.reason
    blip = np.random.default_rng(1).normal(0, 1e-3, SAMPLE_RATE // 5).astype(np.float32)
    blip[1600:2400] += audio.tone(440.0, 0.05)  # 0.2 s in all, 50 ms of it loud
    short = speech.check_speech(blip)
    assert not short.heard and short.speech_seconds < speech.MIN_SPEECH_SECONDS
    assert "click" in short.reason
    # the demo's names still come from the demo module, and are the same objects
    from serlib.demo import session
    assert session.QUIET_DBFS == speech.QUIET_DBFS and session.speech_part is speech.speech_part


# ---------------------------------------------------------------- silence through predict
def test_silence_and_faint_noise_are_not_judged(model, silent_files):
    for path, level in zip(silent_files, (float("-inf"), -80.0)):
        pred = predict_file(model, path)
        assert pred.status == "silent" and pred.emotion is None and pred.probabilities == {}
        assert pred.reason.startswith("no speech heard (level ")
        if np.isfinite(level):
            assert pred.level_dbfs == pytest.approx(level, abs=2)
        else:
            assert pred.level_dbfs == level
        d = pred.to_dict()
        assert d["emotion"] is None and d["status"] == "silent" and d["reason"] == pred.reason
        json.dumps(d, allow_nan=False)  # strict JSON: -inf is written as null
    assert predict_signal(model, np.zeros(SAMPLE_RATE, np.float32)).emotion is None


def test_cli_says_no_speech_heard_and_exits_nonzero(model, silent_files, sample_root, capsys):
    zeros, hiss = map(str, silent_files)
    assert main(["predict", zeros, hiss]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{zeros}: no speech heard (level -inf dBFS")
    assert lines[1].startswith(f"{hiss}: no speech heard (level -80 dBFS")
    assert main(["predict", zeros, "--json"]) == 1
    obj = json.loads(capsys.readouterr().out)
    assert obj["emotion"] is None and obj["level_dbfs"] is None and "no speech" in obj["reason"]
    good = sample_clips(sample_root, 1)[0]
    assert main(["predict", zeros, good, "--json"]) == 0  # one file judged: success
    first, second = map(json.loads, capsys.readouterr().out.splitlines())
    assert first["emotion"] is None and second["emotion"] in second["probabilities"]
    # unchanged for good files, plus how many other takes adapted a speaker-normalised model
    assert set(second) - {"adapt_takes"} == {"file", "emotion", "probabilities"}
    assert second.get("adapt_takes", 0) == 0  # one file at a time: no adaptation


# ---------------------------------------------------------------- cut off and too loud
def test_a_cut_file_is_judged_with_a_warning_naming_what_is_missing(model, clip, tmp_path, capsys):
    cut = cut_wav(tmp_path, clip)
    frames = sf.info(str(cut)).frames
    missing = clip.size - frames
    assert 0 < frames < clip.size
    with pytest.warns(AudioWarning, match=f"{missing} frames"):
        y = audio.load(cut)
    assert y.size == frames
    with pytest.warns(AudioWarning):
        pred = predict_file(model, cut)
    assert pred.heard and pred.emotion in pred.probabilities
    assert len(pred.warnings) == 1
    assert f"{missing} frames ({missing / SAMPLE_RATE:.2f} s) are missing" in pred.warnings[0]
    assert main(["predict", str(cut), "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["emotion"] == pred.emotion and obj["warnings"] == pred.warnings
    assert main(["predict", str(cut)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"{cut}: {pred.emotion}")
    assert f"serlib predict: warning: {cut}: the file is cut off" in err
    with warnings.catch_warnings():
        warnings.simplefilter("error", AudioWarning)  # a whole file gives none
        assert predict_file(model, tmp_path / "whole.wav").warnings == []


def test_cut_counts_whole_frames_of_any_width(tmp_path):
    """A stereo 24-bit WAV cut in the middle of a frame: the note counts whole frames."""
    y = np.stack([audio.tone(220.0, 1.0), audio.tone(330.0, 1.0)], axis=1)
    whole = audio.save(tmp_path / "stereo24.wav", y, subtype="PCM_24")
    cut = tmp_path / "stereo24-cut.wav"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3 + 1])
    frames = sf.info(str(cut)).frames
    y_cut, notes = audio.load_with_notes(cut)
    assert y_cut.size == frames and len(notes) == 1
    assert f"promises {SAMPLE_RATE} frames but it holds {frames}" in notes[0]
    assert f"{SAMPLE_RATE - frames} frames" in notes[0]
    assert audio.load_with_notes(whole)[1] == []


def test_samples_beyond_full_scale_are_reported(model, clip, tmp_path, capsys):
    full = clip * np.float32(0.8 / np.abs(clip).max())  # the clip at a healthy peak of 0.8
    loud = audio.save(tmp_path / "times10.wav", full * np.float32(10), subtype="FLOAT")
    assert np.abs(audio.load(loud)).max() == pytest.approx(8.0)  # float files load as stored
    with pytest.warns(AudioWarning, match="beyond full scale"):
        pred = predict_file(model, loud)
    assert pred.heard and len(pred.warnings) == 1 and "gain -n" in pred.warnings[0]
    assert main(["predict", str(loud)]) == 0
    assert "beyond full scale" in capsys.readouterr().err
    with warnings.catch_warnings():
        warnings.simplefilter("error", AudioWarning)
        assert predict_signal(model, full).warnings == []


# ---------------------------------------------------------------- models that are not models
def test_damaged_model_file_is_called_damaged(sample_root, tmp_path, capsys):
    from serlib.config import default_model_path

    junk = tmp_path / "junk.skops"
    junk.write_bytes(np.random.default_rng(0).bytes(2000))
    half = tmp_path / "half.skops"
    shipped = default_model_path().read_bytes()
    half.write_bytes(shipped[: len(shipped) // 2])
    for bad in (junk, half):
        with pytest.raises(ModelError, match="not a skops model file") as err:
            load_model(bad)
        assert "metadata" not in str(err.value)
    assert main(["predict", sample_clips(sample_root, 1)[0], "--model", str(half)]) == 2
    err = capsys.readouterr().err
    assert "not a skops model file" in err and "metadata" not in err


def test_audio_file_given_as_model(sample_root, capsys):
    clip = sample_clips(sample_root, 1)[0]
    with pytest.raises(ModelError, match=r"audio file \(FLAC\), not a model") as err:
        load_model(clip)
    assert "predict_file(model" in str(err.value) and "--model" not in str(err.value)
    assert main(["predict", clip, "--model", clip]) == 2
    err = capsys.readouterr().err
    assert f"--model {clip}: this is an audio file (FLAC), not a model" in err
    assert "predict_file" not in err and "serlib train --out" in err


# ---------------------------------------------------------------- advice in the right words
def test_extract_errors_speak_python_and_the_cli_speaks_options(tmp_path):
    from serlib.commands.features import CLI_ADVICE
    from serlib.errors import AudioError
    from serlib.extract import extract

    bad = tmp_path / "bad.wav"
    bad.write_text("not audio")
    with pytest.raises(AudioError) as err:
        extract([bad], progress=False, cache=False)
    assert "on_error='skip'" in str(err.value) and "on_error='nan'" in str(err.value)
    assert "--on-error skip" in CLI_ADVICE and "on_error" not in CLI_ADVICE


def test_record_device_advice_names_the_option(capsys):
    from serlib.demo.recorders import import_sounddevice
    from serlib.errors import RecorderError

    try:
        import_sounddevice()
    except RecorderError:
        pytest.skip("PortAudio (libportaudio2) is not installed")
    assert main(["record", "--device", "no such microphone 12", "--seconds", "1"]) == 2
    err = capsys.readouterr().err
    assert "--device" in err and "device=..." not in err and "query_devices" not in err
