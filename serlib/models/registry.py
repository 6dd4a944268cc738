"""Every model serlib can train, by name: what it is, which features it eats, how to build it.

``get("svm").build()`` returns an untrained classifier with the scikit-learn API plus
speaker groups: ``fit(X, y, groups=speakers)``, ``predict``, ``predict_proba``,
``classes_`` and ``feature_kind``. The builder is imported only when ``build`` is
called, so listing the models (``serlib evaluate --help``) never imports TensorFlow.

Notebooks: 06_mlp_grid_search.ipynb (classical), 07_cnn.ipynb and
08_resnet_transfer.ipynb (deep)
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from serlib.errors import ModelError


@dataclass(frozen=True)
class ModelSpec:
    """One registry entry.

    ``factory`` is ``"module:function"``; ``feature_kind`` names the input the model
    expects (a kind of :func:`serlib.extract.extract`; ``"a+b"`` means a tuple of two
    inputs); ``family`` is ``"classical"`` or ``"deep"``.

    Notebook: 06_mlp_grid_search.ipynb
    """

    name: str
    family: str
    feature_kind: str
    factory: str
    description: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def feature_kinds(self) -> tuple[str, ...]:
        """The feature kinds, one per model input (``"logmel+mfcc_seq"`` → two, but
        ``"stats+voice"``, itself a kind, → one)."""
        from serlib.features import kind_parts

        return kind_parts(self.feature_kind)

    def build(self, **params):
        """Import the factory and return a fresh, untrained classifier.

        Keyword arguments override the entry's defaults (e.g. ``random_state=1``).

        Notebook: 06_mlp_grid_search.ipynb
        """
        module_name, _, func_name = self.factory.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            raise ModelError(
                f"model {self.name!r} needs {exc.name!r}, which is not installed or not "
                f"written yet; install the deep-learning extras (pip install -r "
                f"requirements.txt) or pick another model (serlib evaluate --help)") from exc
        factory = getattr(module, func_name, None)
        if factory is None:
            raise ModelError(f"model {self.name!r}: {module_name} has no function "
                             f"{func_name!r}; pick another model (serlib evaluate --help)")
        model = factory(**{**self.params, **params})
        if getattr(model, "feature_kind", None) is None:
            try:
                model.feature_kind = self.feature_kind
            except AttributeError:  # pragma: no cover - read-only attribute
                pass
        return model


_ENTRIES = [
    ModelSpec("seed-mlp", "classical", "seed180", "serlib.models.classical:seed_mlp",
              "the seed's MLP as it was: 180 clip means, no scaling, fixed settings"),
    ModelSpec("mlp", "classical", "stats", "serlib.models.classical:mlp",
              "scaler + MLP, grid search on speaker-grouped inner folds"),
    ModelSpec("svm", "classical", "stats", "serlib.models.classical:svm",
              "scaler + RBF support vector machine, grid search over C and gamma"),
    ModelSpec("logreg", "classical", "stats", "serlib.models.classical:logreg",
              "scaler + multinomial logistic regression, grid search over C"),
    ModelSpec("forest", "classical", "stats", "serlib.models.classical:forest",
              "random forest (no scaling needed), grid search over leaf size"),
    ModelSpec("vote", "classical", "stats", "serlib.models.classical:vote",
              "soft vote of the grid-searched SVM, logistic regression and MLP"),
    ModelSpec("cnn1d", "deep", "mfcc40", "serlib.models.cnn:cnn1d",
              "1-D CNN over the 40 MFCC means (the seed's Model 1)"),
    ModelSpec("cnn1d-bn", "deep", "mfcc40", "serlib.models.cnn:cnn1d_bn",
              "the seed's Model 2: wider 1-D CNN with batch normalisation"),
    ModelSpec("dnn", "deep", "stats", "serlib.models.dnn:dnn",
              "dense network (batch norm, dropout) over the 234-value clip summary"),
    ModelSpec("cnn2d", "deep", "logmel", "serlib.models.cnn:cnn2d",
              "2-D CNN over a fixed-size log-mel image"),
    ModelSpec("bilstm", "deep", "mfcc_seq", "serlib.models.rnn:bilstm",
              "bidirectional LSTM over the MFCC frame sequence"),
    ModelSpec("multi", "deep", "logmel+mfcc_seq", "serlib.models.multi:multi_input",
              "two-input network: log-mel image and MFCC sequence"),
    ModelSpec("resnet", "deep", "logmel", "serlib.models.resnet:resnet",
              "small ResNet on log-mel images, random start (transfer: weights=)"),
]

#: Model name → :class:`ModelSpec`, in the order ``serlib evaluate --help`` lists them.
MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in _ENTRIES}


def get(name: str) -> ModelSpec:
    """The registry entry called ``name``; a clear :class:`ModelError` when unknown.

    Notebook: 06_mlp_grid_search.ipynb
    """
    try:
        return MODELS[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}; choose one of: "
                         f"{', '.join(MODELS)}") from None


def names(family: str | None = None) -> list[str]:
    """Registered model names, optionally only one family (``"classical"``/``"deep"``).

    Notebook: 06_mlp_grid_search.ipynb
    """
    return [n for n, s in MODELS.items() if family is None or s.family == family]
