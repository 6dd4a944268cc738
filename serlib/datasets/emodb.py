"""EMO-DB: the Berlin Database of Emotional Speech (10 actors, 10 German sentences, 7 emotions).

Official layout (``download.zip`` from the authors' site): ``wav/03a01Fa.wav``, plus
``erkennung.txt`` (perception test results). File names are ``SSTTTEV``: speaker
(2 digits), text code (``a01``, ``b10``, ...), emotion letter (German initial:
W Wut/anger, L Langeweile/boredom, E Ekel/disgust, A Angst/fear, F Freude/happiness,
T Trauer/sadness, N neutral) and version letter (a, b, c, ...).

Notebook: 04_datasets.ipynb
"""
from __future__ import annotations

import re
from pathlib import Path

from serlib.datasets.table import audio_files, make_table, relative
from serlib.datasets.vocabulary import LABEL_MAP

NAME = "emodb"

#: Speaker code -> (gender, age in years), from the EMO-DB documentation.
SPEAKERS = {
    "03": ("male", 31), "08": ("female", 34), "09": ("female", 21), "10": ("male", 32),
    "11": ("male", 26), "12": ("male", 30), "13": ("female", 32), "14": ("female", 35),
    "15": ("male", 25), "16": ("female", 31),
}

#: Text code -> German sentence, from the EMO-DB documentation.
TEXTS = {
    "a01": "Der Lappen liegt auf dem Eisschrank.",
    "a02": "Das will sie am Mittwoch abgeben.",
    "a04": "Heute abend könnte ich es ihm sagen.",
    "a05": "Das schwarze Stück Papier befindet sich da oben neben dem Holzstück.",
    "a07": "In sieben Stunden wird es soweit sein.",
    "b01": "Was sind denn das für Tüten, die da unter dem Tisch stehen?",
    "b02": "Sie haben es gerade hochgetragen und jetzt gehen sie wieder runter.",
    "b03": "An den Wochenenden bin ich jetzt immer nach Hause gefahren und habe Agnes besucht.",
    "b09": "Ich will das eben wegbringen und dann mit Karl was trinken gehen.",
    "b10": "Die wird auf dem Platz sein, wo wir sie immer hinlegen.",
}

_PATTERN = re.compile(r"^(\d\d)([ab]\d\d)([A-Z])([a-z])$")
_SCHEME = "expected SSTTTEV, e.g. 03a01Fa.wav (speaker, text code, emotion letter, version)"
EXTRA_COLUMNS = ("text_code", "text", "version", "age", "recognition", "naturalness")


def parse_name(stem: str) -> dict | str:
    """Parse one EMO-DB file stem; return row fields or a string saying what is wrong.

    Notebook: 04_datasets.ipynb
    """
    m = _PATTERN.match(stem)
    if not m:
        return f"not an EMO-DB name ({_SCHEME})"
    spk, text, emo, version = m.groups()
    if spk not in SPEAKERS:
        return f"speaker {spk} is not one of {' '.join(SPEAKERS)}"
    if text not in TEXTS:
        return f"text code {text} is not one of {' '.join(TEXTS)}"
    if emo not in LABEL_MAP[NAME]:
        return f"emotion letter {emo} is not one of W L E A F T N"
    gender, age = SPEAKERS[spk]
    return {"speaker": f"{NAME}-{spk}", "gender": gender, "emotion": LABEL_MAP[NAME][emo],
            "label": emo, "text_code": text, "text": TEXTS[text], "version": version, "age": age}


def read_recognition(path: Path) -> dict[str, tuple[float, float]]:
    """Read ``erkennung.txt``: file stem -> (recognition %, naturalness %).

    The file is Latin-1, tab-separated, with decimal commas and non-breaking-space
    padding: ``1  <tab>03a01Ab.wav<tab>65,00  <tab>35,00``.

    Notebook: 04_datasets.ipynb
    """
    out: dict[str, tuple[float, float]] = {}
    text = Path(path).read_bytes().decode("latin-1")
    for line in text.splitlines():
        cells = [c.replace("\xa0", " ").strip() for c in line.split("\t")]
        if len(cells) < 4 or not cells[1].lower().endswith((".wav", ".flac")):
            continue
        try:
            rate = float(cells[2].replace(",", "."))
            natural = float(cells[3].replace(",", "."))
        except ValueError:
            continue
        out[Path(cells[1]).stem] = (rate, natural)
    return out


def load(folder: Path):
    """Table of every EMO-DB clip under ``folder`` (the corpus folder, clips in ``wav/``).

    Joins ``erkennung.txt`` (recognition rate and naturalness, in percent) when present.

    Notebook: 04_datasets.ipynb
    """
    folder = Path(folder)
    rows, problems, notes = [], [], []
    for path in audio_files(folder):
        parsed = parse_name(path.stem)
        if isinstance(parsed, str):
            problems.append(f"{relative(path, folder)}: {parsed}")
            continue
        rows.append({"path": str(path), **parsed})
    rec_file = next((p for p in (folder / "erkennung.txt", folder / "Erkennung.txt") if p.is_file()), None)
    if rec_file is not None:
        try:
            scores = read_recognition(rec_file)
        except OSError as exc:
            scores = {}
            notes.append(f"erkennung.txt could not be read ({exc}); recognition left empty")
        for row in rows:
            rate, natural = scores.get(Path(row["path"]).stem, (float("nan"), float("nan")))
            row["recognition"], row["naturalness"] = rate, natural
    else:
        notes.append("no erkennung.txt beside wav/: recognition and naturalness left empty")
        for row in rows:
            row["recognition"] = row["naturalness"] = float("nan")
    return make_table(rows, NAME, problems, notes, extra_columns=EXTRA_COLUMNS)
