"""Scores for a classifier's predictions: accuracy, UAR, macro F1, kappa, MCC, confusion.

Accuracy alone flatters a model on unbalanced data (EMO-DB has twice as many angry
clips as disgusted ones). The *unweighted average recall* (UAR, the mean of the
per-class recalls, scikit-learn's ``balanced_accuracy_score``) gives each emotion the
same weight and is the figure the speech-emotion literature reports.

Notebook: 06_mlp_grid_search.ipynb
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

#: The scores :func:`scores` returns, in the order tables show them.
SCORE_NAMES = ("accuracy", "uar", "macro_f1", "kappa", "mcc")


def _labels(y_true, y_pred, labels: Sequence[str] | None) -> list[str]:
    if labels is not None:
        return list(labels)
    return sorted(set(np.asarray(y_true).tolist()) | set(np.asarray(y_pred).tolist()))


def scores(y_true, y_pred, labels: Sequence[str] | None = None) -> dict[str, float]:
    """Accuracy, UAR (balanced accuracy), macro F1, Cohen's kappa and MCC as plain floats.

    ``labels`` fixes which classes count for macro F1 (default: all that occur in
    either argument). Chance level is 1/number-of-classes for accuracy and UAR, and 0
    for kappa and MCC.

    Notebook: 06_mlp_grid_search.ipynb
    """
    from sklearn.metrics import (accuracy_score, balanced_accuracy_score, cohen_kappa_score,
                                 f1_score, matthews_corrcoef, recall_score)

    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}; "
                         "pass the predictions for exactly the test clips")
    if len(y_true) == 0:
        raise ValueError("no test clips to score; check the split and the emotion filter")
    labs = _labels(y_true, y_pred, labels)
    present = [lab for lab in labs if np.any(y_true == lab)]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one-class folds: kappa/MCC undefined → 0
        uar = (balanced_accuracy_score(y_true, y_pred) if labels is None else
               float(np.mean(recall_score(y_true, y_pred, labels=present, average=None,
                                          zero_division=0))))
        out = {
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "uar": float(uar),
            "macro_f1": float(f1_score(y_true, y_pred, labels=present, average="macro",
                                       zero_division=0)),
            "kappa": float(np.nan_to_num(cohen_kappa_score(y_true, y_pred))),
            "mcc": float(np.nan_to_num(matthews_corrcoef(y_true, y_pred))),
        }
    return out


def confusion(y_true, y_pred, labels: Sequence[str] | None = None,
              normalize: bool = False) -> np.ndarray:
    """Confusion matrix: rows are the true emotions, columns the predicted ones.

    With ``normalize=True`` every row is divided by its total, so the diagonal holds
    each emotion's recall (rows with no clips stay zero).

    Notebook: 06_mlp_grid_search.ipynb
    """
    from sklearn.metrics import confusion_matrix

    labs = _labels(y_true, y_pred, labels)
    cm = confusion_matrix(np.asarray(y_true), np.asarray(y_pred), labels=labs)
    if not normalize:
        return cm
    totals = cm.sum(axis=1, keepdims=True)
    return np.divide(cm, totals, out=np.zeros(cm.shape, dtype=float), where=totals > 0)


def per_class_report(y_true, y_pred, labels: Sequence[str] | None = None):
    """Precision, recall, F1 and support per emotion as a pandas DataFrame.

    Notebook: 06_mlp_grid_search.ipynb
    """
    import pandas as pd
    from sklearn.metrics import precision_recall_fscore_support

    labs = _labels(y_true, y_pred, labels)
    p, r, f, s = precision_recall_fscore_support(np.asarray(y_true), np.asarray(y_pred),
                                                 labels=labs, zero_division=0)
    return pd.DataFrame({"precision": p, "recall": r, "f1": f, "support": s},
                        index=pd.Index(labs, name="emotion"))


def most_confused(cm: np.ndarray, labels: Sequence[str], top: int = 5) -> list[tuple[str, str, float]]:
    """The ``top`` largest off-diagonal cells of a (row-normalised) confusion matrix.

    Returns ``(true emotion, predicted emotion, share)`` tuples, largest first.

    Notebook: 06_mlp_grid_search.ipynb
    """
    cm = np.asarray(cm, dtype=float)
    cells = [(labels[i], labels[j], float(cm[i, j]))
             for i in range(cm.shape[0]) for j in range(cm.shape[1]) if i != j and cm[i, j] > 0]
    return sorted(cells, key=lambda c: -c[2])[:top]


def plot_confusion(cm: np.ndarray, labels: Sequence[str], normalize: bool = True, ax=None,
                   title: str | None = None, cmap: str = "Blues"):
    """Draw a confusion matrix with the value in each cell; returns ``(fig, ax)``.

    ``cm`` holds counts; with ``normalize=True`` the colours and numbers are row shares
    (recall per true emotion) and the counts are kept for the row totals in the labels.

    Notebook: 06_mlp_grid_search.ipynb
    """
    import matplotlib.pyplot as plt

    cm = np.asarray(cm)
    totals = cm.sum(axis=1)
    shown = (np.divide(cm, totals[:, None], out=np.zeros(cm.shape, dtype=float),
                       where=totals[:, None] > 0) if normalize else cm)
    if ax is None:
        size = 1.0 + 0.55 * len(labels)
        fig, ax = plt.subplots(figsize=(size + 1.2, size))
    else:
        fig = ax.figure
    im = ax.imshow(shown, cmap=cmap, vmin=0, vmax=1 if normalize else max(1, shown.max()))
    cbar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    cbar.set_label("share of the true emotion's clips" if normalize else "clips")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), [f"{lab} ({int(n)})" for lab, n in zip(labels, totals)])
    ax.set_xlabel("predicted emotion")
    ax.set_ylabel("true emotion (clips)")
    threshold = (shown.max() if shown.size else 1) / 2
    for i in range(shown.shape[0]):
        for j in range(shown.shape[1]):
            text = f"{shown[i, j]:.2f}" if normalize else f"{int(shown[i, j])}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if shown[i, j] > threshold else "black")
    if title:
        ax.set_title(title)
    return fig, ax
