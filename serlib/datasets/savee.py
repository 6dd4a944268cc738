"""SAVEE: Surrey Audio-Visual Expressed Emotion (4 male speakers, 7 emotions, 480 sentences).

Two layouts are read, both as distributed:

* the original release (registration at the University of Surrey):
  ``AudioData/DC/a01.wav`` - speaker from the folder (DC, JE, JK, KL);
* the common Kaggle copy, one flat folder: ``DC_a01.wav``, ``JK_sa15.wav``.

Emotion codes: a anger, d disgust, f fear, h happiness, n neutral, sa sadness,
su surprise, followed by a two-digit sentence number (01-15, neutral 01-30).

Notebook: 04_datasets.ipynb
"""
from __future__ import annotations

import re
from pathlib import Path

from serlib.datasets.table import audio_files, make_table, relative
from serlib.datasets.vocabulary import LABEL_MAP

NAME = "savee"
SPEAKERS = ("DC", "JE", "JK", "KL")
_FLAT = re.compile(r"^([A-Z]{2})_(sa|su|a|d|f|h|n)(\d\d)$")
_NESTED = re.compile(r"^(sa|su|a|d|f|h|n)(\d\d)$")
_SCHEME = "expected SPEAKER_CODENN (e.g. DC_a01.wav, JK_sa15.wav) or AudioData/SPEAKER/CODENN.wav " \
          "with speaker DC/JE/JK/KL and code a/d/f/h/n/sa/su"
EXTRA_COLUMNS = ("number",)


def parse_path(path: Path) -> dict | str:
    """Parse a SAVEE clip path (flat Kaggle name or ``SPEAKER/code.wav``); row fields or the problem.

    Notebook: 04_datasets.ipynb
    """
    stem = path.stem
    m = _FLAT.match(stem)
    if m:
        speaker, code, number = m.groups()
    else:
        m = _NESTED.match(stem)
        if not m:
            return f"not a SAVEE name ({_SCHEME})"
        code, number = m.groups()
        speaker = path.parent.name
        if speaker not in SPEAKERS:
            return f"clip name without speaker and its folder '{speaker}' is not DC/JE/JK/KL ({_SCHEME})"
    if speaker not in SPEAKERS:
        return f"speaker {speaker} is not DC, JE, JK or KL"
    n = int(number)
    limit = 30 if code == "n" else 15
    if not 1 <= n <= limit:
        return f"sentence number {number} is outside 01..{limit} for code '{code}'"
    return {"speaker": f"{NAME}-{speaker}", "gender": "male", "emotion": LABEL_MAP[NAME][code],
            "label": code, "number": n}


def load(folder: Path):
    """Table of every SAVEE clip under ``folder`` (the corpus folder; either layout).

    Notebook: 04_datasets.ipynb
    """
    folder = Path(folder)
    rows, problems = [], []
    for path in audio_files(folder):
        parsed = parse_path(path)
        if isinstance(parsed, str):
            problems.append(f"{relative(path, folder)}: {parsed}")
            continue
        rows.append({"path": str(path), **parsed})
    return make_table(rows, NAME, problems, extra_columns=EXTRA_COLUMNS)
