"""An inference export of an MLP: plain numpy arrays in a ``.npz``, predicted with numpy alone.

Loading a ``.skops`` model imports scikit-learn and SciPy, which takes seconds on a small
laptop - longer than the prediction itself. A trained ``StandardScaler`` → ``MLPClassifier``
pipeline is, at prediction time, nothing but a few arrays and three lines of algebra::

    z = (x - mean) / scale                      # StandardScaler.transform
    h = relu(z @ W0 + b0)                       # each hidden layer (relu, tanh, logistic, identity)
    p = softmax(h @ W1 + b1)                    # the output layer (logistic for two classes)

:func:`export` writes those arrays (plus the class names, the activations and the feature
kind) to a ``.npz``; :func:`load` reads them back with ``np.load(allow_pickle=False)``,
so nothing in the file can execute, and returns a :class:`PortableMLP` whose
``predict_proba`` repeats scikit-learn's forward pass operation by operation (same
dtypes, same order), so its probabilities equal the pipeline's. This module imports only
numpy; scikit-learn is imported by :func:`export` alone, to check what it is given.

``serlib train`` writes the export beside the ``.skops`` model and records its SHA-256 in
the ``.json`` sidecar; :func:`serlib.predict.load_model` uses it when the hash matches.

Notebook: 06_mlp_grid_search.ipynb
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from serlib.errors import ModelError

#: Version of the array layout inside the ``.npz`` (its ``format`` array).
FORMAT_VERSION = 1

#: File suffix of an export (``ser-mlp.skops`` → ``ser-mlp.npz``).
SUFFIX = ".npz"

#: Hidden-layer activations scikit-learn's MLPClassifier offers (all supported here).
HIDDEN_ACTIVATIONS = ("identity", "logistic", "tanh", "relu")

#: Output activations of an MLPClassifier: softmax (3+ classes), logistic (2 classes).
OUTPUT_ACTIVATIONS = ("softmax", "logistic")


def _logistic(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` in place, without overflow (SciPy's ``expit`` may differ by
    one unit in the last place)."""
    pos = x >= 0
    e = np.exp(-np.abs(x))
    x[...] = np.where(pos, 1.0 / (1.0 + e), e / (1.0 + e))
    return x


def _activate(name: str, x: np.ndarray) -> np.ndarray:
    """Apply an activation in place, as ``sklearn.neural_network._base.ACTIVATIONS``."""
    if name == "relu":
        np.maximum(x, 0, out=x)
    elif name == "tanh":
        np.tanh(x, out=x)
    elif name == "logistic":
        _logistic(x)
    elif name == "softmax":
        tmp = x - x.max(axis=1)[:, np.newaxis]
        np.exp(tmp, out=x)
        x /= x.sum(axis=1)[:, np.newaxis]
    elif name != "identity":
        raise ModelError(f"unknown activation {name!r}")
    return x


class PortableMLP:
    """A ``StandardScaler`` → ``MLPClassifier`` pipeline as numpy arrays, ready to predict.

    Has what :mod:`serlib.predict` needs from a model: ``classes_``, ``emotions``,
    ``feature_kind``, ``predict_proba(X)`` and ``predict(X)``; ``metadata`` and ``path``
    are set by :func:`serlib.predict.load_model` (the sidecar and the ``.skops`` file the
    export belongs to), ``file`` is the ``.npz`` itself.

    Notebook: 06_mlp_grid_search.ipynb
    """

    def __init__(self, mean, scale, coefs, intercepts, activation: str, out_activation: str,
                 classes, feature_kind: str, file: Path | None = None):
        self.mean = np.asarray(mean)
        self.scale = np.asarray(scale)
        self.coefs = [np.asarray(c) for c in coefs]
        self.intercepts = [np.asarray(b) for b in intercepts]
        self.activation = str(activation)
        self.out_activation = str(out_activation)
        self.classes_ = np.asarray(classes).astype(str)
        self.feature_kind = str(feature_kind)
        self.file = file
        self.metadata: dict = {}
        self.path: Path | None = file

    @property
    def n_features_in_(self) -> int:
        return int(self.mean.shape[0])

    @property
    def emotions(self) -> list[str]:
        return [str(c) for c in self.classes_]

    def __repr__(self) -> str:
        sizes = [c.shape[1] for c in self.coefs[:-1]]
        return (f"PortableMLP({self.n_features_in_} {self.feature_kind} features → hidden "
                f"{tuple(sizes)} {self.activation} → {len(self.classes_)} classes)")

    def _scaled(self, X) -> np.ndarray:
        # StandardScaler.transform: a float copy (float16/32/64 kept, anything else →
        # float64), then in-place centring and scaling in the input's own dtype.
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"expected a 2-D array (clips x features), got shape {X.shape}")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, but this model expects "
                             f"{self.n_features_in_} ({self.feature_kind!r} features)")
        if X.dtype not in (np.float64, np.float32, np.float16):
            X = X.astype(np.float64)
        else:
            X = X.copy()
        if not np.all(np.isfinite(X)):
            raise ValueError("X contains NaN or infinite values")
        X -= self.mean.astype(X.dtype)
        X /= self.scale.astype(X.dtype)
        return X

    def _forward(self, X) -> np.ndarray:
        # MLPClassifier._forward_pass_fast, step by step.
        activation = self._scaled(X)
        last = len(self.coefs) - 1
        for i, (W, b) in enumerate(zip(self.coefs, self.intercepts)):
            activation = activation @ W
            activation += b
            if i != last:
                _activate(self.activation, activation)
        return _activate(self.out_activation, activation)

    def predict_proba(self, X) -> np.ndarray:
        """Probability per row and class (columns in ``classes_`` order), as
        ``MLPClassifier.predict_proba``."""
        y = self._forward(X)
        if y.shape[1] == 1:  # two classes: one logistic output, P(classes_[1])
            y = y.ravel()
            return np.vstack([1 - y, y]).T
        return y

    def predict(self, X) -> np.ndarray:
        """The predicted class per row, as ``MLPClassifier.predict``."""
        y = self._forward(X)
        if y.shape[1] == 1:  # LabelBinarizer.inverse_transform: threshold 0.5
            return self.classes_[(y.ravel() > 0.5).astype(int)]
        return self.classes_[np.argmax(y, axis=1)]


def _pipeline_parts(model, feature_kind: str | None):
    """``(scaler, mlp, feature_kind)`` of a model export can handle, else ModelError."""
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    from serlib.models.io import SavedModel

    kind = feature_kind or getattr(model, "feature_kind", None)
    if isinstance(model, SavedModel):
        estimator = model.estimator
    elif hasattr(model, "estimator_"):  # GridSearchClassifier (fitted)
        estimator = model.estimator_
    elif hasattr(model, "param_grid"):  # GridSearchClassifier, not fitted yet
        raise ModelError("the model is not fitted; call fit(X, y) before exporting it")
    else:
        estimator = model
    what = type(estimator).__name__
    if not isinstance(estimator, Pipeline):
        raise ModelError(f"cannot export a model of type {what}: the portable format holds only a "
                         "Pipeline(StandardScaler, MLPClassifier) such as the registry's 'mlp'; "
                         "keep using the .skops file for this model")
    steps = [step for _, step in estimator.steps]
    names = " → ".join(type(s).__name__ for s in steps)
    if (len(steps) != 2 or type(steps[0]) is not StandardScaler
            or type(steps[1]) is not MLPClassifier):
        raise ModelError(f"cannot export a Pipeline({names}): the portable format holds only "
                         "Pipeline(StandardScaler, MLPClassifier); keep using the .skops file "
                         "for this model")
    scaler, mlp = steps
    if not hasattr(mlp, "coefs_") or not hasattr(scaler, "n_features_in_"):
        raise ModelError("the model is not fitted; call fit(X, y) before exporting it")
    y_type = getattr(getattr(mlp, "_label_binarizer", None), "y_type_", None)
    if y_type not in ("binary", "multiclass"):
        raise ModelError(f"cannot export an MLPClassifier trained on {y_type} targets; the "
                         "portable format holds single-label classifiers only")
    if mlp.activation not in HIDDEN_ACTIVATIONS or mlp.out_activation_ not in OUTPUT_ACTIVATIONS:
        raise ModelError(f"cannot export an MLPClassifier with activations "
                         f"{mlp.activation!r}/{mlp.out_activation_!r}")
    if not kind:
        raise ModelError("the model has no feature_kind; build it from the registry "
                         "(serlib.models.registry.get(name).build()) or pass feature_kind=")
    return scaler, mlp, str(kind)


def exportable(model) -> bool:
    """True when :func:`export` can write ``model`` (a fitted scaler + MLP pipeline)."""
    try:
        _pipeline_parts(model, getattr(model, "feature_kind", None) or "?")
    except ModelError:
        return False
    return True


def export(model, path: str | os.PathLike, feature_kind: str | None = None) -> Path:
    """Write a fitted ``Pipeline(StandardScaler, MLPClassifier)`` to ``path`` (``.npz``).

    ``model`` may be a :class:`~serlib.models.classical.GridSearchClassifier` (its fitted
    ``estimator_`` is exported), a :class:`~serlib.models.io.SavedModel` or the pipeline
    itself (then give ``feature_kind``). Anything else raises
    :class:`~serlib.errors.ModelError`. Returns the path. Record the export in the model's
    sidecar with :func:`serlib.models.io.record_portable`.

    Notebook: 06_mlp_grid_search.ipynb
    """
    path = Path(path)
    if path.suffix != SUFFIX:
        raise ModelError(f"{path}: a portable export is a {SUFFIX} file; give a path ending "
                         f"in {SUFFIX}")
    scaler, mlp, kind = _pipeline_parts(model, feature_kind)
    n = int(scaler.n_features_in_)
    mean = (np.zeros(n) if scaler.mean_ is None or not scaler.with_mean
            else np.asarray(scaler.mean_, dtype=np.float64))
    scale = (np.ones(n) if scaler.scale_ is None or not scaler.with_std
             else np.asarray(scaler.scale_, dtype=np.float64))
    arrays = {
        "format": np.array(FORMAT_VERSION),
        "feature_kind": np.array(kind),
        "classes": np.array([str(c) for c in mlp.classes_], dtype=np.str_),
        "activation": np.array(str(mlp.activation)),
        "out_activation": np.array(str(mlp.out_activation_)),
        "n_layers": np.array(len(mlp.coefs_)),
        "mean": mean,
        "scale": scale,
    }
    for i, (W, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_)):
        arrays[f"coef_{i}"] = np.asarray(W)  # kept in the dtype it was trained in
        arrays[f"intercept_{i}"] = np.asarray(b)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:  # a file object: np.savez would append ".npz" to a name
        np.savez_compressed(fh, **arrays)
    return path


def load(path: str | os.PathLike) -> PortableMLP:
    """Read an export written by :func:`export` (no code in the file is ever run).

    Raises :class:`~serlib.errors.ModelError` for a file that is missing, not an export,
    or of another format version.

    Notebook: 06_mlp_grid_search.ipynb
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such portable model file")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except Exception as exc:  # noqa: BLE001 - not a zip, truncated, pickled objects, ...
        raise ModelError(f"{path}: not a readable portable model ({exc})") from exc
    try:
        fmt = int(arrays["format"])
        if fmt != FORMAT_VERSION:
            raise ModelError(f"{path}: portable format {fmt}, this serlib reads format "
                             f"{FORMAT_VERSION}; export the model again")
        n_layers = int(arrays["n_layers"])
        model = PortableMLP(
            mean=arrays["mean"], scale=arrays["scale"],
            coefs=[arrays[f"coef_{i}"] for i in range(n_layers)],
            intercepts=[arrays[f"intercept_{i}"] for i in range(n_layers)],
            activation=str(arrays["activation"]), out_activation=str(arrays["out_activation"]),
            classes=arrays["classes"], feature_kind=str(arrays["feature_kind"]), file=path)
    except KeyError as exc:
        raise ModelError(f"{path}: not a serlib portable model (no {exc.args[0]!r} array)") from exc
    if model.activation not in HIDDEN_ACTIVATIONS or model.out_activation not in OUTPUT_ACTIVATIONS:
        raise ModelError(f"{path}: unknown activations {model.activation!r}/"
                         f"{model.out_activation!r}")
    return model


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file (what the sidecar's ``portable.sha256`` records)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
