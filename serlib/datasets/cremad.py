"""CREMA-D: Crowd-sourced Emotional Multimodal Actors Dataset (91 actors, 12 sentences, 6 emotions).

Official layout (GitHub ``CheyneyComputerScience/CREMA-D``, Git LFS):
``AudioWAV/1001_DFA_ANG_XX.wav`` and ``VideoDemographics.csv``; a flat folder of clips
is read too. File names are ``ACTOR_SENTENCE_EMOTION_LEVEL``: actor 1001-1091,
sentence code (table :data:`SENTENCES`), emotion ANG DIS FEA HAP NEU SAD, and level
LO (low) MD (medium) HI (high) XX/X (unspecified).

Gender, age, race and ethnicity come from ``VideoDemographics.csv`` (columns
ActorID, Age, Sex, Race, Ethnicity) when it is found anywhere in the corpus folder;
without it gender is ``"unknown"`` and a note says so.

Notebook: 04_datasets.ipynb
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

from serlib.datasets.table import audio_files, make_table, relative
from serlib.datasets.vocabulary import LABEL_MAP

NAME = "cremad"

#: Sentence code -> sentence, from the CREMA-D documentation.
SENTENCES = {
    "IEO": "It's eleven o'clock",
    "TIE": "That is exactly what happened",
    "IOM": "I'm on my way to the meeting",
    "IWW": "I wonder what this is about",
    "TAI": "The airplane is almost full",
    "MTI": "Maybe tomorrow it will be cold",
    "IWL": "I would like a new alarm clock",
    "ITH": "I think I have a doctor's appointment",
    "DFA": "Don't forget a jacket",
    "ITS": "I think I've seen this before",
    "TSI": "The surface is slick",
    "WSI": "We'll stop in a couple of minutes",
}
LEVELS = {"LO": "low", "MD": "medium", "HI": "high", "XX": "unspecified", "X": "unspecified"}
_PATTERN = re.compile(r"^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{1,2})$")
_SCHEME = "expected ACTOR_SENTENCE_EMOTION_LEVEL, e.g. 1001_DFA_ANG_XX.wav"
EXTRA_COLUMNS = ("actor", "sentence", "text", "level", "age", "race", "ethnicity")


def parse_name(stem: str) -> dict | str:
    """Parse one CREMA-D file stem; row fields or a string saying what is wrong.

    Notebook: 04_datasets.ipynb
    """
    m = _PATTERN.match(stem)
    if not m:
        return f"not a CREMA-D name ({_SCHEME})"
    actor, sentence, emo, level = m.groups()
    if not 1001 <= int(actor) <= 1091:
        return f"actor {actor} is not 1001..1091"
    if sentence not in SENTENCES:
        return f"sentence code {sentence} is not one of {' '.join(SENTENCES)}"
    if emo not in LABEL_MAP[NAME]:
        return f"emotion {emo} is not one of ANG DIS FEA HAP NEU SAD"
    if level not in LEVELS:
        return f"level {level} is not LO, MD, HI or XX"
    return {"speaker": f"{NAME}-{actor}", "emotion": LABEL_MAP[NAME][emo], "label": emo,
            "actor": int(actor), "sentence": sentence, "text": SENTENCES[sentence],
            "level": LEVELS[level]}


def read_demographics(path: Path) -> dict[int, dict]:
    """Read ``VideoDemographics.csv``: actor id -> {gender, age, race, ethnicity}.

    Notebook: 04_datasets.ipynb
    """
    out: dict[int, dict] = {}
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for rec in csv.DictReader(fh):
            rec = {(k or "").strip(): (v or "").strip() for k, v in rec.items()}
            try:
                actor = int(rec["ActorID"])
            except (KeyError, ValueError):
                continue
            sex = rec.get("Sex", "").lower()
            age = rec.get("Age", "")
            out[actor] = {
                "gender": sex if sex in ("male", "female") else "unknown",
                "age": int(age) if age.isdigit() else None,
                "race": rec.get("Race") or None,
                "ethnicity": rec.get("Ethnicity") or None,
            }
    return out


def load(folder: Path):
    """Table of every CREMA-D clip under ``folder`` (the corpus folder; ``AudioWAV/`` or flat).

    Notebook: 04_datasets.ipynb
    """
    folder = Path(folder)
    rows, problems, notes = [], [], []
    demo_file = next(iter(sorted(folder.rglob("VideoDemographics.csv"))), None)
    demographics = read_demographics(demo_file) if demo_file else {}
    if demo_file is None:
        notes.append("VideoDemographics.csv not found: gender is 'unknown' for every clip "
                     "(put it in the cremad folder; `serlib datasets download cremad` fetches it)")
    for path in audio_files(folder):
        parsed = parse_name(path.stem)
        if isinstance(parsed, str):
            problems.append(f"{relative(path, folder)}: {parsed}")
            continue
        info = demographics.get(parsed["actor"])
        if info is None and demographics:
            notes.append(f"actor {parsed['actor']} is not in VideoDemographics.csv: gender unknown")
        info = info or {"gender": "unknown", "age": None, "race": None, "ethnicity": None}
        rows.append({"path": str(path), **parsed, **info})
    notes = list(dict.fromkeys(notes))
    return make_table(rows, NAME, problems, notes, extra_columns=EXTRA_COLUMNS)
