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

Notebook: 06_mlp_grid_search.ipynb (and 10_live_demo.ipynb)
"""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from serlib.config import SAMPLE_RATE, default_model_path
from serlib.errors import AudioError, AudioWarning, ModelError


@dataclass
class Prediction:
    """One prediction: the winning ``emotion`` and a probability per emotion.

    ``status`` is ``"ok"`` when the model judged the recording, ``"silent"`` when
    :func:`serlib.speech.check_speech` heard no speech in it: then ``emotion`` is
    ``None``, ``probabilities`` is empty and ``reason`` says why and what to do.
    ``level_dbfs``, ``contrast_db`` and ``speech_seconds`` are the speech test's
    measurements. ``warnings`` lists what was wrong with a recording that was still
    judged (a file cut off, samples beyond full scale), one sentence each.
    ``file`` is set by :func:`predict_file`. ``to_dict()`` gives the JSON form that
    ``serlib predict --json`` prints.

    Notebook: 06_mlp_grid_search.ipynb
    """

    emotion: str | None
    probabilities: dict[str, float] = field(default_factory=dict)
    file: str | None = None
    status: str = "ok"
    reason: str | None = None
    level_dbfs: float | None = None
    contrast_db: float | None = None
    speech_seconds: float | None = None
    warnings: list[str] = field(default_factory=list)
    adapt_takes: int | None = None

    @property
    def heard(self) -> bool:
        """True when the model judged the recording (speech was heard)."""
        return self.status == "ok"

    def to_dict(self) -> dict:
        """``{"file", "emotion", "probabilities"}`` for a judged clip, as always; plus
        ``"warnings"`` when there are any, and ``"status"``, ``"reason"`` and the levels
        when nothing was judged (``level_dbfs`` is ``null`` for digital silence)."""
        out = {"file": self.file} if self.file is not None else {}
        out.update(emotion=self.emotion,
                   probabilities={k: round(float(v), 4) for k, v in self.probabilities.items()})
        if not self.heard:
            out.update(status=self.status, reason=self.reason,
                       level_dbfs=_finite_or_none(self.level_dbfs),
                       contrast_db=_finite_or_none(self.contrast_db),
                       speech_seconds=_finite_or_none(self.speech_seconds, 3))
        if self.warnings:
            out["warnings"] = list(self.warnings)
        if self.adapt_takes is not None and self.heard:
            out["adapt_takes"] = int(self.adapt_takes)
        return out

    def top(self, n: int = 3) -> list[tuple[str, float]]:
        """The ``n`` most probable emotions with their probabilities, best first."""
        return sorted(self.probabilities.items(), key=lambda kv: -kv[1])[:n]


def _finite_or_none(value: float | None, digits: int = 2) -> float | None:
    """A number JSON can hold: ``None`` for missing, -inf (digital silence) or NaN."""
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), digits)


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
    another scikit-learn major version, or when its speaker prior is damaged; the message
    says how to retrain it.

    Notebook: 06_mlp_grid_search.ipynb
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
    model = _load_portable(path) if portable else None
    if model is None:
        model = io.load(path)
    from serlib.adaptation import prior_of

    prior_of(model)  # a damaged speaker prior in the sidecar fails here, not at the first take
    from serlib.calibration import temperature_of

    temperature_of(model)  # and so does a damaged temperature
    return model


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


def _mono16k(y: np.ndarray, sr: int) -> np.ndarray:
    """``y`` as a checked 1-D ``float32`` signal at :data:`SAMPLE_RATE`."""
    from serlib.audio import resample

    y = np.asarray(y, dtype=np.float32)
    if y.ndim == 2:  # (samples, channels) → mono
        y = y.mean(axis=1) if y.shape[1] <= 8 else y.mean(axis=0)
    if y.ndim != 1 or y.size == 0:
        raise AudioError("the signal is empty (no samples); record or load a clip first")
    if not np.all(np.isfinite(y)):
        raise AudioError("the signal contains NaN or infinite values; check the recording")
    return resample(y, int(sr), SAMPLE_RATE) if sr != SAMPLE_RATE else y


def features_for(model, y: np.ndarray, sr: int = SAMPLE_RATE):
    """The feature row(s) ``model`` expects for one signal (shape ``(1, ...)``, or a tuple).

    Notebook: 06_mlp_grid_search.ipynb
    """
    from serlib import features

    y = _mono16k(y, sr)
    kind = getattr(model, "feature_kind", None) or "stats"
    kinds = features.kind_parts(kind)
    computed = features.compute(y, kinds)
    rows = tuple(np.asarray(computed[k])[None, ...] for k in kinds)
    return rows[0] if len(rows) == 1 else rows


def model_input(model, X, takes=None):
    """``X`` (raw feature rows from :func:`features_for`) as ``model`` wants them.

    A model trained on speaker-normalised features (the shipped one; its sidecar holds a
    ``speaker_adaptation`` prior, see :mod:`serlib.adaptation`) gets ``X`` z-normalised
    with the statistics of ``takes`` - raw feature rows of earlier takes of the same
    speaker, shrunk towards the training population's - or with the population's alone
    when there are none. Any other model gets ``X`` unchanged (and ``takes`` is ignored).

    Notebook: 10_live_demo.ipynb
    """
    from serlib.adaptation import prior_of

    prior = prior_of(model)
    if prior is None or isinstance(X, tuple):
        return X
    takes = None if takes is None or len(takes) == 0 else np.asarray(takes, dtype=np.float64)
    return prior.normalize(np.asarray(X, dtype=np.float64), takes)


def predict_signal(model, y: np.ndarray, sr: int = SAMPLE_RATE, *, check: bool = True,
                   takes=None) -> Prediction:
    """Predict the emotion of a signal ``y`` sampled at ``sr`` Hz (any rate, mono).

    First :func:`serlib.speech.check_speech` asks whether there is speech to judge: when
    there is none (silence, very quiet noise, a steady hum, a click) the model is not
    asked and the :class:`Prediction` has ``status="silent"``, ``emotion=None`` and a
    ``reason``. Samples beyond full scale (±1) are judged as they are, with a warning
    (:class:`~serlib.errors.AudioWarning` and ``Prediction.warnings``). ``check=False``
    skips the test, for callers that ran it already (the live demo).

    ``takes`` (raw feature rows of other takes of the same speaker, from
    :func:`features_for`) adapt a speaker-normalised model to the speaker
    (:func:`model_input`); ``Prediction.adapt_takes`` then says how many were used
    (``0``: the population's statistics; ``None``: a model without speaker normalisation).
    The probabilities are calibrated with the temperature stored in the model's sidecar
    (:func:`serlib.calibration.calibrated_proba`; unchanged for a model without one).

    Raises :class:`~serlib.errors.AudioError` for an empty signal or one with NaN/inf.

    Notebook: 06_mlp_grid_search.ipynb
    """
    y = _mono16k(y, sr)
    notes: list[str] = []
    levels = {}
    if check:
        from serlib.speech import check_speech

        speech = check_speech(y)
        levels = dict(level_dbfs=speech.level_dbfs, contrast_db=speech.contrast_db,
                      speech_seconds=speech.speech_seconds)
        if speech.full_scale_warning:
            notes.append(speech.full_scale_warning)
            warnings.warn(speech.full_scale_warning, AudioWarning, stacklevel=2)
        if not speech.heard:
            return Prediction(None, {}, status="silent", reason=speech.reason, warnings=notes, **levels)
    from serlib.adaptation import prior_of

    from serlib.calibration import calibrated_proba

    X = features_for(model, y, SAMPLE_RATE)
    proba = calibrated_proba(model, model_input(model, X, takes))[0]
    classes = [str(c) for c in model.classes_]
    best = int(np.argmax(proba))
    n = None if prior_of(model) is None else (0 if takes is None else len(takes))
    return Prediction(classes[best], {c: float(p) for c, p in zip(classes, proba)},
                      warnings=notes, adapt_takes=n, **levels)


def predict_file(model, path: str | os.PathLike) -> Prediction:
    """Load an audio file (any format :func:`serlib.audio.load` reads) and predict it.

    As :func:`predict_signal`: a file with no speech in it gets ``status="silent"`` and
    ``emotion=None``. A file cut off in the middle of its data is judged on what it
    holds, with a warning that says how much is missing (an
    :class:`~serlib.errors.AudioWarning`, also in ``Prediction.warnings``).

    Notebook: 06_mlp_grid_search.ipynb
    """
    from serlib.audio import load_with_notes

    y, notes = load_with_notes(path)
    for note in notes:
        warnings.warn(note, AudioWarning, stacklevel=2)
    pred = predict_signal(model, y, SAMPLE_RATE)
    pred.file = str(path)
    pred.warnings[:0] = notes
    return pred
