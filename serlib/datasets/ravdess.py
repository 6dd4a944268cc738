"""RAVDESS: the Ryerson Audio-Visual Database of Emotional Speech and Song.

Official audio releases (Zenodo record 1188976): ``Audio_Speech_Actors_01-24.zip`` and
``Audio_Song_Actors_01-24.zip``; both unpack to ``Actor_01 .. Actor_24`` folders, so
speech and song clips of one actor share a folder. Every file name has seven
two-digit fields, ``MM-VV-EE-II-SS-RR-AA``:

====  ===============  =======================================================
pos   field            values
====  ===============  =======================================================
1     modality         01 audio-video, 02 video only, 03 audio only
2     vocal channel    01 speech, 02 song
3     emotion          01 neutral, 02 calm, 03 happy, 04 sad, 05 angry,
                       06 fearful, 07 disgust, 08 surprised (song: 01-06 only)
4     intensity        01 normal, 02 strong (neutral has no strong intensity)
5     statement        01 "Kids are talking by the door", 02 "Dogs are sitting by the door"
6     repetition       01, 02
7     actor            01-24; odd numbers are male actors, even numbers female
====  ===============  =======================================================

Notebook: 04_datasets.ipynb
"""
from __future__ import annotations

import re
from pathlib import Path

from serlib.datasets.table import audio_files, make_table, relative
from serlib.datasets.vocabulary import LABEL_MAP

NAME = "ravdess"
MODALITIES = {"01": "audio-video", "02": "video-only", "03": "audio-only"}
VOCAL_CHANNELS = {"01": "speech", "02": "song"}
INTENSITIES = {"01": "normal", "02": "strong"}
STATEMENTS = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}
#: Emotions the song release has (no disgust, no surprised).
SONG_EMOTIONS = {"01", "02", "03", "04", "05", "06"}

_PATTERN = re.compile(r"^(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)$")
_SCHEME = "expected MM-VV-EE-II-SS-RR-AA, seven two-digit fields, e.g. 03-01-05-02-01-01-12.wav"
EXTRA_COLUMNS = ("actor", "modality", "vocal_channel", "intensity", "statement", "repetition", "text")


def parse_name(stem: str) -> dict | str:
    """Parse one RAVDESS file stem; return the row fields, or a string saying what is wrong.

    >>> parse_name("03-01-05-02-01-01-12")["emotion"]
    'angry'

    Notebook: 04_datasets.ipynb
    """
    m = _PATTERN.match(stem)
    if not m:
        return f"not a RAVDESS name ({_SCHEME})"
    mod, voc, emo, inten, stmt, rep, actor = m.groups()
    if mod not in MODALITIES:
        return f"modality {mod} is not 01, 02 or 03"
    if voc not in VOCAL_CHANNELS:
        return f"vocal channel {voc} is not 01 (speech) or 02 (song)"
    if emo not in LABEL_MAP[NAME]:
        return f"emotion code {emo} is not 01..08"
    if inten not in INTENSITIES:
        return f"intensity {inten} is not 01 (normal) or 02 (strong)"
    if emo == "01" and inten == "02":
        return "neutral (01) with strong intensity (02) does not exist in RAVDESS"
    if voc == "02" and emo not in SONG_EMOTIONS:
        return f"song (vocal channel 02) has no emotion {emo} ({LABEL_MAP[NAME][emo]})"
    if stmt not in STATEMENTS:
        return f"statement {stmt} is not 01 or 02"
    if rep not in ("01", "02"):
        return f"repetition {rep} is not 01 or 02"
    n_actor = int(actor)
    if not 1 <= n_actor <= 24:
        return f"actor {actor} is not 01..24"
    return {
        "speaker": f"{NAME}-{actor}",
        "gender": "male" if n_actor % 2 else "female",
        "emotion": LABEL_MAP[NAME][emo],
        "label": emo,
        "actor": n_actor,
        "modality": MODALITIES[mod],
        "vocal_channel": VOCAL_CHANNELS[voc],
        "intensity": INTENSITIES[inten],
        "statement": STATEMENTS[stmt],
        "repetition": int(rep),
        "text": STATEMENTS[stmt],
    }


def load(folder: Path):
    """Table of every RAVDESS clip (speech and song) under ``folder`` (the corpus folder).

    Clips may sit in ``Actor_XX`` folders (official) or anywhere below ``folder``;
    a clip whose actor field disagrees with its ``Actor_XX`` folder is reported, not kept.

    Notebook: 04_datasets.ipynb
    """
    folder = Path(folder)
    rows, problems = [], []
    for path in audio_files(folder):
        parsed = parse_name(path.stem)
        if isinstance(parsed, str):
            problems.append(f"{relative(path, folder)}: {parsed}")
            continue
        parent = re.match(r"^Actor_(\d\d)$", path.parent.name)
        if parent and int(parent.group(1)) != parsed["actor"]:
            problems.append(f"{relative(path, folder)}: actor field {parsed['actor']:02d} "
                            f"disagrees with its folder {path.parent.name}")
            continue
        rows.append({"path": str(path), **parsed})
    return make_table(rows, NAME, problems, extra_columns=EXTRA_COLUMNS)
