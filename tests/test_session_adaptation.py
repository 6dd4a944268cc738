"""Speaker adaptation in the image-prompt session, ``serlib record --session`` and the pictures.

A small but real speaker-normalised model (the robust recipe's MLP on clip statistics of
the bundled sample's neutral, happy, sad and angry clips, saved with its speaker prior
and loaded as ``serlib predict`` loads it) judges real sample clips; every adapted
verdict is checked against the prior's arithmetic done here by hand.
"""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from serlib import config, demo
from serlib.audio import load
from serlib.cli import main
from serlib.demo import images
from serlib.demo.session import NOTHING_HEARD, Session, Take, hear
from serlib.errors import SerlibError

FOUR = ["neutral", "happy", "sad", "angry"]


def _fit(adapt: bool, folder):
    from serlib.datasets import load_sample
    from serlib.extract import extract
    from serlib.models import io
    from serlib.models.robust import fit_robust
    from serlib.predict import load_model

    table = load_sample()
    table = table[table["emotion"].isin(FOUR)].sort_values("path")
    X = extract(table, kind="stats", progress=False)
    model, prior = fit_robust(X, table["emotion"].to_numpy(), table["speaker"].to_numpy(),
                              adapt=adapt, select=False, mlp_params=dict(max_iter=50))
    model.feature_kind = "stats"
    extra = {"speaker_adaptation": prior.to_dict()} if prior is not None else None
    name = "adapt" if adapt else "plain"
    return load_model(io.save(model, folder / f"{name}.skops", name=name, extra=extra))


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """Speaker-normalised: its sidecar holds a speaker prior."""
    return _fit(True, tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def plain_model(tmp_path_factory):
    """The same recipe without speaker normalisation (no prior)."""
    return _fit(False, tmp_path_factory.mktemp("models"))


@pytest.fixture
def prompts():
    return demo.find_prompts(emotions=FOUR, per_emotion=1)


def _features(model, wav):
    return np.asarray(hear(model, load(wav))[1], dtype=np.float64).reshape(-1)


def _by_hand(model, x, takes):
    """The model's probabilities for raw row ``x`` normalised with ``takes`` (None: population)."""
    from serlib.adaptation import prior_of

    z = prior_of(model).normalize(x[None, :], None if takes is None else np.vstack(takes))
    return dict(zip([str(c) for c in model.classes_], model.predict_proba(z)[0]))


def _silence():
    return np.zeros(5 * 16000, np.float32)


# ---------------------------------------------------------------------------- judging twice


def test_each_take_is_judged_without_and_with_the_takes_so_far(model, prompts, tmp_path):
    session = Session(prompts, model, folder=tmp_path / "s")
    assert session.adapting and not session.calibration
    session.run(demo.FileRecorder.for_prompts(prompts))
    rows = [_features(model, tmp_path / "s" / t.wav) for t in session.takes]
    differs = 0
    for k, take in enumerate(session.takes):
        assert take.status == "ok" and take.adapt_takes == k  # the earlier takes
        plain, adapted = _by_hand(model, rows[k], None), _by_hand(model, rows[k], rows[:k] or None)
        assert take.probabilities == pytest.approx(plain, abs=1e-9)
        assert take.probabilities_adapted == pytest.approx(adapted, abs=1e-9)
        assert take.detected == max(plain, key=plain.get)
        assert take.detected_adapted == max(adapted, key=adapted.get) == take.shown
        assert take.matched_adapted == (take.detected_adapted == take.expected)
        differs += not np.allclose(list(plain.values()), list(adapted.values()), atol=1e-3)
    assert differs >= 2  # adaptation changes what the model sees, from the second take on
    first = session.takes[0]  # no earlier take: the population's statistics
    assert first.probabilities_adapted == pytest.approx(first.probabilities, abs=1e-12)
    assert np.allclose(session.adapter.takes(), np.vstack(rows))


def test_a_silent_or_humming_take_never_enters_the_speaker_statistics(model, prompts, tmp_path):
    clips = [load(c) for c in demo.sample_clips_for(["happy", "sad"])]
    hum = np.random.default_rng(1).standard_normal(5 * 16000).astype(np.float32) * 0.03
    with_gaps = Session(prompts * 2, model, folder=tmp_path / "gaps")
    takes = [with_gaps.submit(y) for y in (clips[0], _silence(), hum, clips[1])]
    clean = Session(prompts, model, folder=tmp_path / "clean")
    reference = [clean.submit(y) for y in clips]
    assert [t.status for t in takes] == ["ok", "silent", "silent", "ok"]
    assert with_gaps.adapter.n_takes == clean.adapter.n_takes == 2
    assert np.array_equal(with_gaps.adapter.takes(), clean.adapter.takes())
    for silent in takes[1:3]:
        assert silent.detected is None and silent.detected_adapted is None
        assert silent.label == NOTHING_HEARD and silent.adapt_takes == 1  # unchanged
    assert takes[3].adapt_takes == reference[1].adapt_takes == 1
    assert takes[3].probabilities_adapted == pytest.approx(reference[1].probabilities_adapted)


def test_a_model_without_prior_or_adapt_false_gives_no_adapted_verdict(model, plain_model, prompts,
                                                                       tmp_path):
    clip = load(demo.sample_clips_for(["angry"])[0])
    for name, session in [("plain", Session(prompts, plain_model, folder=tmp_path / "p",
                                            calibration=True)),
                          ("off", Session(prompts, model, folder=tmp_path / "o", adapt=False,
                                          calibration=True))]:
        assert not session.adapting and session.adapter is None
        assert not session.calibration and session.prompts == prompts, name  # nothing to calibrate
        take = session.submit(clip)
        assert take.status == "ok" and take.detected in FOUR
        assert take.detected_adapted is None and take.probabilities_adapted == {}
        assert take.adapt_takes is None and take.shown == take.detected
        table = pd.read_csv(session.folder / "results.csv")
        assert table["detected_adapted"].isna().all() and table["adapt_takes"].isna().all()
        assert not any(c.startswith("pa_") for c in table.columns)
        meta = json.loads((session.folder / "session.json").read_text())
        assert meta["adaptation"] == {"enabled": False, "prior": None, "takes": 0,
                                      "calibration": False}
        assert "adapted" not in session.summary()
    # without adaptation the "plain" verdict is the population-normalised one
    assert take.probabilities == pytest.approx(_by_hand(model, _features(model, session.folder
                                                                         / take.wav), None))


# ---------------------------------------------------------------------------- calibration


def test_calibration_take_enters_the_statistics_without_a_verdict(model, prompts, tmp_path):
    from serlib.demo.report import class_report

    words = images.CALIBRATION_TEXT.split()
    assert 25 <= len(words) <= 45 and images.CALIBRATION_TEXT.endswith(".")  # about 10 s read
    session = Session(prompts, model, folder=tmp_path / "anna", calibration=True)
    first = session.next_prompt()
    assert first.emotion == "calibration" and first.path == config.BUNDLED_DATA / "images" / \
        "calibration.png" and first.path.is_file()
    assert session.prompts[1:] == prompts
    neutral = load(demo.sample_clips_for(["neutral"])[0])
    calibration = session.submit(neutral)
    assert calibration.status == "calibration" and calibration.detected is None
    assert calibration.probabilities == {} and calibration.detected_adapted is None
    assert calibration.adapt_takes == 0 and session.adapter.n_takes == 1
    assert (tmp_path / "anna" / "01_calibration.wav").is_file()
    assert (tmp_path / "anna" / "pictures" / "01_calibration.png").is_file()
    session.run(demo.FileRecorder.for_prompts(prompts))
    assert [t.adapt_takes for t in session.takes] == [0, 1, 2, 3, 4]
    heard = [_features(model, tmp_path / "anna" / t.wav) for t in session.takes]
    assert session.takes[1].probabilities_adapted == pytest.approx(
        _by_hand(model, heard[1], heard[:1]))  # the calibration take is in the statistics
    assert session.summary().startswith("4 of 4 pictures recorded; 4 judged")
    table = pd.read_csv(tmp_path / "anna" / "results.csv")
    assert table.loc[0, "status"] == "calibration" and pd.isna(table.loc[0, "p_happy"])
    report = class_report(tmp_path)  # the class report never scores a calibration take
    assert len(report.takes) == 4 and report.has_adaptation
    assert "calibration" not in set(report.takes["expected"])
    # a silent calibration take is kept but adds nothing
    quiet = Session(prompts, model, folder=tmp_path / "quiet", calibration=True)
    assert quiet.submit(_silence()).status == "calibration" and quiet.adapter.n_takes == 0


# ---------------------------------------------------------------------------- warning


def test_monotone_warning_when_nearly_every_shown_verdict_is_one_emotion(model, prompts, tmp_path):
    session = Session(prompts * 2, model, folder=tmp_path / "m")
    base = Take(index=1, prompt="x", expected="happy", detected="sad", status="ok")

    def takes(shown, silent=0):
        return ([dataclasses.replace(base, detected="angry", detected_adapted=e) for e in shown]
                + [dataclasses.replace(base, detected=None, status="silent")] * silent)

    session.takes = takes(["sad"] * 4, silent=3)  # only four judged: too few to tell
    assert session.monotone_warning() is None
    session.takes = takes(["sad"] * 4 + ["happy"])  # 80 %: the adapted verdicts count
    warning = session.monotone_warning()
    assert warning.startswith("4 of 5 verdicts were 'sad'")
    assert "calibration take" in warning and "microphone level" in warning
    assert "picture" in warning
    session.takes = takes(["sad"] * 3 + ["happy", "angry"])
    assert session.monotone_warning() is None
    # a real session whose model hears one emotion whatever is said
    from sklearn.dummy import DummyClassifier

    always_sad = DummyClassifier(strategy="constant", constant="sad").fit(np.zeros((4, 3)), FOUR)
    always_sad.feature_kind = "stats"
    real = Session(demo.find_prompts(emotions=FOUR), always_sad, folder=tmp_path / "sad")
    real.run(demo.FileRecorder.for_prompts(real.prompts))
    assert real.monotone_warning().startswith(f"{len(real.prompts)} of {len(real.prompts)} verdicts")


# ---------------------------------------------------------------------------- files


def test_results_csv_session_json_and_load_of_format_1_and_2(model, plain_model, prompts, tmp_path):
    from serlib import __version__

    session = Session(prompts, model, folder=tmp_path / "s", calibration=True)
    session.run(demo.FileRecorder.for_prompts(session.prompts))
    table = pd.read_csv(tmp_path / "s" / "results.csv")
    for column in ["detected_adapted", "matched_adapted", "adapt_takes"] + [f"pa_{e}" for e in FOUR]:
        assert column in table.columns
    judged = table[table["status"] == "ok"]
    assert np.allclose(judged[[f"pa_{e}" for e in FOUR]].sum(axis=1), 1.0, atol=1e-3)
    assert list(judged["detected_adapted"]) == [t.detected_adapted for t in session.takes[1:]]
    meta = json.loads((tmp_path / "s" / "session.json").read_text())
    assert meta["format"] == 2 and meta["serlib_version"] == __version__
    assert meta["adaptation"] == {"enabled": True, "prior": "model", "takes": 5, "calibration": True}

    again = Session.load(tmp_path / "s")
    assert again.adapting and again.calibration and again.adapt_takes == 5
    for a, b in zip(again.takes, session.takes):
        assert (a.status, a.detected, a.detected_adapted, a.adapt_takes) == \
            (b.status, b.detected, b.detected_adapted, b.adapt_takes)
        assert a.probabilities_adapted == pytest.approx(b.probabilities_adapted, abs=1e-4)
    assert again.summary() == session.summary()

    # format 1: a session written before speaker adaptation
    old = Session(prompts[:2], plain_model, folder=tmp_path / "old")
    old.run(demo.FileRecorder.for_prompts(prompts[:2]))
    meta = json.loads((tmp_path / "old" / "session.json").read_text())
    for key in ("format", "serlib_version", "adaptation"):
        meta.pop(key)
    (tmp_path / "old" / "session.json").write_text(json.dumps(meta))
    rows = pd.read_csv(tmp_path / "old" / "results.csv")
    rows.drop(columns=["detected_adapted", "matched_adapted", "adapt_takes"]).to_csv(
        tmp_path / "old" / "results.csv", index=False)
    reopened = Session.load(tmp_path / "old")
    assert not reopened.adapting and [t.detected for t in reopened.takes] == [
        t.detected for t in old.takes]
    assert all(t.detected_adapted is None and t.adapt_takes is None for t in reopened.takes)
    (tmp_path / "old" / "session.json").write_text(json.dumps({"format": 99, "serlib_version": "9"}))
    with pytest.raises(SerlibError, match="format 99.*update serlib"):
        Session.load(tmp_path / "old")


def test_rescore_adapts_every_take_to_the_whole_session(model, prompts, tmp_path):
    session = Session(prompts, model, folder=tmp_path / "s", calibration=True)
    session.run(demo.FileRecorder.for_prompts(session.prompts))
    rescored = Session.load(tmp_path / "s").rescore(model, name="hindsight")
    heard = [_features(model, tmp_path / "s" / t.wav) for t in session.takes]
    assert [t.adapt_takes for t in rescored.takes] == [5] * 5
    assert rescored.takes[0].status == "calibration" and rescored.takes[0].detected is None
    for take, x in zip(rescored.takes[1:], heard[1:]):
        assert take.probabilities_adapted == pytest.approx(_by_hand(model, x, heard), abs=1e-9)
        assert take.probabilities == pytest.approx(_by_hand(model, x, None), abs=1e-9)
    # with hindsight the early takes are judged against the whole session, not 1 earlier take
    assert rescored.takes[1].probabilities_adapted != pytest.approx(
        session.takes[1].probabilities_adapted, abs=1e-3)
    saved = pd.read_csv(tmp_path / "s" / "results_hindsight.csv")
    assert list(saved["adapt_takes"]) == [5] * 5
    assert list(saved["detected_adapted"].iloc[1:]) == [t.detected_adapted for t in rescored.takes[1:]]


def test_looking_back_counts_matches_against_the_whole_session(model, plain_model, prompts,
                                                               tmp_path):
    """The end-of-session sentence: every judged take against all heard takes (by hand),
    next to the live count; nothing written; nothing without adaptation."""
    session = Session(prompts, model, folder=tmp_path / "s", calibration=True)
    session.run(demo.FileRecorder.for_prompts(session.prompts))
    heard = [_features(model, tmp_path / "s" / t.wav) for t in session.takes]
    matched = 0
    for take, x in zip(session.takes[1:], heard[1:]):
        p = _by_hand(model, x, heard)
        matched += max(p, key=p.get) == take.expected
    live = sum(t.matched_adapted for t in session.takes[1:])
    before = sorted(f.name for f in (tmp_path / "s").iterdir())
    assert session.looking_back() == (
        f"Looking back with all 5 takes of this voice (each picture judged again against the "
        f"whole session): {matched} of 4 matched, {live} as judged live.")
    assert sorted(f.name for f in (tmp_path / "s").iterdir()) == before  # no results_*.csv
    assert len(session.takes) == 5  # the session itself is unchanged
    # no sentence without adaptation, or before two takes were judged
    plain = Session(prompts, plain_model, folder=tmp_path / "p")
    plain.run(demo.FileRecorder.for_prompts(prompts))
    assert plain.looking_back() is None
    one = Session(prompts, model, folder=tmp_path / "one")
    one.record_next(demo.FileRecorder.for_prompts(prompts))
    assert one.looking_back() is None


def test_loading_with_the_model_goes_on_adapting(model, prompts, tmp_path):
    session = Session(prompts, model, folder=tmp_path / "s")
    recorder = demo.FileRecorder.for_prompts(prompts)
    session.record_next(recorder)
    session.submit(_silence())
    reopened = Session.load(tmp_path / "s", model=model)
    assert reopened.adapter.n_takes == 1
    assert np.allclose(reopened.adapter.takes(), session.adapter.takes())
    recorder.position = 2
    assert reopened.record_next(recorder).adapt_takes == 1


def test_grid_shows_both_verdicts(model, prompts, tmp_path):
    session = Session(prompts, model, folder=tmp_path / "s", calibration=True)
    session.run(demo.FileRecorder.for_prompts(session.prompts))
    fig, axes = session.plot_grid(columns=5)
    titles = [ax.get_title() for ax in axes[0]]
    assert titles[0].startswith("calibration")
    for title, take in zip(titles[1:], session.takes[1:]):
        assert title == (f"expected: {take.expected}\nheard: {take.detected_adapted} "
                         f"(plain: {take.detected})")
    assert axes[1, 1].get_xlabel() == "probability, adapted"
    assert "adapted to the voice" in fig._suptitle.get_text()


# ---------------------------------------------------------------------------- pictures


def test_pictures_only_for_the_emotions_the_model_knows(model, plain_model):
    from serlib.demo.session import _known_prompts

    every = demo.find_prompts()
    shown = _known_prompts(every, model)
    assert {p.emotion for p in shown} == set(FOUR)
    for emotion in FOUR:
        assert sum(p.emotion == emotion for p in shown) >= 2
    with pytest.raises(SerlibError, match="None of the 1 pictures.*model knows"):
        _known_prompts([p for p in every if p.emotion == "calm"], model)
    assert _known_prompts(every, plain_model) == shown
    # every bundled picture is a real, small image; the licence text covers them all
    import matplotlib.pyplot as plt

    for path in [p.path for p in every] + [images.calibration_prompt().path]:
        assert path.stat().st_size < 30_000, path
        img = plt.imread(str(path))
        assert img.shape[0] >= 200 and img[..., :3].std() > 0.05, path
    readme = (config.BUNDLED_DATA / "images" / "README.md").read_text()
    assert "scene.png" in readme and "calibration.png" in readme and "MIT" in readme


# ---------------------------------------------------------------------------- serlib record


class _FakeMicrophone:
    """Stands in for the kernel microphone: replays the queued signals."""

    queue: list = []

    def __init__(self, device=None):
        self.device = device

    def why_unavailable(self):
        return None

    def describe(self):
        return "fake microphone"

    def record(self, seconds, progress=None):
        return self.queue.pop(0)


def test_record_session_adapts_to_the_folder_and_keeps_the_take(model, plain_model, tmp_path,
                                                                 monkeypatch, capsys):
    from serlib.demo import recorders

    monkeypatch.setattr(recorders, "KernelMicrophone", _FakeMicrophone)
    path = str(model.path)
    folder = tmp_path / "anna"
    clips = [load(c) for c in demo.sample_clips_for(["happy", "sad", "angry"])]
    _FakeMicrophone.queue = [clips[0], _silence(), clips[1], clips[2]]
    results = []
    for _ in range(4):
        code = main(["record", "--session", str(folder), "--model", path, "--json"])
        results.append((code, json.loads(capsys.readouterr().out)))
    assert [code for code, _ in results] == [0, 1, 0, 0]
    assert results[1][1]["emotion"] is None and results[1][1]["file"] is None  # silent: not kept
    assert [r["adapt_takes"] for _, r in results if r["emotion"]] == [0, 1, 2]
    wavs = sorted(folder.glob("*.wav"))
    assert len(wavs) == 3 and results[3][1]["file"] == str(wavs[-1])
    rows = [_features(model, w) for w in wavs]
    last = _by_hand(model, rows[2], rows[:2])  # judged against the earlier takes
    assert results[3][1]["emotion"] == max(last, key=last.get)
    assert results[3][1]["probabilities"] == pytest.approx(last, abs=1e-4)
    plain = _by_hand(model, rows[2], None)
    assert results[3][1]["emotion_unadapted"] == max(plain, key=plain.get)

    # a file that does not open is left out, with a warning that names it
    (folder / "broken.wav").write_bytes(b"RIFF not really")
    _FakeMicrophone.queue = [clips[0]]
    with pytest.warns(Warning, match="broken.wav.*left out of the speaker statistics"):
        assert main(["record", "--session", str(folder), "--model", path, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["adapt_takes"] == 3

    # a session folder of serlib demo counts as the same speaker's takes
    session = Session(demo.find_prompts(emotions=FOUR, per_emotion=1), model, folder=tmp_path / "s")
    session.run(demo.FileRecorder.for_prompts(session.prompts))
    _FakeMicrophone.queue = [clips[0]]
    assert main(["record", "--session", str(tmp_path / "s"), "--model", path]) == 0
    out = capsys.readouterr().out
    assert "adapted to this voice from 4 earlier takes; without adaptation:" in out

    # a model without a prior: judged as usual, said so, still kept
    plain_path = str(plain_model.path)
    _FakeMicrophone.queue = [clips[1]]
    assert main(["record", "--session", str(tmp_path / "bob"), "--model", plain_path, "--json"]) == 0
    captured = capsys.readouterr()
    assert "without speaker normalisation" in captured.err
    assert "adapt_takes" not in json.loads(captured.out)
    assert len(list((tmp_path / "bob").glob("*.wav"))) == 1
    (tmp_path / "file").write_text("x")
    assert main(["record", "--session", str(tmp_path / "file"), "--model", path]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_record_help_explains_session(capsys):
    with pytest.raises(SystemExit):
        main(["record", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--session DIR" in text and "adapted to that voice" in text and "save it into DIR" in text
