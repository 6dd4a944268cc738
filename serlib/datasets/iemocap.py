"""IEMOCAP: the Interactive Emotional Dyadic Motion Capture database (10 actors, 5 sessions).

Official release (licence from USC SAIL): ``Session1 .. Session5``. Labels are read
from ``SessionN/dialog/EmoEvaluation/*.txt``, whose summary lines look like::

    [6.2901 - 8.2357]<TAB>Ses01F_impro01_F000<TAB>neu<TAB>[2.5000, 2.5000, 2.5000]

(start and end in seconds, utterance id, consensus label, [valence, activation,
dominance] on a 1-5 scale). The clip is ``SessionN/sentences/wav/<dialog>/<utterance>.wav``
where ``<dialog>`` is the id without its last ``_`` part. The speaker of an utterance
is the session plus the first letter of the last part (``F000`` -> female), so the
ten actors are ``iemocap-01F`` ... ``iemocap-05M``. Utterances labelled ``xxx`` (the
annotators did not agree) are left out and counted in ``df.attrs["excluded"]``.

Notebook: 04_datasets.ipynb
"""
from __future__ import annotations

import re
from pathlib import Path

from serlib.datasets.table import AUDIO_EXTENSIONS, audio_files, make_table, relative
from serlib.datasets.vocabulary import LABEL_MAP

NAME = "iemocap"
NO_AGREEMENT = "xxx"
_LINE = re.compile(r"^\[\s*([\d.]+)\s*-\s*([\d.]+)\s*\]\s+(\S+)\s+(\S+)\s+\[([^\]]*)\]")
_UTT = re.compile(r"^Ses(\d\d)([FM])_(.+)_([FM])(\d+)$")
EXTRA_COLUMNS = ("session", "dialog", "utterance", "improvised", "start", "end",
                 "valence", "activation", "dominance")


def parse_utterance(utt: str) -> dict | str:
    """Session, dialog and speaker of an utterance id like ``Ses01F_impro01_F000``.

    Notebook: 04_datasets.ipynb
    """
    m = _UTT.match(utt)
    if not m:
        return f"utterance id '{utt}' is not SesNNX_<dialog>_XNNN"
    session, _, _, who, _ = m.groups()
    dialog = utt.rsplit("_", 1)[0]
    return {"session": int(session), "dialog": dialog, "utterance": utt,
            "speaker": f"{NAME}-{session}{who}", "gender": "female" if who == "F" else "male",
            "improvised": "_impro" in dialog}


def read_evaluation(path: Path) -> tuple[list[dict], list[str]]:
    """Summary lines of one ``EmoEvaluation/*.txt`` file: (records, problems).

    Notebook: 04_datasets.ipynb
    """
    records, problems = [], []
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    for line in text.splitlines():
        if not line.startswith("["):
            continue
        m = _LINE.match(line)
        if not m:
            problems.append(f"{path.name}: line not understood: {line.strip()[:80]}")
            continue
        start, end, utt, label, vad = m.groups()
        try:
            v, a, d = (float(x) for x in vad.split(","))
        except ValueError:
            v = a = d = float("nan")
        records.append({"utterance": utt, "label": label, "start": float(start), "end": float(end),
                        "valence": v, "activation": a, "dominance": d})
    return records, problems


def load(folder: Path):
    """Table of every labelled IEMOCAP utterance under ``folder`` (holding ``Session1..5``).

    Notebook: 04_datasets.ipynb
    """
    folder = Path(folder)
    rows, problems, notes = [], [], []
    excluded: dict[str, int] = {}
    labelled: set[str] = set()
    sessions = sorted(p for p in folder.glob("Session*") if p.is_dir())
    if not sessions:
        problems.append(f"no Session1..Session5 folders in {folder}")
    for session in sessions:
        wav_root = session / "sentences" / "wav"
        eval_files = sorted(p for p in (session / "dialog" / "EmoEvaluation").glob("*.txt")
                            if not p.name.startswith("."))
        if not eval_files:
            problems.append(f"{session.name}: no dialog/EmoEvaluation/*.txt label files")
        for ev in eval_files:
            records, bad = read_evaluation(ev)
            problems.extend(f"{session.name}/dialog/EmoEvaluation/{b}" for b in bad)
            for rec in records:
                info = parse_utterance(rec["utterance"])
                if isinstance(info, str):
                    problems.append(f"{relative(ev, folder)}: {info}")
                    continue
                labelled.add(rec["utterance"])
                if rec["label"] == NO_AGREEMENT:
                    excluded[NO_AGREEMENT] = excluded.get(NO_AGREEMENT, 0) + 1
                    continue
                if rec["label"] not in LABEL_MAP[NAME]:
                    problems.append(f"{relative(ev, folder)}: {rec['utterance']}: unknown label "
                                    f"'{rec['label']}'")
                    continue
                audio = None
                for ext in AUDIO_EXTENSIONS:
                    candidate = wav_root / info["dialog"] / f"{rec['utterance']}{ext}"
                    if candidate.is_file():
                        audio = candidate
                        break
                if audio is None:
                    problems.append(f"{relative(wav_root / info['dialog'], folder)}/"
                                    f"{rec['utterance']}.wav: labelled in {ev.name} but missing")
                    continue
                rows.append({"path": str(audio), "emotion": LABEL_MAP[NAME][rec["label"]],
                             **info, **rec})
        if wav_root.is_dir():
            for path in audio_files(wav_root):
                if path.stem not in labelled:
                    problems.append(f"{relative(path, folder)}: no label line in "
                                    f"dialog/EmoEvaluation")
    if excluded:
        notes.append(f"{excluded.get(NO_AGREEMENT, 0)} utterances labelled 'xxx' "
                     f"(no majority among annotators) left out")
    df = make_table(rows, NAME, problems, notes, extra_columns=EXTRA_COLUMNS)
    df.attrs["excluded"] = excluded
    return df
