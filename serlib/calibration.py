"""Do the model's percentages mean what they say? Calibration: measure it, then fix it.

A classifier is *calibrated* when, among the clips it judges with 80 % confidence, about
80 % are right. Neural networks trained to minimise cross-entropy are often
over-confident: their top probability is higher than their accuracy (Guo et al., 2017).
Three tools measure it and one fixes it:

* :func:`reliability_bins` sorts the clips into equal-width bins of top-label confidence
  and gives each bin's mean confidence and accuracy; :func:`plot_reliability` draws them
  as a *reliability diagram* (a calibrated model lies on the diagonal).
* :func:`expected_calibration_error` (ECE) is the bins' gap ``|accuracy - confidence|``
  weighted by how many clips fall in each bin: one number, 0 for a calibrated model.
* *Temperature scaling* divides the network's logits by one number ``T`` before the
  softmax: ``T > 1`` softens over-confident probabilities, ``T < 1`` sharpens timid ones.
  The winning class never changes (accuracy stays the same), only how sure the model
  says it is. :func:`fit_temperature` chooses ``T`` by minimising the negative
  log-likelihood on labelled clips - which must be clips of *training* speakers (held out
  from the fit that produced their probabilities), never the test speakers the diagram is
  drawn on. :func:`apply_temperature` applies it to probabilities.

For a softmax output, ``log p`` equals the logits up to a constant per row, so scaling the
log-probabilities by ``1 / T`` and renormalising is exactly temperature scaling of the
logits; this module therefore works from probabilities as the models give them.

Reference: C. Guo, G. Pleiss, Y. Sun, K. Q. Weinberger (2017), *On Calibration of Modern
Neural Networks*, ICML, PMLR 70:1321-1330 (temperature scaling: section 4.2; ECE and
reliability diagrams: section 2).

Notebook: 09_claims.ipynb
"""
from __future__ import annotations

import numpy as np

#: The range :func:`fit_temperature` searches (``log T`` bounded to it).
T_MIN, T_MAX = 0.05, 20.0
#: Probabilities are clipped to at least this before taking logarithms.
EPS = 1e-12


def _labels_to_index(y_true, n_classes: int, classes=None) -> np.ndarray:
    """``y_true`` as column indices ``0 .. n_classes-1``; names need ``classes``."""
    y = np.asarray(y_true)
    if y.ndim != 1:
        raise ValueError(f"y_true must be one label per row (1-D), got shape {y.shape}")
    if classes is not None:
        names = [str(c) for c in classes]
        if len(names) != n_classes:
            raise ValueError(f"classes names {len(names)} emotions but the probabilities have "
                             f"{n_classes} columns; give one name per column")
        lookup = {c: i for i, c in enumerate(names)}
        unknown = sorted({str(v) for v in y.tolist()} - set(lookup))
        if unknown:
            raise ValueError(f"y_true holds labels that are not among the classes "
                             f"{names}: {unknown}")
        return np.array([lookup[str(v)] for v in y.tolist()], dtype=int)
    if y.dtype.kind not in "iu":
        if y.dtype.kind == "f" and y.size and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
            y = y.astype(int)
        else:
            raise ValueError("y_true must hold column indices (integers 0 .. n_classes-1); "
                             "for emotion names pass classes=model.classes_ as well")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(f"y_true holds indices outside 0 .. {n_classes - 1} (the probability "
                         f"columns): min {y.min()}, max {y.max()}")
    return y.astype(int)


def _check_probs(probs, name: str = "probs") -> np.ndarray:
    """A checked 2-D float array of probabilities (rows sum to 1)."""
    P = np.asarray(probs, dtype=np.float64)
    if P.ndim == 1:
        raise ValueError(f"{name} must be 2-D (one row per clip, one column per class), got "
                         f"a 1-D array of {P.size}; for a single clip use probs[None, :]")
    if P.ndim != 2 or P.shape[1] < 2:
        raise ValueError(f"{name} must have shape (clips, classes) with at least 2 classes, "
                         f"got shape {P.shape}")
    if P.shape[0] == 0:
        raise ValueError(f"{name} is empty (0 rows): there is nothing to calibrate")
    if not np.all(np.isfinite(P)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if P.min() < 0 or P.max() > 1:
        raise ValueError(f"{name} must lie in [0, 1] (got {P.min():.3g} .. {P.max():.3g}); "
                         "for logits use fit_temperature(..., from_probs=False)")
    sums = P.sum(axis=1)
    if not np.allclose(sums, 1.0, atol=1e-4):
        bad = int(np.argmax(np.abs(sums - 1)))
        raise ValueError(f"{name}: each row must sum to 1 (row {bad} sums to {sums[bad]:.4f}); "
                         "pass the model's predict_proba output")
    return P


def _check_pair(probs, y_true, classes=None):
    P = _check_probs(probs)
    y = _labels_to_index(y_true, P.shape[1], classes)
    if len(y) != len(P):
        raise ValueError(f"probs has {len(P)} rows but y_true has {len(y)} labels; give one "
                         "label per row")
    return P, y


def _log_softmax(Z: np.ndarray) -> np.ndarray:
    Z = Z - Z.max(axis=1, keepdims=True)
    return Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))


def _check_temperature(T) -> float:
    try:
        T = float(T)
    except (TypeError, ValueError):
        raise ValueError(f"the temperature must be a number > 0, got {T!r}") from None
    if not np.isfinite(T) or T <= 0:
        raise ValueError(f"the temperature must be a finite number > 0, got {T!r} "
                         "(T = 1 leaves the probabilities unchanged)")
    return T


def apply_temperature(probs, T: float) -> np.ndarray:
    """``probs`` (clips x classes, rows summing to 1) after temperature scaling by ``T``:
    ``softmax(log(probs) / T)``. ``T = 1`` returns the probabilities unchanged, ``T > 1``
    softens them, ``T < 1`` sharpens them; the most probable class stays the same.
    A 1-D array (one clip) is accepted and returned 1-D.

    Temperature scaling: Guo et al. (2017), On Calibration of Modern Neural Networks, ICML.
    Notebook: 09_claims.ipynb
    """
    T = _check_temperature(T)
    P = np.asarray(probs, dtype=np.float64)
    one = P.ndim == 1
    P = _check_probs(P[None, :] if one else P)
    if T == 1.0:
        out = P.copy()
    else:
        out = np.exp(_log_softmax(np.log(np.clip(P, EPS, None)) / T))
    return out[0] if one else out


def _nll(logits: np.ndarray, y: np.ndarray, T: float, w: np.ndarray | None = None) -> float:
    logp = _log_softmax(logits / T)[np.arange(len(y)), y]
    return float(-np.average(logp, weights=w))


def fit_temperature(probs_or_logits, y_true, *, from_probs: bool = True, classes=None,
                    sample_weight=None) -> float:
    """The temperature ``T > 0`` that minimises the negative log-likelihood of ``y_true``.

    ``probs_or_logits``: clips x classes, either probabilities (``from_probs=True``, rows
    summing to 1; their logarithms serve as logits) or logits (``from_probs=False``).
    ``y_true``: column indices, or emotion names together with ``classes`` (the columns'
    names, e.g. ``model.classes_``). ``log T`` is searched in ``[log 0.05, log 20]``
    (SciPy's bounded scalar minimiser; the NLL is smooth in ``log T``). Fit it on clips of
    *training* speakers that the model producing the probabilities did not train on
    (out-of-fold), never on the speakers you then measure calibration on.
    ``sample_weight`` (one non-negative number per row) weights the log-likelihood, e.g.
    ``1 / clips of the row's speaker`` so that every voice counts once.

    Raises :class:`ValueError` for inputs of the wrong shape, labels outside the columns,
    NaN, or probabilities that do not sum to 1.

    Temperature scaling: Guo et al. (2017), On Calibration of Modern Neural Networks, ICML,
    section 4.2. Notebook: 09_claims.ipynb
    """
    from scipy.optimize import minimize_scalar

    if from_probs:
        P, y = _check_pair(probs_or_logits, y_true, classes)
        logits = np.log(np.clip(P, EPS, None))
    else:
        logits = np.asarray(probs_or_logits, dtype=np.float64)
        if logits.ndim != 2 or logits.shape[1] < 2 or logits.shape[0] == 0:
            raise ValueError(f"logits must have shape (clips, classes) with at least 2 classes "
                             f"and 1 clip, got shape {logits.shape}")
        if not np.all(np.isfinite(logits)):
            raise ValueError("logits contain NaN or infinite values")
        y = _labels_to_index(y_true, logits.shape[1], classes)
        if len(y) != len(logits):
            raise ValueError(f"logits has {len(logits)} rows but y_true has {len(y)} labels")
    w = None
    if sample_weight is not None:
        w = np.asarray(sample_weight, dtype=np.float64)
        if w.shape != (len(y),) or not np.all(np.isfinite(w)) or w.min() < 0 or w.sum() <= 0:
            raise ValueError(f"sample_weight must be {len(y)} finite numbers >= 0 (one per row, "
                             "not all 0)")
    res = minimize_scalar(lambda s: _nll(logits, y, float(np.exp(s)), w),
                          bounds=(np.log(T_MIN), np.log(T_MAX)), method="bounded",
                          options={"xatol": 1e-5})
    return float(np.exp(res.x))


def reliability_bins(probs, y_true, n_bins: int = 10, *, classes=None):
    """The reliability diagram's numbers: clips sorted by top-label confidence into
    ``n_bins`` equal-width bins of ``(0, 1]``; one row per bin with ``bin_lower``,
    ``bin_upper``, ``confidence`` (mean top probability), ``accuracy`` (share of clips
    whose top class is right) and ``count`` (NaN confidence/accuracy in empty bins).
    ``y_true``: column indices, or names with ``classes``.

    Reliability diagrams: Guo et al. (2017), On Calibration of Modern Neural Networks, ICML,
    section 2. Notebook: 09_claims.ipynb
    """
    import pandas as pd

    if not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a whole number >= 1, got {n_bins!r}")
    P, y = _check_pair(probs, y_true, classes)
    conf = P.max(axis=1)
    right = (P.argmax(axis=1) == y).astype(float)
    edges = np.linspace(0.0, 1.0, int(n_bins) + 1)
    # bin (lower, upper]; a confidence of exactly 0 cannot occur for a top label
    idx = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)
    rows = []
    for b in range(int(n_bins)):
        m = idx == b
        n = int(m.sum())
        rows.append({"bin_lower": edges[b], "bin_upper": edges[b + 1],
                     "confidence": float(conf[m].mean()) if n else float("nan"),
                     "accuracy": float(right[m].mean()) if n else float("nan"),
                     "count": n})
    return pd.DataFrame(rows, columns=["bin_lower", "bin_upper", "confidence", "accuracy",
                                       "count"])


def expected_calibration_error(probs, y_true, n_bins: int = 10, *, classes=None) -> float:
    """Top-label expected calibration error with ``n_bins`` equal-width bins:
    ``sum_b (n_b / n) * |accuracy_b - confidence_b|`` (0 = calibrated; a fraction, not %).

    Guo et al. (2017), On Calibration of Modern Neural Networks, ICML, equation (3).
    Notebook: 09_claims.ipynb
    """
    bins = reliability_bins(probs, y_true, n_bins, classes=classes)
    full = bins[bins["count"] > 0]
    n = full["count"].sum()
    return float((full["count"] / n * (full["accuracy"] - full["confidence"]).abs()).sum())


def plot_reliability(probs, y_true, ax=None, n_bins: int = 10, label: str | None = None, *,
                     classes=None):
    """A reliability diagram: accuracy against mean confidence per bin (markers sized by
    the clips in the bin, joined by a line) beside the diagonal of a calibrated model;
    the legend gives the ECE. Call it twice on one ``ax`` (``label=`` "before" / "after")
    to compare. Returns ``(fig, ax)``.

    Guo et al. (2017), On Calibration of Modern Neural Networks, ICML, figure 1.
    Notebook: 09_claims.ipynb
    """
    import matplotlib.pyplot as plt

    bins = reliability_bins(probs, y_true, n_bins, classes=classes)
    ece = expected_calibration_error(probs, y_true, n_bins, classes=classes)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 5))
    else:
        fig = ax.figure
    if not getattr(ax, "_serlib_diagonal", False):
        ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="calibrated")
        ax._serlib_diagonal = True
    full = bins[bins["count"] > 0]
    sizes = 20 + 200 * full["count"] / max(1, full["count"].max())
    text = f"{label + ': ' if label else ''}ECE {100 * ece:.1f} %"
    line, = ax.plot(full["confidence"], full["accuracy"], "-", lw=1.5, label=text)
    ax.scatter(full["confidence"], full["accuracy"], s=sizes, color=line.get_color(),
               zorder=3, alpha=0.8)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (top probability)")
    ax.set_ylabel("accuracy (share right)")
    ax.set_aspect("equal")
    ax.legend(loc="upper left", fontsize=8)
    return fig, ax


def temperature_of(model) -> float:
    """The temperature stored in a model's sidecar (``"calibration": {"temperature": T}``),
    or 1.0 for a model without one (probabilities then stay as the network gives them).

    Notebook: 09_claims.ipynb
    """
    meta = getattr(model, "metadata", None)
    entry = meta.get("calibration") if isinstance(meta, dict) else None
    if not isinstance(entry, dict) or entry.get("temperature") is None:
        return 1.0
    try:
        return _check_temperature(entry["temperature"])
    except ValueError as exc:
        from serlib.errors import ModelError

        raise ModelError(f"calibration.temperature in the model's sidecar: {exc}; the sidecar "
                         "is damaged - copy the model again or retrain it with "
                         "`serlib train --recipe robust`") from None


def calibrated_proba(model, X) -> np.ndarray:
    """``model.predict_proba(X)`` with the model's stored temperature applied
    (:func:`temperature_of`; unchanged for a model without one). What
    :func:`serlib.predict.predict_signal` and the demo's verdicts show.

    Notebook: 09_claims.ipynb
    """
    P = np.asarray(model.predict_proba(X), dtype=np.float64)
    T = temperature_of(model)
    return P if T == 1.0 else apply_temperature(P, T)
