"""Predict the emotion of a clip or a signal with a trained model (the shipped one by default).

Three calls cover every use, from the command line to the live demo::

    model = load_model()                      # models/ser-mlp.skops, checked and safe
    pred = predict_file(model, "clip.wav")    # Prediction(emotion=..., probabilities=...)
    pred = predict_signal(model, y, sr=16000) # a recording already in memory

The shipped model comes with a portable export (``models/ser-mlp.npz``, see
:mod:`serlib.models.portable`): :func:`load_model` checks its SHA-256 against the
sidecar and predicts with numpy alone, so ``serlib predict`` imports neither
scikit-learn nor TensorFlow (only numpy and the feature code, i.e. librosa and SciPy).
Other scikit-learn models load through skops; a Keras model loads TensorFlow.

Notebook: 05_mlp_grid_search.ipynb (and 08_live_demo.ipynb)
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from serlib.config import SAMPLE_RATE, default_model_path
from serlib.errors import AudioError, ModelError


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


def load_model(path: str | os.PathLike | None = None, *, portable: bool = True):
    """Load a saved model; ``None`` loads the shipped one from ``models/``.

    For a ``.skops`` model whose sidecar names a portable export lying beside it (the
    shipped model's ``ser-mlp.npz``), the export is returned - after the same checks of
    the sidecar as :func:`serlib.models.io.load` makes (format, feature settings) and a
    check of its SHA-256 - and scikit-learn is never imported. If the export is missing
    or its hash does not match (a warning says so), the ``.skops`` model is loaded.
    ``portable=False`` always loads the full scikit-learn model.

    Raises :class:`~serlib.errors.ModelError` when the file is missing, unsafe, or was
    written for other feature settings or (checked when the ``.skops`` file is loaded)
    another scikit-learn major version; the message says how to retrain it.

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
    if portable:
        model = _load_portable(path)
        if model is not None:
            return model
    return io.load(path)


def _load_portable(path: Path):
    """The portable export named by ``path``'s sidecar, checked; ``None`` to load the
    ``.skops`` file instead (no export, missing file, hash mismatch)."""
    from serlib.models import io, portable

    if path.suffix != ".skops" or not io.sidecar(path).is_file():
        return None
    meta = io.read_metadata(path)
    entry = meta.get("portable")
    if not isinstance(entry, dict) or not entry.get("file"):
        return None
    npz = path.parent / Path(str(entry["file"])).name  # beside the model, never elsewhere
    if not npz.is_file():
        return None
    io.check_compatible(meta, path, sklearn_version=False)
    fallback = f"loading {path.name} with scikit-learn instead (slower to start)"
    if portable.file_sha256(npz) != entry.get("sha256"):
        warnings.warn(f"{npz.name}: its SHA-256 does not match the one recorded in "
                      f"{io.sidecar(path).name}, so the file changed after it was exported; "
                      f"{fallback}", UserWarning, stacklevel=3)
        return None
    try:
        model = portable.load(npz)
    except ModelError as exc:
        warnings.warn(f"{exc}; {fallback}", UserWarning, stacklevel=3)
        return None
    if (model.emotions != [str(e) for e in meta.get("emotions", model.emotions)]
            or model.feature_kind != meta.get("feature_kind", model.feature_kind)):
        warnings.warn(f"{npz.name}: its emotions or feature kind differ from "
                      f"{io.sidecar(path).name}; {fallback}", UserWarning, stacklevel=3)
        return None
    model.metadata = meta
    model.path = path
    return model


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
