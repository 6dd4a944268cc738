"""Save and load trained scikit-learn models safely, with a metadata sidecar.

A model is two files side by side:

* ``NAME.skops`` - the fitted estimator in the skops format. Loading it never executes
  code from the file (unlike pickle): skops rebuilds only the types it is told to trust,
  and :data:`TRUSTED_TYPES` lists exactly the ones a serlib model may contain.
* ``NAME.json`` - what the model needs to be used correctly: serlib and scikit-learn
  versions, the feature kind and the :class:`~serlib.features.FeatureConfig` key it was
  trained on, the emotions it knows, the command and data it was trained with, the date.
* ``NAME.npz`` (optional) - an inference export of an MLP in plain numpy arrays
  (:mod:`serlib.models.portable`), named with its SHA-256 in the sidecar's ``portable``
  entry by :func:`record_portable`; :func:`serlib.predict.load_model` prefers it, because
  it predicts the same without importing scikit-learn.

:func:`load` refuses (with :class:`~serlib.errors.ModelError`) a model whose features
would be computed differently today, or one written by another major scikit-learn
version, and says how to retrain it.

Notebook: 06_mlp_grid_search.ipynb
"""
from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from serlib.errors import ModelError

#: Version of this file format (the sidecar's ``format`` field).
FORMAT_VERSION = 1

#: The documented command that rebuilds the shipped model.
TRAIN_COMMAND = "serlib train --model mlp --train ravdess,tess --data-root DATA_ROOT"

#: Everything a saved serlib model may contain besides skops' default-trusted types.
TRUSTED_TYPES = [
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.neural_network._multilayer_perceptron.MLPClassifier",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "sklearn.svm._classes.SVC",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.frozen._frozen.FrozenEstimator",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._tree.Tree",
    "sklearn.preprocessing._label.LabelBinarizer",
    "numpy.random._mt19937.MT19937",
    "numpy.random.mtrand.RandomState",
    "builtins.tuple",
    "serlib.models.classical.SoftVote",
    "serlib.models.classical.GridSearchClassifier",
]


@dataclass
class SavedModel:
    """A loaded model: the fitted estimator plus its metadata.

    Behaves like a classifier (``predict``, ``predict_proba``, ``classes_``) and knows
    its ``feature_kind``, so :mod:`serlib.predict` can compute the right features.

    Notebook: 06_mlp_grid_search.ipynb
    """

    estimator: Any
    metadata: dict = field(default_factory=dict)
    path: Path | None = None

    @property
    def feature_kind(self) -> str:
        return self.metadata.get("feature_kind", "stats")

    @property
    def classes_(self) -> np.ndarray:
        return np.asarray(self.estimator.classes_)

    @property
    def emotions(self) -> list[str]:
        return [str(c) for c in self.classes_]

    @property
    def n_features_in_(self) -> int | None:
        """How many features the estimator reads (``None`` when it does not say)."""
        return getattr(self.estimator, "n_features_in_", None)

    def predict(self, X):
        return self.estimator.predict(X)

    def predict_proba(self, X):
        return self.estimator.predict_proba(X)


def sidecar(path: str | Path) -> Path:
    """The metadata file beside a model file (``model.skops`` → ``model.json``)."""
    return Path(path).with_suffix(".json")


def _versions() -> dict[str, str]:
    import sklearn
    import skops

    import serlib

    return {"serlib": serlib.__version__, "sklearn": sklearn.__version__,
            "skops": skops.__version__, "numpy": np.__version__}


def _feature_key() -> str:
    from serlib.features import FeatureConfig

    return FeatureConfig().key()


def save(model, path: str | Path, *, name: str | None = None, command: str | None = None,
         training_data: dict | None = None, extra: dict | None = None) -> Path:
    """Write a fitted classifier to ``path`` (``.skops``) and its metadata sidecar (``.json``).

    ``model`` may be a :class:`~serlib.models.classical.GridSearchClassifier` (its fitted
    ``estimator_`` is stored), a fitted scikit-learn estimator with a ``feature_kind``
    attribute, or a :class:`SavedModel`. Returns the model path.

    Notebook: 06_mlp_grid_search.ipynb
    """
    import skops.io as sio

    path = Path(path)
    if path.suffix != ".skops":
        raise ModelError(f"{path}: a scikit-learn model is saved as a .skops file; "
                         "give a path ending in .skops")
    meta_in: dict = {}
    if isinstance(model, SavedModel):
        meta_in, model = dict(model.metadata), model.estimator
        meta_in.pop("portable", None)  # an export belongs to the file it was made beside
    estimator = getattr(model, "estimator_", model)
    if not hasattr(estimator, "classes_"):
        raise ModelError("the model is not fitted; call fit(X, y) before saving it")
    feature_kind = getattr(model, "feature_kind", None) or meta_in.get("feature_kind")
    if feature_kind is None:
        raise ModelError("the model has no feature_kind; build it from the registry "
                         "(serlib.models.registry.get(name).build()) or set model.feature_kind")
    meta = {
        **meta_in,
        "format": FORMAT_VERSION,
        "name": name or meta_in.get("name") or path.stem,
        "feature_kind": feature_kind,
        "feature_config_key": _feature_key(),
        "emotions": [str(c) for c in estimator.classes_],
        "versions": _versions(),
        "command": command or meta_in.get("command"),
        "training_data": training_data or meta_in.get("training_data"),
        "best_params": {k: repr(v) for k, v in getattr(model, "best_params_", {}).items()},
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **(extra or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(estimator, path)
    sidecar(path).write_text(json.dumps(meta, indent=2, sort_keys=False) + "\n")
    return path


def read_metadata(path: str | Path) -> dict:
    """The sidecar metadata of a model file; :class:`ModelError` when it is missing or broken.

    Notebook: 06_mlp_grid_search.ipynb
    """
    meta_path = sidecar(path)
    if not meta_path.is_file():
        raise ModelError(f"{meta_path.name}: the metadata file beside {Path(path).name} is "
                         f"missing; a serlib model is a .skops file plus a .json sidecar. "
                         f"Retrain it with: {TRAIN_COMMAND}")
    try:
        return json.loads(meta_path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"{meta_path}: cannot read the model metadata ({exc}); "
                         f"retrain the model with: {TRAIN_COMMAND}") from exc


def check_compatible(meta: dict, path: str | Path = "model", *,
                     sklearn_version: bool = True) -> None:
    """Raise :class:`ModelError` if a model's metadata does not fit this installation.

    Refused: another file format, features computed differently (FeatureConfig key),
    or another major scikit-learn version. ``sklearn_version=False`` skips the last
    check (and the scikit-learn import): a portable export does not use scikit-learn.

    Notebook: 06_mlp_grid_search.ipynb
    """
    name = Path(path).name
    command = meta.get("command") or TRAIN_COMMAND
    retrain = f"retrain it with: {command}"
    if meta.get("format") != FORMAT_VERSION:
        raise ModelError(f"{name}: written in model format {meta.get('format')!r}, this "
                         f"serlib reads format {FORMAT_VERSION}; {retrain}")
    if meta.get("feature_config_key") != _feature_key():
        raise ModelError(f"{name}: trained on features computed with other settings "
                         f"(FeatureConfig key {meta.get('feature_config_key')!r}, this serlib "
                         f"computes {_feature_key()!r}); its predictions would be wrong, so "
                         f"{retrain}")
    if not sklearn_version:
        return
    import sklearn

    saved = str(meta.get("versions", {}).get("sklearn", "?"))
    if saved.split(".")[0] != sklearn.__version__.split(".")[0]:
        raise ModelError(f"{name}: written by scikit-learn {saved}, this is "
                         f"{sklearn.__version__} (another major version); install "
                         f"scikit-learn {saved.split('.')[0]}.x or {retrain}")


def record_portable(path: str | Path, export_path: str | Path) -> dict:
    """Name a portable export (see :mod:`serlib.models.portable`) in the sidecar of ``path``.

    The export must lie beside the model (the sidecar records its file name and SHA-256:
    ``"portable": {"file": "ser-mlp.npz", "sha256": "..."}``). Returns the new metadata.

    Notebook: 06_mlp_grid_search.ipynb
    """
    from serlib.models.portable import file_sha256

    path, export_path = Path(path), Path(export_path)
    if export_path.resolve().parent != path.resolve().parent:
        raise ModelError(f"{export_path}: a portable export must lie beside its model "
                         f"({path.parent})")
    meta = read_metadata(path)
    meta["portable"] = {"file": export_path.name, "sha256": file_sha256(export_path)}
    sidecar(path).write_text(json.dumps(meta, indent=2, sort_keys=False) + "\n")
    return meta


def audio_given_as_model(path: str | Path) -> str | None:
    """The audio format (``"WAV"``, ``"FLAC"``, ...) when ``path`` is an audio file rather
    than a model, else ``None``: the usual slip of passing a clip where a model goes.

    Notebook: 06_mlp_grid_search.ipynb
    """
    from serlib.audio import sniff

    return sniff(path)


def check_model_file(path: str | Path) -> None:
    """Raise :class:`ModelError`, saying what the file is, when ``path`` cannot be a
    ``.skops`` model: an audio file, or a file that is not a skops (zip) archive at all
    (damaged, cut off, or something else renamed). Read before the sidecar, so a damaged
    model is not reported as a missing metadata file.

    Notebook: 06_mlp_grid_search.ipynb
    """
    import zipfile

    path = Path(path)
    kind = audio_given_as_model(path)
    if kind is not None:
        raise ModelError(f"{path}: this is an audio file ({kind}), not a model. Load the model "
                         "from a .skops file (load_model() gives the shipped one) and pass the "
                         f"clip to predict_file(model, {str(path)!r}).")
    if not zipfile.is_zipfile(path):
        size = path.stat().st_size
        raise ModelError(f"{path}: not a skops model file ({size} bytes that are not a skops "
                         "(zip) archive): it is damaged, cut off, or another file renamed. Copy "
                         f"it again from where it was made, or retrain it with: {TRAIN_COMMAND}")


def load(path: str | Path) -> SavedModel:
    """Load a model written by :func:`save`, after checking that it fits this installation.

    Only the types in :data:`TRUSTED_TYPES` are rebuilt; a file that asks for anything
    else is refused without running it.

    Notebook: 06_mlp_grid_search.ipynb
    """
    import skops.io as sio

    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such model file; train one with: {TRAIN_COMMAND}")
    check_model_file(path)
    meta = read_metadata(path)
    check_compatible(meta, path)
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # noqa: BLE001 - corrupt zip, not a skops file, ...
        raise ModelError(f"{path}: not a readable skops model file ({exc}); "
                         f"retrain it with: {TRAIN_COMMAND}") from exc
    unknown = sorted(set(untrusted) - set(TRUSTED_TYPES))
    if unknown:
        raise ModelError(f"{path}: refusing to load types serlib does not trust: "
                         f"{', '.join(unknown)}. Only load model files you made yourself "
                         f"with: {TRAIN_COMMAND}")
    try:
        estimator = sio.load(path, trusted=TRUSTED_TYPES)
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"{path}: cannot load the model ({exc}); "
                         f"retrain it with: {TRAIN_COMMAND}") from exc
    return SavedModel(estimator, meta, path)
