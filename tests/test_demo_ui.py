"""The session UI's verdict lines and the ``serlib demo`` page without a browser.

The verdicts are built from real takes of a real session (bundled clips, the shipped
model); the adapted and calibration cases set the fields speaker adaptation adds.
"""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from serlib import config, demo
from serlib.demo import ui
from serlib.demo.session import Session


@pytest.fixture(scope="module")
def takes(tmp_path_factory):
    if not config.default_model_path().is_file():
        pytest.skip("the shipped model is not built yet (models/ser-mlp.skops)")
    prompts = demo.find_prompts(emotions=["happy", "sad"])
    session = Session(prompts, folder=tmp_path_factory.mktemp("s"))
    spoken = session.record_next(demo.FileRecorder.for_prompts(prompts[:1]))
    silent = session.submit(np.zeros(16000, np.float32))
    return spoken, silent


def test_verdicts_plain_silent_adapted_and_calibration(takes):
    spoken, silent = takes
    line = ui.result_html(spoken)
    assert f">{spoken.detected}</b>" in line and "expected happy" in line
    # what a verdict is: how the voice sounded to a model trained on actors
    assert line.startswith("Your voice sounded <b") and "to a model trained on actors" in line
    assert "you are" not in line.lower()
    assert "adapted" not in line
    assert "we heard nothing" in ui.result_html(silent).lower()

    other = next(e for e in spoken.probabilities if e != spoken.detected)
    extra = {"detected_adapted": other, "adapt_takes": 4,
             "probabilities_adapted": {other: 0.7, spoken.detected: 0.3}}
    if "detected_adapted" in {f.name for f in dataclasses.fields(spoken)}:
        adapted = dataclasses.replace(spoken, **extra)
    else:  # a serlib without speaker adaptation: the same fields, set by hand
        adapted = dataclasses.replace(spoken)
        for name, value in {**extra, "shown": other, "matched_adapted": other == "happy"}.items():
            setattr(adapted, name, value)
    line = ui.result_html(adapted)
    assert f">{other}</b> {ui.TRAINED_ON} (70%" in line  # the adapted verdict is the big one
    assert "adapted to your voice from 4 earlier takes" in line
    assert f"without adaptation: {spoken.detected}" in line

    calibration = dataclasses.replace(spoken, status="calibration")
    assert ui.result_html(calibration).endswith(f"{ui.CALIBRATION_THANKS}</span>")
    assert "your normal voice" in ui.calibration_html("The sky is blue.")


def test_session_options_pass_only_what_session_accepts():
    options = ui.session_options(seconds=3.0, surely_not_an_option=True)
    assert options == {"seconds": 3.0}


def test_page_settings_and_a_page_that_explains_a_missing_folder(tmp_path, monkeypatch):
    pytest.importorskip("ipywidgets")
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"seconds": 3, "images": str(tmp_path / "none"),
                                "recorder": "files"}))
    monkeypatch.setenv(ui.SETTINGS_ENV, str(path))
    settings = ui.page_settings()
    assert settings["seconds"] == 3 and settings["adapt"] is True  # defaults kept
    page = ui.demo_page()
    error = page.children[-1]
    assert "serlib-page-error" in error._dom_classes
    assert "does not exist" in error.value and "one sub-folder" in error.value


def test_page_asks_consent_first_and_can_keep_only_the_verdicts(tmp_path, monkeypatch):
    """The page (files recorder) says what is recorded, where and for how long before
    anything is; "keep only the verdicts" runs a session that leaves no WAV."""
    pytest.importorskip("ipywidgets")
    if not config.default_model_path().is_file():
        pytest.skip("the shipped model is not built yet (models/ser-mlp.skops)")
    images = tmp_path / "images"
    for prompt in demo.find_prompts(emotions=["happy", "sad"], per_emotion=1):
        (images / prompt.emotion).mkdir(parents=True, exist_ok=True)
        (images / prompt.emotion / prompt.path.name).write_bytes(prompt.path.read_bytes())
    page = ui.demo_page({"recorder": "files", "seconds": 2, "images": str(images),
                         "sessions": str(tmp_path / "sessions"), "keep_days": 7, "pause": 0,
                         "calibrate": False})
    session_ui = page.session_ui
    text = session_ui.consent.children[0].value
    assert "What is recorded" in text and "7 days" in text and str(tmp_path / "sessions") in text
    assert "trained on actors" in text
    assert session_ui.start_button.layout.display == "none" and session_ui.session is None
    session_ui._agree(False)  # "I agree: record, but keep only the verdicts"
    session = session_ui.wait(60)
    assert len(session.takes) == 2 and not list(session.folder.glob("*.wav"))
    assert "No recording was kept" in session_ui.summary.value
    assert session_ui.consent.layout.display == "none"
