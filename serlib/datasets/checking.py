"""Check a data root: per corpus, how many clips, speakers, seconds and emotions, and what is wrong.

Durations come from each file's header (``soundfile.info``), so checking the three
development corpora (4775 clips) takes a second or two, not a decoding pass.

Notebook: 04_datasets.ipynb
"""
from __future__ import annotations

import os

from serlib import config
from serlib.datasets.corpora import CORPORA, canonical_name
from serlib.datasets.loading import load_corpus
from serlib.datasets.table import emotion_counts, relative
from serlib.errors import DatasetError


def clip_seconds(path) -> float:
    """Duration of one audio file in seconds from its header; raises on unreadable files.

    Notebook: 04_datasets.ipynb
    """
    import soundfile as sf

    info = sf.info(str(path))
    if info.samplerate <= 0:
        raise RuntimeError("sample rate 0 in header")
    return info.frames / info.samplerate


def check_corpus(name: str, root: str | os.PathLike | None = None) -> dict:
    """``{"clips", "speakers", "seconds", "emotions", "problems", "left_out"}`` for one
    corpus in the root.

    Unreadable or empty audio files are added to the problems (and not counted).
    ``left_out`` counts the problems that left something out of the table (a clip with
    an unknown name, a disagreeing folder, unreadable audio, a label file not
    understood); the others (e.g. TESS's "kept; speaker ... taken from its folder")
    name a clip that is still in the table.

    Notebook: 04_datasets.ipynb
    """
    df = load_corpus(name, root)
    folder = config.data_root(root) / canonical_name(name)
    problems = list(df.attrs.get("problems", []))
    seconds, keep = 0.0, []
    for path in df["path"]:
        try:
            dur = clip_seconds(path)
        except Exception as exc:  # soundfile raises several types for bad files
            problems.append(f"{relative(path, folder)}: unreadable audio ({exc})")
            keep.append(False)
            continue
        if dur <= 0:
            problems.append(f"{relative(path, folder)}: empty audio (0 samples)")
            keep.append(False)
            continue
        seconds += dur
        keep.append(True)
    ok = df[keep]
    kept = {relative(path, folder) for path in ok["path"]}
    return {"clips": int(len(ok)), "speakers": int(ok["speaker"].nunique()),
            "seconds": round(seconds, 2), "emotions": emotion_counts(ok["emotion"]),
            "problems": problems, "left_out": sum(not _names_kept_clip(p, kept) for p in problems)}


def _names_kept_clip(problem: str, kept: set[str]) -> bool:
    """True when a problem line (``"<clip>: <what>"``) is about a clip still in the table."""
    clip, sep, _ = problem.partition(": ")
    return bool(sep) and clip in kept


def check(root: str | os.PathLike | None = None, corpora=None) -> dict:
    """Check every corpus present in the data root (or those named in ``corpora``).

    Returns ``{corpus: {"clips": n, "speakers": n, "seconds": s, "emotions": {emotion: n},
    "problems": [...], "left_out": n}}`` (see :func:`check_corpus`); corpora absent from
    the root are left out (named ones that are absent raise
    :class:`~serlib.errors.DatasetError`). A corpus folder holding no usable clip appears
    with 0 clips and the reason among its problems (``left_out`` 1).

    Notebook: 04_datasets.ipynb
    """
    base = config.data_root(root)
    if corpora is None:
        names = [n for n in CORPORA if (base / n).is_dir()]
    else:
        names = [canonical_name(n) for n in ([corpora] if isinstance(corpora, str) else corpora)]
    report = {}
    for name in names:
        try:
            report[name] = check_corpus(name, base)
        except DatasetError as exc:
            if corpora is not None and not (base / name).is_dir():
                raise
            report[name] = {"clips": 0, "speakers": 0, "seconds": 0.0, "emotions": {},
                            "problems": [str(exc)], "left_out": 1}
    return report
