"""Load a corpus by name from a data root: the one entry point the notebooks use.

Notebook: 04_datasets.ipynb
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path

from serlib import config
from serlib.datasets.corpora import CORPORA, canonical_name, download_advice
from serlib.datasets.table import audio_files
from serlib.errors import DatasetError


def name_list(value) -> list[str]:
    """Corpus or emotion names as a list: ``"RAVDESS, tess"`` → ``["ravdess", "tess"]``.

    Accepts a comma-separated string (as the command line gives), a list, or ``None``
    (an empty list); names are stripped and lower-cased, empty ones dropped.

    Notebook: 04_datasets.ipynb
    """
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    return [v.strip().lower() for v in value if v and v.strip()]


def corpus_folder(name: str, root: str | os.PathLike | None = None) -> Path:
    """The folder of corpus ``name`` inside the data root (not checked).

    Notebook: 04_datasets.ipynb
    """
    return config.data_root(root) / canonical_name(name)


def load_corpus(name: str, root: str | os.PathLike | None = None):
    """Table of every clip of one corpus: path, corpus, speaker, gender, emotion, label, extras.

    ``root`` is the data root (default: ``$SERLIB_DATA``, else the repo's ``data/``); the
    corpus is read from ``root/name`` in its official layout. File names that do not
    follow the corpus' scheme are listed in ``df.attrs["problems"]`` and left out;
    remarks that are not problems (e.g. a missing demographics file) are in
    ``df.attrs["notes"]``. Raises :class:`~serlib.errors.DatasetError` when the folder
    is missing or holds no clips, saying where it looked and how to download.

    Notebook: 04_datasets.ipynb
    """
    key = canonical_name(name)
    base = config.data_root(root)
    folder = (base / key).absolute()
    if not folder.is_dir():
        raise DatasetError(f"{CORPORA[key]['full_name']} ({key}) not found: there is no folder "
                           f"{folder}. {download_advice(key, base)}")
    module = importlib.import_module(f"serlib.datasets.{key}")
    df = module.load(folder)
    if len(df) == 0:
        found = sum(1 for _ in audio_files(folder))
        what = (f"none of its {found} audio files follows the {key} naming scheme "
                f"(first problems: {'; '.join(df.attrs['problems'][:3])})" if found
                else "it holds no .wav or .flac files")
        raise DatasetError(f"{key}: the folder {folder} exists but {what}. "
                           f"{download_advice(key, base)}")
    df.attrs["root"] = str(base)
    return df


def available_corpora(root: str | os.PathLike | None = None) -> list[str]:
    """Names of the corpora whose folder exists in the data root and holds audio files.

    Notebook: 04_datasets.ipynb
    """
    base = config.data_root(root)
    found = []
    for name in CORPORA:
        folder = base / name
        if folder.is_dir() and next(audio_files(folder), None) is not None:
            found.append(name)
    return found


def load_corpora(names, root: str | os.PathLike | None = None):
    """Several corpora in one table (rows of each corpus in turn); problems are merged.

    ``names`` is a list of corpus names, or ``"all"`` / ``None`` for every available one.
    Columns a corpus lacks are empty (NaN) for its rows.

    Notebook: 04_datasets.ipynb
    """
    import pandas as pd

    if names is None or names == "all":
        names = available_corpora(root)
    elif isinstance(names, str):
        names = [names]
    if not names:
        raise DatasetError(f"no corpus found in {config.data_root(root)}. "
                           f"Run `serlib datasets download ravdess` or set SERLIB_DATA.")
    frames = [load_corpus(n, root) for n in names]
    problems = [f"{f.attrs['corpus']}: {p}" for f in frames for p in f.attrs["problems"]]
    notes = [f"{f.attrs['corpus']}: {p}" for f in frames for p in f.attrs["notes"]]
    for f in frames:
        f.attrs = {}
    df = pd.concat(frames, ignore_index=True, sort=False)
    df.attrs.update({"corpus": "+".join(canonical_name(n) for n in names),
                     "problems": problems, "notes": notes, "root": str(config.data_root(root))})
    return df


def load_sample():
    """The bundled RAVDESS sample in the repo's ``data/ravdess`` (6 actors, 360 clips).

    Notebook: 04_datasets.ipynb
    """
    return load_corpus("ravdess", config.BUNDLED_DATA)
