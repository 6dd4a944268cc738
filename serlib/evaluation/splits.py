"""How to split clips into training and test parts, and why the choice matters.

* :func:`random_split` - a stratified random split. Clips of the same actor land on both
  sides, so the model is partly tested on voices it has already heard: optimistic.
* :func:`speaker_folds` - speaker-independent k-fold: every speaker is in exactly one test
  fold, and every fold holds both genders (RAVDESS: 6 folds of 4 actors, 2 + 2).
* :func:`loso_splits` - leave one speaker out (EMO-DB: 10 folds).
* :func:`inner_cv` - the folds that model selection uses *inside* a training part:
  grouped by speaker again, so grid search never sees the test fold and never rewards
  memorising a voice. It lives in :mod:`serlib.models.selection` (the models layer uses
  it and must not import this one) and is re-exported here.

Every function returns a list of ``(train_index, test_index)`` pairs of integer arrays.

Notebook: 06_mlp_grid_search.ipynb
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from serlib.datasets.table import assign_speaker_folds  # noqa: F401  (re-exported: splits' public API)
from serlib.models.selection import inner_cv  # noqa: F401 - re-exported (moved down a layer)

Split = tuple[np.ndarray, np.ndarray]


def random_split(y: Sequence, test_size: float = 0.25, seed: int = 0,
                 stratify: bool = True) -> list[Split]:
    """One stratified random train/test split (``test_size`` share in the test part).

    The indices come in the order ``sklearn.model_selection.train_test_split`` returns
    them, so ``X[train]`` is exactly the ``X_train`` that ``train_test_split(X, y,
    test_size=..., random_state=seed, stratify=y)`` gives (and a model trained on it is
    the same model).

    Notebook: 06_mlp_grid_search.ipynb
    """
    from sklearn.model_selection import train_test_split

    y = np.asarray(y)
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be between 0 and 1, got {test_size}")
    idx = np.arange(len(y))
    tr, te = train_test_split(idx, test_size=test_size, random_state=seed,
                              stratify=y if stratify else None)
    return [(tr, te)]  # in train_test_split's order, so X[tr] equals its X_train


def speaker_folds(speakers: Sequence[str], genders: Sequence[str] | None = None,
                  k: int = 6, seed: int = 0) -> list[Split]:
    """Speaker-independent k-fold splits: no speaker is ever on both sides.

    Notebook: 06_mlp_grid_search.ipynb
    """
    speakers = np.asarray(speakers).astype(str)
    fold_of = assign_speaker_folds(speakers, genders, k=k, seed=seed)
    fold = np.array([fold_of[s] for s in speakers])
    idx = np.arange(len(speakers))
    return [(idx[fold != f], idx[fold == f]) for f in range(k)]


def loso_splits(speakers: Sequence[str]) -> list[Split]:
    """Leave-one-speaker-out: one fold per speaker, in sorted speaker order.

    Notebook: 06_mlp_grid_search.ipynb
    """
    speakers = np.asarray(speakers).astype(str)
    idx = np.arange(len(speakers))
    unique = sorted(set(speakers.tolist()))
    if len(unique) < 2:
        raise ValueError("leave-one-speaker-out needs at least two speakers")
    return [(idx[speakers != s], idx[speakers == s]) for s in unique]


def check_disjoint(speakers: Sequence[str], splits: list[Split]) -> None:
    """Raise ``ValueError`` if any speaker appears in both parts of a split.

    Notebook: 06_mlp_grid_search.ipynb
    """
    speakers = np.asarray(speakers).astype(str)
    for n, (tr, te) in enumerate(splits):
        both = set(speakers[tr].tolist()) & set(speakers[te].tolist())
        if both:
            raise ValueError(f"fold {n}: speakers {sorted(both)} are in train and test")


def speaker_normalize(X: np.ndarray, speakers: Sequence[str]) -> np.ndarray:
    """z-normalise every feature per speaker, using only that speaker's own clips.

    A standard step in speaker-independent emotion recognition: it removes what is
    constant about a voice (pitch range, vocal tract length, microphone) and keeps how
    each clip differs from that speaker's average. It needs no labels, but on test
    speakers it is transductive (all of a speaker's clips are looked at before any is
    judged), and it assumes that each speaker's clips span the emotions: a speaker heard
    in one emotion only has that emotion as their average and loses it (notebook 06,
    section 4.1 shows it). For a live voice heard take by take, see
    :mod:`serlib.adaptation`, which uses only earlier takes, shrunk towards the training
    speakers' statistics.

    Notebook: 06_mlp_grid_search.ipynb
    """
    X = np.asarray(X, dtype=float)
    speakers = np.asarray(speakers).astype(str)
    out = np.empty_like(X)
    for s in set(speakers.tolist()):
        rows = speakers == s
        mu = X[rows].mean(axis=0)
        sd = X[rows].std(axis=0)
        out[rows] = (X[rows] - mu) / np.where(sd > 1e-8, sd, 1.0)
    return out
