"""Speaker adaptation: judge a new voice against the statistics of its own takes.

Notebook 06 showed that z-normalising every speaker's features with that speaker's own
clips is worth about ten points on unseen speakers: it removes what is constant about a
voice *and about the microphone and room it comes through* (pitch range, vocal tract,
loudness, the colouration of a cheap microphone) and keeps how each take differs from
that person's average. It needs no labels, only several takes of the same person - and a
classroom session has them: a student reacts to eight or more pictures.

With few takes the speaker's average is a poor estimate (with one take, the take *is* the
average). So the statistics are **shrunk towards the training population's**, as in
empirical-Bayes estimation::

    mean = (n * takes_mean + k * population_mean) / (n + k)
    var  = (takes_sum_of_squares + k_sd * population_within_var) / (n - 1 + k_sd)

where ``n`` is the number of takes and ``k`` says how many takes the population's
average is worth. ``k`` is not tuned on anything: per feature it is the ratio of the
within-speaker to the between-speaker variance of the training data (a feature on which
speakers differ a lot gets a small ``k``: trust the takes soon). With no takes at all
the model sees the population-normalised features, which is the "no adaptation" verdict.

:class:`SpeakerPrior` holds the population's statistics (saved with a model, in its
sidecar); :class:`SpeakerAdapter` collects one speaker's takes during a session;
:func:`simulate_adaptation` makes training rows normalised with as few takes as a session
has, so the model learns to cope with rough statistics.

Only takes in which speech was heard enter the statistics (a silent or unusable take is
never added; the callers check with :func:`serlib.speech.check_speech` first).

Notebook: 10_live_demo.ipynb (speaker z-normalisation itself: 06_mlp_grid_search.ipynb)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

#: How many takes the population's standard deviation is worth (a fixed, a-priori
#: choice: after about five takes a speaker's own spread dominates).
SD_STRENGTH = 5.0
#: Bounds on the per-feature strength ``k`` of the population mean.
MIN_STRENGTH, MAX_STRENGTH = 0.25, 20.0
#: Smallest standard deviation used to divide by.
_EPS = 1e-8


@dataclass(frozen=True)
class SpeakerPrior:
    """The training population's feature statistics, for shrinking a new speaker's.

    ``mean``: average of the training speakers' means; ``sd``: typical within-speaker
    standard deviation (root mean square over speakers); ``strength``: per feature, how
    many takes ``mean`` is worth (within- over between-speaker variance); ``sd_strength``:
    how many takes ``sd`` is worth.

    Notebook: 10_live_demo.ipynb
    """

    mean: np.ndarray
    sd: np.ndarray
    strength: np.ndarray
    sd_strength: float = SD_STRENGTH

    @classmethod
    def fit(cls, X: np.ndarray, groups: Sequence, *, sd_strength: float = SD_STRENGTH) -> "SpeakerPrior":
        """Estimate the prior from training features ``X`` (clips × features) and each
        clip's speaker (or speaker-and-microphone session) in ``groups``."""
        X = np.asarray(X, dtype=np.float64)
        groups = np.asarray(groups).astype(str)
        names = sorted(set(groups.tolist()))
        if len(names) < 2:
            raise ValueError("a speaker prior needs clips of at least two speakers")
        means, variances, sizes = [], [], []
        for g in names:
            rows = X[groups == g]
            means.append(rows.mean(axis=0))
            sizes.append(len(rows))
            if len(rows) > 1:  # a one-clip group says nothing about the spread within
                variances.append(rows.var(axis=0, ddof=1))
        if not variances:
            raise ValueError("a speaker prior needs at least one speaker with two or more "
                             "clips (the spread within a speaker cannot be measured otherwise)")
        means, variances, sizes = np.array(means), np.array(variances), np.array(sizes, float)
        within = variances.mean(axis=0)
        # Variance of the speaker means, less what the finite number of clips adds to it.
        between = means.var(axis=0, ddof=1) - within * float(np.mean(1.0 / sizes))
        with np.errstate(invalid="ignore", divide="ignore"):
            strength = within / np.maximum(between, within / MAX_STRENGTH)
        # A feature constant in training (0/0): trust the population's mean fully.
        strength = np.where(np.isfinite(strength), strength, MAX_STRENGTH)
        return cls(mean=means.mean(axis=0), sd=np.sqrt(np.maximum(within, _EPS ** 2)),
                   strength=np.clip(strength, MIN_STRENGTH, MAX_STRENGTH),
                   sd_strength=float(sd_strength))

    # ------------------------------------------------------------------ statistics
    def statistics(self, takes: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, sd)`` for a speaker whose takes so far are the rows of ``takes``
        (``None`` or no rows: the population's own)."""
        if takes is None or len(takes) == 0:
            return self.mean, self.sd
        takes = np.asarray(takes, dtype=np.float64).reshape(len(takes), -1)
        n = float(len(takes))
        own = takes.mean(axis=0)
        mean = (n * own + self.strength * self.mean) / (n + self.strength)
        squares = ((takes - own) ** 2).sum(axis=0)
        var = (squares + self.sd_strength * self.sd ** 2) / (n - 1.0 + self.sd_strength)
        return mean, np.sqrt(var)

    def normalize(self, X: np.ndarray, takes: np.ndarray | None = None) -> np.ndarray:
        """``X`` z-normalised with the statistics of ``takes`` (see :meth:`statistics`)."""
        mean, sd = self.statistics(takes)
        return (np.asarray(X, dtype=np.float64) - mean) / np.maximum(sd, _EPS)

    # ------------------------------------------------------------------ saving
    def to_dict(self) -> dict:
        """JSON-ready form (stored in a model's sidecar under ``speaker_adaptation``)."""
        return {"mean": [float(v) for v in self.mean], "sd": [float(v) for v in self.sd],
                "strength": [float(v) for v in self.strength], "sd_strength": self.sd_strength}

    @classmethod
    def from_dict(cls, data) -> "SpeakerPrior":
        """The prior saved by :meth:`to_dict`. Raises :class:`~serlib.errors.ModelError`
        (the sidecar is damaged, with what to do) when it is not one."""
        from serlib.errors import ModelError

        redo = ("; the model's sidecar (.json) is damaged or was edited - copy it again or "
                "retrain the model with `serlib train --recipe robust`")
        if not isinstance(data, dict):
            raise ModelError(f"speaker_adaptation: a {type(data).__name__}, not a table{redo}")
        missing = [k for k in ("mean", "sd", "strength") if k not in data]
        if missing:
            raise ModelError(f"speaker_adaptation: no {', '.join(missing)}{redo}")
        try:
            arrays = {k: np.asarray(data[k], dtype=np.float64) for k in ("mean", "sd", "strength")}
            sd_strength = float(data.get("sd_strength", SD_STRENGTH))
        except (TypeError, ValueError):
            raise ModelError(f"speaker_adaptation: values that are not numbers{redo}") from None
        if not (arrays["mean"].ndim == 1 and arrays["mean"].shape == arrays["sd"].shape
                == arrays["strength"].shape):
            raise ModelError(f"speaker_adaptation: mean, sd and strength differ in length{redo}")
        if not (all(np.all(np.isfinite(a)) for a in arrays.values()) and np.isfinite(sd_strength)
                and np.all(arrays["sd"] >= 0) and np.all(arrays["strength"] >= 0)
                and sd_strength >= 0):
            raise ModelError(f"speaker_adaptation: negative, NaN or infinite values{redo}")
        return cls(sd_strength=sd_strength, **arrays)


def prior_of(model) -> SpeakerPrior | None:
    """The :class:`SpeakerPrior` a model was trained with (from its sidecar metadata),
    or ``None`` for a model trained without speaker normalisation.

    Notebook: 10_live_demo.ipynb
    """
    cached = getattr(model, "_speaker_prior", None)
    if cached is not None:
        return cached
    meta = getattr(model, "metadata", None)
    data = meta.get("speaker_adaptation") if isinstance(meta, dict) else None
    if not data:
        return None
    prior = SpeakerPrior.from_dict(data)
    n_in = getattr(model, "n_features_in_", None)
    if isinstance(n_in, (int, np.integer)) and prior.mean.size != int(n_in):
        from serlib.errors import ModelError

        raise ModelError(f"speaker_adaptation: {prior.mean.size} features, but the model reads "
                         f"{int(n_in)}; the sidecar (.json) belongs to another model - copy the "
                         "pair again or retrain with `serlib train --recipe robust`")
    try:
        model._speaker_prior = prior
    except AttributeError:  # pragma: no cover - a model class with __slots__
        pass
    return prior


class SpeakerAdapter:
    """One speaker's takes during a session, and the normalisation they give.

    ``add(x)`` keeps a take's feature vector (only takes in which speech was heard should
    be added); ``normalize(X)`` z-normalises with the shrunk statistics of the takes kept
    so far (:meth:`SpeakerPrior.statistics`).

    Notebook: 10_live_demo.ipynb
    """

    def __init__(self, prior: SpeakerPrior):
        self.prior = prior
        self._takes: list[np.ndarray] = []

    @property
    def n_takes(self) -> int:
        """How many takes the statistics use."""
        return len(self._takes)

    def add(self, x: np.ndarray) -> None:
        """Keep one take's feature vector (shape ``(features,)`` or ``(1, features)``)."""
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        if x.shape != self.prior.mean.shape:
            raise ValueError(f"a take has {x.size} features; this model's prior has "
                             f"{self.prior.mean.size}")
        if not np.all(np.isfinite(x)):
            raise ValueError("a take's features contain NaN or infinite values; it cannot "
                             "enter the speaker statistics")
        self._takes.append(x)

    def takes(self) -> np.ndarray:
        """The kept takes as rows (shape ``(n_takes, features)``)."""
        if not self._takes:
            return np.empty((0, self.prior.mean.size))
        return np.array(self._takes)

    def normalize(self, X: np.ndarray) -> np.ndarray:
        """``X`` normalised with this speaker's statistics so far."""
        return self.prior.normalize(X, self.takes() if self._takes else None)


def normalize_groups(X: np.ndarray, groups: Sequence, prior: SpeakerPrior) -> np.ndarray:
    """Every group's rows normalised with the shrunk statistics of all its rows (what a
    session with every take gives).

    Notebook: 10_live_demo.ipynb
    """
    X = np.asarray(X, dtype=np.float64)
    groups = np.asarray(groups).astype(str)
    out = np.empty_like(X)
    for g in set(groups.tolist()):
        rows = groups == g
        out[rows] = prior.normalize(X[rows], X[rows])
    return out


def normalize_with_takes(X: np.ndarray, groups: Sequence, prior: SpeakerPrior, n_takes: int,
                         rng=None, *, rows: np.ndarray | None = None) -> np.ndarray:
    """Each row normalised with ``n_takes`` *other* rows of its group drawn at random
    (unlabelled, as the earlier takes of a session); ``n_takes=0`` normalises with the
    prior alone (no adaptation). The judged row is not among its own takes: as in a
    session, a take is judged against the speaker's earlier takes, so that it cannot
    cancel its own deviation from them. A group with fewer other rows uses all it has. With ``rows``
    (indices) only those rows are normalised and returned, in that order.

    This is how the benchmark adapts to a test speaker: the takes come from the
    speaker's other clips, never from the judged clip's label.

    Notebook: 10_live_demo.ipynb
    """
    X = np.asarray(X, dtype=np.float64)
    rows = np.arange(len(X)) if rows is None else np.asarray(rows, dtype=int)
    if n_takes <= 0:
        return prior.normalize(X[rows])
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    groups = np.asarray(groups).astype(str)
    out = np.empty((len(rows), X.shape[1]))
    members = {g: np.flatnonzero(groups == g) for g in set(groups[rows].tolist())}
    for j, i in enumerate(rows):
        others = members[groups[i]]
        others = others[others != i]
        pick = rng.choice(others, size=min(n_takes, len(others)), replace=False)
        out[j] = prior.normalize(X[i], X[pick] if len(pick) else None)
    return out


def simulate_adaptation(X: np.ndarray, groups: Sequence, prior: SpeakerPrior, *,
                        takes: Sequence[int] = (0, 1, 3, 8), rng=None) -> np.ndarray:
    """Training rows normalised as a session would: each row with a number of takes drawn
    from ``takes`` (``-1`` meaning all rows of its group). Stacking this with
    :func:`normalize_groups` teaches a model to cope with the rough statistics of the
    first takes of a session.

    Notebook: 10_live_demo.ipynb
    """
    X = np.asarray(X, dtype=np.float64)
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    choice = rng.choice(np.asarray(takes), size=len(X))
    out = np.empty_like(X)
    full = normalize_groups(X, groups, prior) if np.any(choice < 0) else None
    for n in sorted(set(choice.tolist())):
        rows = np.flatnonzero(choice == n)
        out[rows] = full[rows] if n < 0 else normalize_with_takes(X, groups, prior, int(n), rng,
                                                                  rows=rows)
    return out
