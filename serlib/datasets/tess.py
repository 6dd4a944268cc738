"""TESS: the Toronto Emotional Speech Set (two actresses, 200 target words, 7 emotions).

Official layout (Borealis, doi:10.5683/SP2/E8H2MF, also the common Kaggle copy)::

    TESS_Toronto_emotional_speech_set_data/OAF_angry/OAF_back_angry.wav
    TESS_Toronto_emotional_speech_set_data/YAF_pleasant_surprise/YAF_back_ps.wav

File names are ``SPEAKER_WORD_EMOTION``: speaker ``OAF`` (older actress, aged 64) or
``YAF`` (younger actress, aged 26); emotion ``angry disgust fear happy neutral ps sad``
(``ps`` = pleasant surprise). Each sentence is "Say the word WORD". Folder names vary
between copies (``YAF_pleasant_surprised``, ``OAF_Fear``) and the outer folder may be
missing: the loader reads labels from the file name and uses the folder only to
cross-check. Real quirk: the official release has one file named ``OA_bite_neutral``
in ``OAF_neutral``; it is kept (speaker from its folder) and reported.

Notebook: 04_datasets.ipynb
"""
from __future__ import annotations

import re
from pathlib import Path

from serlib.datasets.table import audio_files, make_table, relative
from serlib.datasets.vocabulary import LABEL_MAP

NAME = "tess"
SPEAKERS = {"OAF": {"age": 64, "gender": "female"}, "YAF": {"age": 26, "gender": "female"}}
_FOLDER = re.compile(r"^(OAF|YAF)_(.+)$", re.IGNORECASE)
_FOLDER_EMOTIONS = {"angry": "angry", "disgust": "disgust", "fear": "fear", "happy": "happy",
                    "neutral": "neutral", "sad": "sad", "ps": "ps", "pleasant_surprise": "ps",
                    "pleasant_surprised": "ps", "surprise": "ps", "surprised": "ps"}
_SCHEME = "expected SPEAKER_WORD_EMOTION with speaker OAF/YAF and emotion " \
          "angry/disgust/fear/happy/neutral/ps/sad, e.g. OAF_back_angry.wav"
EXTRA_COLUMNS = ("word", "age", "text")


def _folder_info(path: Path) -> tuple[str | None, str | None]:
    """(speaker, emotion code) from an ``OAF_angry``-style parent folder, else (None, None)."""
    m = _FOLDER.match(path.parent.name)
    if not m:
        return None, None
    return m.group(1).upper(), _FOLDER_EMOTIONS.get(m.group(2).lower())


def parse_name(stem: str) -> dict | str:
    """Parse one TESS file stem; return row fields or a string saying what is wrong.

    Notebook: 04_datasets.ipynb
    """
    parts = stem.split("_")
    if len(parts) < 3:
        return f"not a TESS name ({_SCHEME})"
    speaker, word, code = parts[0].upper(), "_".join(parts[1:-1]), parts[-1].lower()
    if code not in LABEL_MAP[NAME]:
        return f"emotion '{parts[-1]}' is not one of TESS' codes ({_SCHEME})"
    if not word:
        return f"no target word ({_SCHEME})"
    return {"speaker_code": speaker, "word": word.lower(), "label": code}


def load(folder: Path):
    """Table of every TESS clip under ``folder`` (the corpus folder; any depth).

    Notebook: 04_datasets.ipynb
    """
    folder = Path(folder)
    rows, problems = [], []
    for path in audio_files(folder):
        rel = relative(path, folder)
        parsed = parse_name(path.stem)
        if isinstance(parsed, str):
            problems.append(f"{rel}: {parsed}")
            continue
        dir_speaker, dir_code = _folder_info(path)
        speaker = parsed.pop("speaker_code")
        if speaker not in SPEAKERS:
            if dir_speaker is None:
                problems.append(f"{rel}: speaker '{speaker}' is not OAF or YAF ({_SCHEME})")
                continue
            problems.append(f"{rel}: kept; speaker prefix '{speaker}' is not OAF/YAF, "
                            f"speaker {dir_speaker} taken from its folder {path.parent.name}")
            speaker = dir_speaker
        elif dir_speaker is not None and dir_speaker != speaker:
            problems.append(f"{rel}: speaker {speaker} disagrees with its folder {path.parent.name}")
            continue
        if dir_code is not None and dir_code != parsed["label"]:
            problems.append(f"{rel}: emotion '{parsed['label']}' disagrees with its folder "
                            f"{path.parent.name}")
            continue
        rows.append({
            "path": str(path),
            "speaker": f"{NAME}-{speaker}",
            "gender": SPEAKERS[speaker]["gender"],
            "emotion": LABEL_MAP[NAME][parsed["label"]],
            "label": parsed["label"],
            "word": parsed["word"],
            "age": SPEAKERS[speaker]["age"],
            "text": f"Say the word {parsed['word']}",
        })
    return make_table(rows, NAME, problems, extra_columns=EXTRA_COLUMNS)
