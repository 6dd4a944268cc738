"""The class report over session folders the tests make: real sessions of three RAVDESS
sample speakers replayed through the file recorder, plus broken folders and zips.
"""
from __future__ import annotations

import json
import shutil
import zipfile

import numpy as np
import pandas as pd
import pytest

from serlib import demo
from serlib.cli import main
from serlib.demo.session import NOTHING_HEARD, Session

EMOTIONS = ["happy", "sad", "angry"]


@pytest.fixture(scope="module")
def unadapted_model():
    """The shipped model without its speaker prior (if it has one): sessions judged
    without speaker adaptation, so that one session adapted by hand stands out."""
    import copy

    from serlib.predict import load_model

    model = copy.copy(load_model())
    model.__dict__.pop("_speaker_prior", None)
    model.metadata = {k: v for k, v in model.metadata.items() if k != "speaker_adaptation"}
    return model


@pytest.fixture(scope="module")
def class_folder(tmp_path_factory, unadapted_model):
    """Three students' sessions (one per sample speaker), three pictures each."""
    parent = tmp_path_factory.mktemp("class")
    prompts = demo.find_prompts(emotions=EMOTIONS, per_emotion=1)
    folders = demo.replayed_class(parent / "collected", prompts, model=unadapted_model, speakers=3)
    return parent / "collected", folders


def _copy(folders, target):
    target.mkdir()
    for f in folders:
        shutil.copytree(f, target / f.name)
    return target


def test_report_counts_every_take_against_the_saved_results(class_folder):
    parent, folders = class_folder
    report = demo.class_report(parent)
    assert not report.problems
    assert list(report.students.index) == [f.name for f in folders]
    # The confusion matrix holds exactly the (expected, detected) pairs of the CSVs.
    saved = pd.concat([pd.read_csv(f / "results.csv") for f in folders])
    table = report.confusion()
    assert table.to_numpy().sum() == len(saved) == 9
    for (expected, detected), n in saved.groupby(["expected", "detected"]).size().items():
        assert table.loc[expected, detected] == n
    assert list(table.index) == EMOTIONS  # teaching order
    students = report.students
    for f in folders:
        rows = pd.read_csv(f / "results.csv")
        assert students.loc[f.name, "matched"] == int(rows["matched"].sum())
        assert students.loc[f.name, "accuracy"] == pytest.approx(rows["matched"].mean())
    assert np.isnan(students["accuracy_adapted"]).all() and not report.has_adaptation
    fig, axes = report.plot()
    assert len(axes) == 2 and axes[0].get_xlabel().startswith("heard")


def test_silence_adaptation_and_bad_folders_are_reported_not_fatal(class_folder, unadapted_model,
                                                                   tmp_path):
    parent, folders = class_folder
    root = _copy(folders, tmp_path / "uploads")
    # A student who said nothing: a real session fed silence.
    quiet = Session(demo.find_prompts(emotions=["sad"]), unadapted_model, folder=root / "quiet")
    quiet.submit(np.zeros(16000, np.float32))
    # A session judged with speaker adaptation (format 2): adapted verdicts all "sad".
    adapted = root / folders[0].name
    rows = pd.read_csv(adapted / "results.csv")
    rows["detected_adapted"] = "sad"
    rows.to_csv(adapted / "results.csv", index=False)
    meta = json.loads((adapted / "session.json").read_text())
    meta.update({"format": 2, "serlib_version": "0.0.9", "adaptation": {"enabled": True}})
    (adapted / "session.json").write_text(json.dumps(meta))
    # Broken ones: no CSV, a WAV that does not open, a future format, a bad zip.
    (root / folders[1].name / "results.csv").unlink()
    (root / folders[2].name / "01_happy.wav").write_bytes(b"not a wav")
    future = root / "future"
    shutil.copytree(folders[2], future)
    (future / "session.json").write_text(json.dumps({"format": 99, "serlib_version": "9.0"}))
    (root / "broken.zip").write_bytes(b"PK\x03\x04 truncated")
    with zipfile.ZipFile(root / "zoe.zip", "w") as zf:
        for path in folders[1].rglob("*"):
            zf.write(path, f"session/{path.relative_to(folders[1])}")

    report = demo.class_report(root)
    problems = {p.source: p for p in report.problems}
    assert "no results.csv" in problems[folders[1].name].message and problems[folders[1].name].skipped
    assert "01_happy.wav" in problems[folders[2].name].message
    assert not problems[folders[2].name].skipped
    assert "format 99" in problems["future"].message and "update serlib" in problems["future"].message
    assert "cannot be read" in problems["broken.zip"].message
    assert "serlib 0.0.9" in problems[folders[0].name].message
    assert set(report.students.index) == {folders[0].name, folders[2].name, "quiet", "zoe"}
    assert report.students.loc["quiet", "nothing_heard"] == 1
    assert report.confusion().loc["sad", NOTHING_HEARD] == 1
    assert list(report.nothing_heard["student"]) == ["quiet"]
    # Adaptation: only that session counts, every adapted verdict is "sad".
    assert report.has_adaptation
    table = report.confusion(adapted=True)
    assert table["sad"].sum() == 3 and table.to_numpy().sum() == 3
    assert report.students.loc[folders[0].name, "accuracy_adapted"] == pytest.approx(1 / 3)
    assert np.isnan(report.students.loc["zoe", "accuracy_adapted"])
    fig, axes = report.plot()
    assert len(axes) == 3


def test_command_prints_the_report_and_json(class_folder, tmp_path, capsys):
    parent, _ = class_folder
    out = tmp_path / "class.png"
    assert main(["demo", "report", str(parent), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "3 students, 9 takes" in text and "Per student:" in text
    assert out.stat().st_size > 10_000
    assert main(["demo", "report", str(parent), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sum(map(sum, data["confusion"]["counts"])) == 9 and len(data["students"]) == 3
    assert main(["demo", "report", str(tmp_path / "nowhere")]) == 1
    assert "does not exist" in capsys.readouterr().out
