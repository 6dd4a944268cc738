"""Folds for model selection *inside* a training part: speaker-grouped inner cross-validation.

A grid search that validates on clips of speakers it also trains on rewards memorising
voices. :func:`inner_cv` splits the training clips into validation folds grouped by
speaker, so every hyper-parameter is chosen on voices the candidate has not heard - and
the test fold of the outer protocol (:mod:`serlib.evaluation.splits`) is never looked at.
:class:`~serlib.models.classical.GridSearchClassifier` uses these folds; the evaluation
layer re-exports them as ``serlib.evaluation.splits.inner_cv``.

Notebook: 06_mlp_grid_search.ipynb
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

Split = tuple[np.ndarray, np.ndarray]


def inner_cv(y: Sequence, groups: Sequence | None = None, n_splits: int = 4,
             seed: int = 0) -> list[Split]:
    """Validation folds for model selection inside a training part.

    With ``groups`` (speakers) the folds are speaker-grouped (``GroupKFold``, at most
    one fold per speaker); without, stratified by emotion. Use them as ``cv=`` for
    ``GridSearchCV``.

    Notebook: 06_mlp_grid_search.ipynb
    """
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    y = np.asarray(y)
    idx = np.zeros(len(y))
    if groups is not None:
        groups = np.asarray(groups).astype(str)
        n = min(n_splits, len(set(groups.tolist())))
        if n >= 2:
            try:
                cv = GroupKFold(n_splits=n, shuffle=True, random_state=seed)
            except TypeError:  # scikit-learn < 1.6 has no shuffling GroupKFold
                cv = GroupKFold(n_splits=n)
            return [(tr, te) for tr, te in cv.split(idx, y, groups)]
    counts = np.unique(y, return_counts=True)[1]
    n = max(2, min(n_splits, int(counts.min()) if len(counts) else 2))
    cv = StratifiedKFold(n_splits=n, shuffle=True, random_state=seed)
    return [(tr, te) for tr, te in cv.split(idx, y)]
