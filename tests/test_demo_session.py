"""The image-prompt session without a microphone: pictures, judging, saving, reopening.

A tiny real model (logistic regression on MFCC means of 32 sample clips) keeps these
tests fast and independent of the shipped model; the recordings are real RAVDESS
sample clips, silence, steady noise and clips made too quiet on purpose.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from serlib import config, demo
from serlib.audio import load
from serlib.demo.recorders import Recorder
from serlib.demo.session import NOTHING_HEARD, Session, analyse
from serlib.errors import RecorderError, SerlibError

EIGHT = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"]


@pytest.fixture(scope="module")
def tiny_model():
    """A small but real classifier over the eight emotions, trained in about a second."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from serlib import features
    from serlib.datasets import load_sample

    table = load_sample().sort_values("path").groupby("emotion").head(4)
    X = np.stack([features.compute(load(p), ["mfcc40"])["mfcc40"] for p in table["path"]])
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(X, table["emotion"].to_numpy())
    model.feature_kind = "mfcc40"
    return model


@pytest.fixture
def prompts():
    """One picture per emotion (the bundled folders hold two for the shipped model's four)."""
    return demo.find_prompts(per_emotion=1)


# ---------------------------------------------------------------------------- pictures


def test_bundled_pictures_cover_the_eight_emotions_and_are_real_images(prompts):
    import matplotlib.pyplot as plt

    assert [p.emotion for p in prompts] == EIGHT
    every = demo.find_prompts()
    assert [p.emotion for p in every] == [e for e in EIGHT for _ in
                                          range(2 if e in ("neutral", "happy", "sad", "angry") else 1)]
    for p in every:
        assert p.path.suffix == ".png"
        img = plt.imread(str(p.path))
        assert img.ndim == 3 and img.shape[0] >= 200 and img.shape[1] >= 200
        assert img[..., :3].std() > 0.05, f"{p.name} looks blank"
    readme = (config.BUNDLED_DATA / "images" / "README.md").read_text()
    assert "Licence" in readme and "MIT" in readme


def test_teacher_pictures_in_own_folder(tmp_path):
    import matplotlib.pyplot as plt

    for emotion, name in [("happy", "b.jpg"), ("happy", "a.png"), ("sad", "x.png"), ("bored", "y.png")]:
        (tmp_path / emotion).mkdir(exist_ok=True)
        plt.imsave(tmp_path / emotion / name, np.random.default_rng(0).random((8, 8, 3)))
    (tmp_path / "happy" / "notes.txt").write_text("not a picture")
    found = demo.find_prompts(tmp_path)
    assert [p.name for p in found] == ["happy/a.png", "happy/b.jpg", "sad/x.png", "bored/y.png"]
    assert [p.name for p in demo.find_prompts(tmp_path, per_emotion=1, emotions=EIGHT)] == [
        "happy/a.png", "sad/x.png"]
    shuffled = demo.find_prompts(tmp_path, shuffle=True, seed=3)
    assert sorted(p.name for p in shuffled) == sorted(p.name for p in found)
    (tmp_path / "empty").mkdir()
    with pytest.raises(SerlibError, match="No prompt pictures"):
        demo.find_prompts(tmp_path / "empty")
    with pytest.raises(SerlibError, match="does not exist"):
        demo.find_prompts(tmp_path / "missing")


# ---------------------------------------------------------------------------- judging


def test_silence_noise_and_too_quiet_speech_are_not_guessed(tiny_model):
    clip = load(demo.sample_clips_for(["angry"])[0])
    heard = analyse(tiny_model, clip)
    assert heard.prediction is not None and heard.contrast_db > 20
    assert heard.prediction.emotion in EIGHT
    silence = analyse(tiny_model, np.zeros(7 * 16000, np.float32))
    assert silence.prediction is None and silence.level_dbfs == float("-inf")
    hum = np.random.default_rng(1).standard_normal(7 * 16000).astype(np.float32) * 0.03  # -30 dBFS
    steady = analyse(tiny_model, hum)
    assert steady.prediction is None and steady.contrast_db < 3 and steady.level_dbfs > -35
    whisper = analyse(tiny_model, clip * np.float32(10 ** (-45 / 20)))  # 45 dB quieter
    assert whisper.prediction is None and whisper.level_dbfs < -65


def test_recording_around_speech_is_judged_like_the_clip(tiny_model):
    """Silence around a clip (a 7 s window) does not change the verdict."""
    clip = load(demo.sample_clips_for(["happy"])[0])
    padded = np.concatenate([np.zeros(16000, np.float32), clip, np.zeros(2 * 16000, np.float32)])
    a, b = analyse(tiny_model, clip).prediction, analyse(tiny_model, padded).prediction
    assert a.emotion == b.emotion
    assert max(abs(a.probabilities[k] - b.probabilities[k]) for k in a.probabilities) < 0.05


# ---------------------------------------------------------------------------- sessions


def test_file_session_saves_everything_and_reopens(tiny_model, prompts, tmp_path):
    recorder = demo.FileRecorder.for_prompts(prompts)
    session = Session(prompts, tiny_model, folder=tmp_path / "s1", seconds=7)
    events = []
    session.run(recorder, on_prompt=lambda p: events.append(("prompt", p.emotion)),
                on_take=lambda t: events.append(("take", t.expected)))
    assert session.finished and session.stopped is None
    assert len(session.takes) == 8
    # next picture never before the previous verdict: strictly alternating events
    assert events == [e for em in EIGHT for e in (("prompt", em), ("take", em))]
    for take, clip in zip(session.takes, recorder.clips):
        wav = tmp_path / "s1" / take.wav
        assert wav.is_file() and (tmp_path / "s1" / take.picture).is_file()
        y = load(wav)
        ref = load(clip)
        assert y.size == ref.size and np.allclose(y, ref, atol=1e-3)  # 16-bit WAV of the clip
        expected = analyse(tiny_model, ref).prediction
        assert take.status == "ok" and take.detected == expected.emotion
    table = pd.read_csv(tmp_path / "s1" / "results.csv")
    assert list(table["expected"]) == EIGHT and len(table) == 8
    assert {f"p_{e}" for e in EIGHT} <= set(table.columns)
    assert np.allclose(table[[f"p_{e}" for e in EIGHT]].sum(axis=1), 1.0, atol=1e-3)
    meta = json.loads((tmp_path / "s1" / "session.json").read_text())
    assert meta["seconds"] == 7 and meta["stopped"] is None and len(meta["prompts"]) == 8

    again = Session.load(tmp_path / "s1")
    assert [t.detected for t in again.takes] == [t.detected for t in session.takes]
    assert again.takes[3].probabilities == pytest.approx(session.takes[3].probabilities, abs=1e-4)
    fig, axes = again.plot_grid()
    assert axes.shape == (4, 4)
    assert [ax.get_title().split("\n")[0] for ax in axes[::2].flat] == [f"expected: {e}" for e in EIGHT]
    assert "8 of 8 pictures recorded" in fig._suptitle.get_text()


def test_rescore_with_another_model(tiny_model, prompts, tmp_path):
    from sklearn.dummy import DummyClassifier

    session = Session(prompts[:3], tiny_model, folder=tmp_path / "s", seconds=7)
    session.run(demo.FileRecorder.for_prompts(prompts[:3]))
    always_sad = DummyClassifier(strategy="constant", constant="sad").fit(
        np.zeros((2, 40)), ["sad", "happy"])
    always_sad.feature_kind = "mfcc40"
    rescored = Session.load(tmp_path / "s").rescore(always_sad, name="always sad")
    assert [t.detected for t in rescored.takes] == ["sad"] * 3
    assert (tmp_path / "s" / "results_always-sad.csv").is_file()
    original = pd.read_csv(tmp_path / "s" / "results.csv")
    assert list(original["detected"]) == [t.detected for t in session.takes]


class _SilentThenLost(Recorder):
    """Silence first, a real clip next, then the device disappears."""

    name = "flaky microphone"

    def __init__(self, clip):
        self.calls = 0
        self.clip = clip

    def record(self, seconds, progress=None):
        self.calls += 1
        if self.calls == 1:
            return np.zeros(int(seconds * 16000), np.float32)
        if self.calls == 2:
            return load(self.clip)
        raise RecorderError("The microphone stopped sending sound after 1.2 s (unplugged?).")


def test_silence_and_lost_device_stop_cleanly_and_keep_files(tiny_model, prompts, tmp_path):
    recorder = _SilentThenLost(demo.sample_clips_for(["calm"])[0])
    session = Session(prompts, tiny_model, folder=tmp_path / "s", seconds=3)
    takes = session.run(recorder)
    assert recorder.calls == 3
    assert len(takes) == 2 and session.finished
    assert takes[0].status == "silent" and takes[0].detected is None
    assert takes[0].label == NOTHING_HEARD and takes[0].probabilities == {}
    assert takes[1].status == "ok"
    assert "unplugged" in session.stopped
    assert sorted(p.name for p in (tmp_path / "s").glob("*.wav")) == ["01_neutral.wav", "02_calm.wav"]
    reopened = Session.load(tmp_path / "s")
    assert reopened.stopped == session.stopped
    assert [t.label for t in reopened.takes] == [NOTHING_HEARD, takes[1].detected]
    assert "Stopped early" in reopened.summary() and "nothing heard" in reopened.summary()
    with pytest.raises(SerlibError, match="over"):
        session.submit(np.zeros(100, np.float32))


def test_session_folder_defaults_to_sessions_dir(tiny_model, prompts, tmp_path, monkeypatch):
    monkeypatch.setenv("SERLIB_SESSIONS", str(tmp_path / "classroom"))
    a = Session(prompts[:1], tiny_model)
    b = Session(prompts[:1], tiny_model)
    assert a.folder.parent == tmp_path / "classroom" and a.folder != b.folder
    with pytest.raises(ValueError):
        Session(prompts[:1], tiny_model, seconds=0)
    with pytest.raises(SerlibError, match="not a session folder"):
        Session.load(tmp_path)


# ---------------------------------------------------------------------------- the UI layer


def test_ui_runs_a_session_and_shows_the_grid(tiny_model, prompts, tmp_path):
    pytest.importorskip("ipywidgets")
    from serlib.demo.ui import SessionUI

    ui = SessionUI(prompts[:4], recorder=demo.FileRecorder.for_prompts(prompts[:4]),
                   model=tiny_model, seconds=7, folder=tmp_path / "ui", pause=0)
    ui.start()
    session = ui.wait(60)
    assert session is not None and len(session.takes) == 4
    assert ui.grid.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert "serlib-done" in ui.summary._dom_classes
    assert "4 of 4 pictures recorded" in ui.summary.value
    assert "Your voice sounded" in ui.verdict.value or "heard nothing" in ui.verdict.value
    assert len(ui.latencies_ms) == 4
    assert not ui.start_button.disabled and ui.stop_button.disabled


def test_ui_counts_only_the_pictures_the_model_knows(tiny_model, prompts, tmp_path):
    """The opening line counts what the session will show, and names what it skips."""
    pytest.importorskip("ipywidgets")
    from serlib.demo.ui import SessionUI

    four = [p for p in prompts if p.emotion in ("neutral", "happy", "sad", "angry")]

    class FourEmotions:  # the tiny model, knowing only four of the eight emotions
        classes_ = np.array(["angry", "happy", "neutral", "sad"])

    ui = SessionUI(prompts, recorder=demo.FileRecorder.for_prompts(four), model=FourEmotions(),
                   seconds=2, folder=tmp_path / "ui", pause=0)
    assert "4 pictures, 2 s each" in ui.status.value
    assert "calm, disgust, fearful, surprised are skipped" in ui.status.value
    ui = SessionUI(prompts, recorder=demo.FileRecorder.for_prompts(prompts), model=tiny_model,
                   seconds=2, folder=tmp_path / "ui8", pause=0)
    assert "8 pictures, 2 s each. Press Start." in ui.status.value


def test_ui_reports_a_lost_device(tiny_model, prompts, tmp_path):
    pytest.importorskip("ipywidgets")
    from serlib.demo.ui import SessionUI

    ui = SessionUI(prompts, recorder=_SilentThenLost(demo.sample_clips_for(["sad"])[0]),
                   model=tiny_model, seconds=2, folder=tmp_path / "ui", pause=0)
    session = ui.run()
    assert len(session.takes) == 2 and "unplugged" in ui.status.value
    assert "Stopped early" in ui.summary.value
