"""Predict the emotion of a clip or a signal with a trained model (the shipped one by default).

Three calls cover every use, from the command line to the live demo::

    model = load_model()                      # models/ser-mlp.skops, checked and safe
    pred = predict_file(model, "clip.wav")    # Prediction(emotion=..., probabilities=...)
    pred = predict_signal(model, y, sr=16000) # a recording already in memory

Only scikit-learn, numpy and the feature code are imported: predicting with a
scikit-learn model never loads TensorFlow.

Notebook: 05_mlp_grid_search.ipynb (and 08_live_demo.ipynb)
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from serlib.config import MODELS_DIR, SAMPLE_RATE
from serlib.errors import AudioError, ModelError

#: File name of the shipped model inside ``models/`` (plus its ``.json`` sidecar).
DEFAULT_MODEL = "ser-mlp.skops"


@dataclass
class Prediction:
    """One prediction: the winning ``emotion`` and a probability per emotion.

    ``file`` is set by :func:`predict_file`. ``to_dict()`` gives the JSON form that
    ``serlib predict --json`` prints.

    Notebook: 05_mlp_grid_search.ipynb
    """

    emotion: str
    probabilities: dict[str, float] = field(default_factory=dict)
    file: str | None = None

    def to_dict(self) -> dict:
        out = {"file": self.file} if self.file is not None else {}
        out.update(emotion=self.emotion,
                   probabilities={k: round(float(v), 4) for k, v in self.probabilities.items()})
        return out

    def top(self, n: int = 3) -> list[tuple[str, float]]:
        """The ``n`` most probable emotions with their probabilities, best first."""
        return sorted(self.probabilities.items(), key=lambda kv: -kv[1])[:n]


def default_model_path() -> Path:
    """Where the shipped model lives (``models/ser-mlp.skops`` in the repository)."""
    return MODELS_DIR / DEFAULT_MODEL


def load_model(path: str | os.PathLike | None = None):
    """Load a saved model; ``None`` loads the shipped one from ``models/``.

    Raises :class:`~serlib.errors.ModelError` when the file is missing, unsafe, or was
    written for other feature settings or another scikit-learn major version (the
    message says how to retrain it).

    Notebook: 05_mlp_grid_search.ipynb
    """
    from serlib.models import io

    path = Path(path) if path is not None else default_model_path()
    if path.suffix == ".keras":
        try:
            from serlib.models import keras_base
        except ImportError as exc:
            raise ModelError(f"{path}: a Keras model needs TensorFlow and "
                             f"serlib.models.keras_base ({exc})") from exc
        return keras_base.load(path)
    return io.load(path)


def features_for(model, y: np.ndarray, sr: int = SAMPLE_RATE):
    """The feature row(s) ``model`` expects for one signal (shape ``(1, ...)``, or a tuple).

    Notebook: 05_mlp_grid_search.ipynb
    """
    from serlib import features
    from serlib.audio import resample

    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 2:  # (samples, channels) → mono
        y = y.mean(axis=1) if y.shape[1] <= 8 else y.mean(axis=0)
    if y.ndim != 1 or y.size == 0:
        raise AudioError("the signal is empty (no samples); record or load a clip first")
    if not np.all(np.isfinite(y)):
        raise AudioError("the signal contains NaN or infinite values; check the recording")
    if sr != SAMPLE_RATE:
        y = resample(y, int(sr), SAMPLE_RATE)
    kind = getattr(model, "feature_kind", None) or "stats"
    kinds = kind.split("+")
    computed = features.compute(y, kinds)
    rows = tuple(np.asarray(computed[k])[None, ...] for k in kinds)
    return rows[0] if len(rows) == 1 else rows


def predict_signal(model, y: np.ndarray, sr: int = SAMPLE_RATE) -> Prediction:
    """Predict the emotion of a signal ``y`` sampled at ``sr`` Hz (any rate, mono).

    Notebook: 05_mlp_grid_search.ipynb
    """
    X = features_for(model, y, sr)
    proba = np.asarray(model.predict_proba(X))[0]
    classes = [str(c) for c in model.classes_]
    best = int(np.argmax(proba))
    return Prediction(classes[best], {c: float(p) for c, p in zip(classes, proba)})


def predict_file(model, path: str | os.PathLike) -> Prediction:
    """Load an audio file (any format :func:`serlib.audio.load` reads) and predict it.

    Notebook: 05_mlp_grid_search.ipynb
    """
    from serlib.audio import load

    y = load(path)
    pred = predict_signal(model, y, SAMPLE_RATE)
    pred.file = str(path)
    return pred
