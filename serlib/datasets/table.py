"""What every corpus loader shares: finding audio files, collecting problems, building the table.

A loader walks its corpus folder, parses each file name by the corpus' documented
scheme and hands rows to :func:`make_table`. Files whose names do not follow the
scheme are never guessed: they go into ``df.attrs["problems"]`` (one line each,
naming the file and what is wrong) and are left out of the table.

Notebook: 04_datasets.ipynb
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from serlib.datasets.vocabulary import EMOTIONS

#: File extensions a loader accepts (compared case-insensitively).
AUDIO_EXTENSIONS = (".wav", ".flac")

#: The columns every corpus table starts with, in this order.
BASE_COLUMNS = ("path", "corpus", "speaker", "gender", "emotion", "label")

#: Folders and files that archive tools add and that are never clips.
_JUNK_DIRS = {"__MACOSX", ".ipynb_checkpoints", ".git"}


def is_audio(path: Path) -> bool:
    """True for a ``.wav`` or ``.flac`` file name (any case), excluding hidden files.

    Notebook: 04_datasets.ipynb
    """
    return path.suffix.lower() in AUDIO_EXTENSIONS and not path.name.startswith(".")


def audio_files(folder: Path, recursive: bool = True) -> Iterator[Path]:
    """Every audio file under ``folder`` in sorted order (skips ``__MACOSX`` and hidden files).

    Notebook: 04_datasets.ipynb
    """
    folder = Path(folder)
    if not recursive:
        for p in sorted(folder.iterdir()):
            if p.is_file() and is_audio(p):
                yield p
        return
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in _JUNK_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            p = Path(dirpath) / name
            if is_audio(p):
                yield p


def relative(path: Path, folder: Path) -> str:
    """``path`` relative to ``folder`` as a POSIX string (for short problem messages).

    Notebook: 04_datasets.ipynb
    """
    try:
        return Path(path).relative_to(folder).as_posix()
    except ValueError:
        return str(path)


def make_table(rows: Iterable[dict], corpus: str, problems: list[str] | None = None,
               notes: list[str] | None = None, extra_columns: Iterable[str] = ()):
    """Build a corpus table (pandas DataFrame) from parsed rows.

    Columns start with :data:`BASE_COLUMNS`, then ``extra_columns`` in the given order,
    then any other keys the rows carry. Rows are sorted by path so that two runs give
    the same table. ``problems`` and ``notes`` go into ``df.attrs``.

    Notebook: 04_datasets.ipynb
    """
    import pandas as pd

    rows = list(rows)
    columns = list(BASE_COLUMNS) + [c for c in extra_columns if c not in BASE_COLUMNS]
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    df = pd.DataFrame(rows, columns=columns)
    if len(df):
        df = df.sort_values("path", kind="stable").reset_index(drop=True)
    df["corpus"] = corpus
    df.attrs["corpus"] = corpus
    df.attrs["problems"] = list(problems or [])
    df.attrs["notes"] = list(notes or [])
    return df


def emotion_counts(emotions: Iterable[str]) -> dict[str, int]:
    """``{emotion: n}`` in the shared vocabulary's teaching order (absent emotions left out).

    Notebook: 04_datasets.ipynb
    """
    counts: dict[str, int] = {}
    for e in emotions:
        counts[e] = counts.get(e, 0) + 1
    order = {e: i for i, e in enumerate(EMOTIONS)}
    return {e: counts[e] for e in sorted(counts, key=lambda e: (order.get(e, len(order)), e))}


def assign_speaker_folds(speakers: Sequence[str], genders: Sequence[str] | None = None,
                         k: int = 6, seed: int = 0) -> dict[str, int]:
    """Give every speaker a fold number 0..k-1, balancing genders across folds.

    Speakers are grouped by gender; each group is shuffled with ``seed`` and dealt out
    round-robin, the second group continuing where the first stopped. With RAVDESS's
    12 women and 12 men and ``k=6`` every fold gets two of each. The same arguments
    always give the same folds.

    It lives with the corpus table (below the models and the evaluation) so that both the
    shipped recipe's calibration folds and the evaluation protocols deal speakers alike.

    Notebook: 06_mlp_grid_search.ipynb
    """
    speakers = np.asarray(speakers).astype(str)
    unique = sorted(set(speakers.tolist()))
    if k < 2:
        raise ValueError(f"need at least 2 folds, got k={k}")
    if len(unique) < k:
        raise ValueError(f"only {len(unique)} speakers for {k} speaker folds; "
                         f"use at most {len(unique)} folds (or --protocol random)")
    gender_of: dict[str, str] = {}
    if genders is not None:
        for s, g in zip(speakers.tolist(), np.asarray(genders).astype(str).tolist()):
            gender_of.setdefault(s, g)
    rng = np.random.default_rng(seed)
    folds: dict[str, int] = {}
    position = 0
    for gender in sorted(set(gender_of.get(s, "") for s in unique)):
        group = [s for s in unique if gender_of.get(s, "") == gender]
        order = rng.permutation(len(group))
        for i in order:
            folds[group[i]] = position % k
            position += 1
    return folds
