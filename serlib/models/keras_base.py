"""A Keras network dressed as a scikit-learn classifier.

:class:`KerasClassifier` is what every deep entry of the registry returns
(``serlib evaluate --model cnn2d``): ``fit(X, y, groups=speakers)``, ``predict``,
``predict_proba``, ``classes_`` (emotion names) and ``feature_kind``, so the
evaluation code treats a CNN exactly like an SVM.

What it adds to plain ``model.fit``:

* **Early stopping on speakers the model never trains on.** A validation set is
  carved out of the *training* data by speaker (``GroupShuffleSplit`` on ``groups``);
  the test fold is never looked at. Without groups the carve-out is a stratified
  random one (and the run says so in :attr:`KerasClassifier.validation_`).
* **The network is built when the data arrive**, so one factory fits any image or
  sequence size; normalisation layers are adapted on the training part only.
* **Reproducible runs**: ``keras.utils.set_random_seed(seed)`` before building.
  On CPU, repeated runs agree within run-to-run noise (thread scheduling makes
  floating-point sums differ in the last bits).
* **Save and load** as ``NAME.keras`` plus a ``NAME.json`` sidecar holding the
  classes, feature kind, settings, training history and which weights were used.

TensorFlow is imported inside the methods only: ``import serlib`` stays light.

Notebook: 07_cnn.ipynb
"""
from __future__ import annotations

import importlib
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from serlib.errors import ModelError

# TensorFlow's C++ start-up chatter (CPU instruction notes) would land on stderr of every
# notebook; set before TensorFlow is first imported (importing this module does not).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

#: Bumped when the sidecar format changes.
SIDECAR_VERSION = 1
#: Momentum of every batch-norm layer serlib builds. Keras' default (0.99) lets the
#: running statistics used at inference lag far behind the weights when an epoch is
#: only a few dozen steps (small corpora): the model then scores well while training
#: and near chance on validation. 0.9 follows the weights closely enough.
BN_MOMENTUM = 0.9


# --------------------------------------------------------------------------- inputs
def n_samples(X) -> int:
    """Number of examples in ``X`` (an array, or a tuple of arrays for multi-input models)."""
    if isinstance(X, (tuple, list)):
        return len(X[0])
    return len(X)


def take(X, idx):
    """Rows ``idx`` of ``X``; works for one array or a tuple of arrays (one per input).

    Notebook: 07_cnn.ipynb
    """
    if isinstance(X, (tuple, list)):
        return tuple(np.asarray(x)[idx] for x in X)
    return np.asarray(X)[idx]


def as_inputs(X):
    """``X`` as float32 arrays: one array, or a tuple (one per model input)."""
    if isinstance(X, (tuple, list)):
        if len(X) == 0:
            raise ModelError("got an empty tuple of inputs; pass one array per model input")
        arrays = tuple(np.asarray(x, dtype=np.float32) for x in X)
        lengths = {len(a) for a in arrays}
        if len(lengths) != 1:
            raise ModelError(f"the inputs hold different numbers of examples {sorted(lengths)}; "
                             "give every input one row per clip, in the same order")
        return arrays
    return np.asarray(X, dtype=np.float32)


def input_shapes(X) -> list[tuple[int, ...]]:
    """Shape of one example of each input (without the batch axis)."""
    if isinstance(X, (tuple, list)):
        return [tuple(x.shape[1:]) for x in X]
    return [tuple(X.shape[1:])]


def quiet_tensorflow() -> None:
    """Silence TensorFlow's Python-side warnings (e.g. about re-traced functions)."""
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:  # pragma: no cover
        pass


def _resolve(ref: str):
    module_name, _, attr = ref.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ModelError(f"cannot find the network builder {ref!r} ({exc}); "
                         "check the architecture name") from exc


# --------------------------------------------------------------- validation carve-out
def validation_split(y, groups=None, fraction: float = 0.15, seed: int = 0,
                     tries: int = 20) -> tuple[np.ndarray, np.ndarray, str]:
    """Split training rows into (fit, validation) indices for early stopping.

    With ``groups`` (speakers) the validation part holds whole speakers that are
    absent from the fit part: ``GroupShuffleSplit`` draws ``tries`` candidate splits
    and keeps the one whose share of clips is closest to ``fraction`` among those
    whose validation part contains every class (if any does). Without groups, or with
    a single speaker, the split is a stratified random one.

    Returns ``(fit_idx, val_idx, how)`` where ``how`` says which split was made.

    Notebook: 07_cnn.ipynb
    """
    from sklearn.model_selection import GroupShuffleSplit, StratifiedShuffleSplit

    y = np.asarray(y)
    n = len(y)
    if groups is not None and len(np.unique(np.asarray(groups))) >= 2:
        groups = np.asarray(groups)
        n_groups = len(np.unique(groups))
        test_size = max(1, int(round(fraction * n_groups)))
        test_size = min(test_size, n_groups - 1)
        gss = GroupShuffleSplit(n_splits=tries, test_size=test_size, random_state=seed)
        classes = set(np.unique(y))
        best, best_key = None, None
        for fit_idx, val_idx in gss.split(np.zeros(n), y, groups):
            complete = set(np.unique(y[val_idx])) == classes
            key = (not complete, abs(len(val_idx) / n - fraction))
            if best_key is None or key < best_key:
                best, best_key = (fit_idx, val_idx), key
        fit_idx, val_idx = best
        held = sorted(set(groups[val_idx].tolist()))
        return np.sort(fit_idx), np.sort(val_idx), (
            f"speaker-grouped: {len(held)} of {n_groups} training speakers held out "
            f"({len(val_idx)} clips)")
    try:
        sss = StratifiedShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
        fit_idx, val_idx = next(sss.split(np.zeros(n), y))
    except ValueError:  # a class with one example: fall back to a plain shuffle
        rng = np.random.default_rng(seed)
        perm = rng.permutation(n)
        k = max(1, int(round(fraction * n)))
        val_idx, fit_idx = perm[:k], perm[k:]
    return np.sort(fit_idx), np.sort(val_idx), (
        f"random stratified: {len(val_idx)} clips (no speaker groups given)")


# ------------------------------------------------------------------------ callbacks
def one_cycle(step: int, total: int, max_lr: float, pct_start: float = 0.3,
              div_factor: float = 25.0, final_div: float = 1e3) -> float:
    """Learning rate of the one-cycle policy (Smith 2018) at ``step`` of ``total``.

    Rises along a cosine from ``max_lr/div_factor`` to ``max_lr`` during the first
    ``pct_start`` of training, then anneals along a cosine to ``max_lr/final_div``.

    Notebook: 08_resnet_transfer.ipynb
    """
    total = max(1, int(total))
    up = max(1, int(round(pct_start * total)))
    start, end = max_lr / div_factor, max_lr / final_div
    if step < up:
        t = step / up
        return float(start + (max_lr - start) * (1 - np.cos(np.pi * t)) / 2)
    t = min(1.0, (step - up) / max(1, total - up))
    return float(end + (max_lr - end) * (1 + np.cos(np.pi * t)) / 2)


def _one_cycle_callback(max_lr: float, total_steps: int):
    import keras

    class OneCycle(keras.callbacks.Callback):
        """Sets the optimizer's learning rate before every batch (one-cycle policy)."""

        def __init__(self):
            super().__init__()
            self.step = 0
            self.rates: list[float] = []

        def on_train_batch_begin(self, batch, logs=None):
            lr = one_cycle(self.step, total_steps, max_lr)
            self.model.optimizer.learning_rate.assign(lr)
            self.rates.append(lr)
            self.step += 1

    return OneCycle()


# ------------------------------------------------------------------------ committee
def committee(nets, shapes):
    """One Keras model whose output is the average of ``nets``' outputs (same inputs).

    Notebook: 07_cnn.ipynb
    """
    import keras

    inputs = [keras.Input(shape=tuple(s), name=f"input_{i}") for i, s in enumerate(shapes)]
    feed = inputs if len(inputs) > 1 else inputs[0]
    outs = [keras.Model(net.inputs if len(net.inputs) > 1 else net.inputs[0],
                        net.outputs[0], name=f"member_{m + 1}")(feed)
            for m, net in enumerate(nets)]
    out = keras.layers.Average(name="average")(outs)
    return keras.Model(feed, out, name=f"{nets[0].name}_committee_of_{len(nets)}")


# ----------------------------------------------------------------------- classifier
class KerasClassifier(ClassifierMixin, BaseEstimator):
    """A Keras network with the scikit-learn classifier API (see the module docstring).

    Args:
        architecture: ``"module:function"`` of the network builder; it is called as
            ``builder(input_shapes, n_classes, **params)`` and returns an uncompiled
            ``keras.Model`` (e.g. ``"serlib.models.cnn:build_cnn2d"``).
        feature_kind: the feature kind the network eats (``"mfcc40"``, ``"logmel"``,
            ``"mfcc_seq"``, ``"logmel+mfcc_seq"``), see :func:`serlib.extract.extract`.
        params: keyword arguments for the builder (layer sizes, dropout, masks ...).
        epochs: most epochs to train (early stopping usually ends sooner).
        batch_size: examples per gradient step.
        learning_rate: Adam's learning rate (the peak rate with ``schedule="onecycle"``).
        schedule: ``"constant"`` or ``"onecycle"``.
        patience: epochs without improvement of ``monitor`` before stopping;
            ``None`` trains all ``epochs`` (the seed's way) and keeps the last weights.
        monitor: ``"val_loss"`` or ``"val_accuracy"``.
        validation_fraction: share of the training data held out for early stopping
            (0 = none; then ``patience`` must be None).
        validation: ``"speakers"`` (default) holds out whole training speakers when
            ``groups`` are given; ``"random"`` holds out random training clips even then,
            which matches a random (speaker-dependent) test protocol such as the seed's
            80/20 split.
        class_weight: ``"balanced"`` weighs each class inversely to its frequency.
        seed: seeds Python, NumPy and TensorFlow (``keras.utils.set_random_seed``).
        verbose: Keras' progress output (0 silent, 2 one line per epoch).
        name: a label for printed output and saved files.
        members: train this many networks (a committee) and average their
            probabilities. Member ``m`` uses seed ``seed + m`` and holds out its own
            training speakers for early stopping, so between them the members learn
            from every training speaker. The members are joined into one Keras model
            (an ``Average`` of their outputs): it predicts, saves and loads like a
            single network.
        search: a grid over the network builder's settings, e.g.
            ``{"dropout": [0.2, 0.4]}``. Before the real training, one network per
            combination trains on the fit part and is scored on the validation part (held
            out from the *training* data); the best combination (``best_params_``, all
            scores in ``search_``) is then used for the real training. The test fold
            plays no part.
    """

    def __init__(self, architecture: str = "serlib.models.cnn:build_cnn1d",
                 feature_kind: str = "mfcc40", params: dict | None = None,
                 epochs: int = 100, batch_size: int = 32, learning_rate: float = 1e-3,
                 schedule: str = "constant", patience: int | None = 10,
                 monitor: str = "val_loss", validation_fraction: float = 0.15,
                 validation: str = "speakers", class_weight: str | None = None,
                 seed: int = 0, verbose: int = 0, name: str | None = None,
                 members: int = 1, search: dict | None = None):
        self.architecture = architecture
        self.feature_kind = feature_kind
        self.params = params
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.schedule = schedule
        self.patience = patience
        self.monitor = monitor
        self.validation_fraction = validation_fraction
        self.validation = validation
        self.class_weight = class_weight
        self.seed = seed
        self.verbose = verbose
        self.name = name
        self.members = members
        self.search = search

    # -- building -------------------------------------------------------------------
    def build_network(self, shapes, n_classes: int, **overrides):
        """Call the builder for these input shapes and class count (uncompiled model).

        ``overrides`` replace builder settings; without them the settings chosen by
        ``search`` (``best_params_``), if any, replace those in ``params``.
        """
        builder = _resolve(self.architecture)
        chosen = overrides or getattr(self, "best_params_", None) or {}
        return builder(shapes, n_classes, **{**(self.params or {}), **chosen})

    def _search_grid(self, X, y_idx, fit_idx, val_idx):
        """Score every combination of ``search`` on the validation part; keep the best."""
        import itertools

        import keras

        grid = dict(self.search or {})
        if not grid:
            return {}
        if len(val_idx) == 0:
            raise ModelError("search needs a validation set: set validation_fraction > 0")
        keys = sorted(grid)
        results = []
        for n, values in enumerate(itertools.product(*(grid[k] for k in keys))):
            cand = dict(zip(keys, values))
            keras.utils.set_random_seed(int(self.seed))
            net = self.build_network(input_shapes(X), len(self.classes_), **cand)
            self.adapt_normalization(net, take(X, fit_idx))
            self._fit_keras(net, X, y_idx, fit_idx, val_idx, self.epochs, self.learning_rate,
                            phase=f"search {n + 1}")
            proba = net.predict(take(X, val_idx), batch_size=256, verbose=0)
            acc = float(np.mean(np.argmax(proba, axis=1) == y_idx[val_idx]))
            results.append({"params": _jsonable(cand), "validation_accuracy": acc})
        self.search_ = results
        combos = list(itertools.product(*(grid[k] for k in keys)))
        best = max(range(len(results)), key=lambda i: results[i]["validation_accuracy"])
        keras.utils.set_random_seed(int(self.seed))
        return dict(zip(keys, combos[best]))

    def _compile(self, model, learning_rate: float):
        import keras

        model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    @staticmethod
    def adapt_normalization(model, X) -> int:
        """Adapt every ``keras.layers.Normalization`` named ``norm_<i>`` on input ``i``.

        The statistics come from ``X`` (the fit part of the training data only) as it
        arrives at the layer, i.e. after whatever comes before it in the network
        (e.g. per-clip mean removal). Works inside nested sub-models whose input is
        model input ``i``. Returns how many layers were adapted.
        """
        import keras

        arrays = X if isinstance(X, tuple) else (X,)
        count = 0

        def visit(owner):
            nonlocal count
            for layer in owner.layers:
                if isinstance(layer, keras.layers.Normalization) and layer.name.startswith("norm_"):
                    try:
                        i = int(layer.name.split("_")[1])
                    except (IndexError, ValueError):
                        continue
                    inputs = owner.inputs
                    src = inputs[i] if len(inputs) > 1 else inputs[0]
                    feed = keras.Model(src, layer.input)
                    data = np.concatenate([np.asarray(feed(arrays[i][k:k + 256], training=False))
                                           for k in range(0, len(arrays[i]), 256)])
                    layer.adapt(data)
                    count += 1
                elif isinstance(layer, keras.Model) and hasattr(layer, "inputs"):
                    visit(layer)

        visit(model)
        return count

    def _class_weights(self, y_idx):
        if self.class_weight != "balanced":
            return None
        counts = np.bincount(y_idx, minlength=len(self.classes_)).astype(float)
        weights = len(y_idx) / (len(counts) * np.maximum(counts, 1))
        return {i: float(w) for i, w in enumerate(weights)}

    # -- training -------------------------------------------------------------------
    def _prepare(self, X, y, groups):
        import keras

        quiet_tensorflow()
        X = as_inputs(X)
        y = np.asarray(y)
        if n_samples(X) != len(y):
            raise ModelError(f"X has {n_samples(X)} rows but y has {len(y)} labels; "
                             "pass one label per clip")
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ModelError(f"need at least two emotions to train, got {list(self.classes_)}")
        y_idx = np.searchsorted(self.classes_, y)
        keras.utils.set_random_seed(int(self.seed))
        if self.validation not in ("speakers", "random"):
            raise ModelError(f"validation={self.validation!r}: use 'speakers' or 'random'")
        fit_idx, val_idx, self.validation_ = self._carve(y, groups, int(self.seed))
        return X, y_idx, fit_idx, val_idx

    def _carve(self, y, groups, seed: int):
        """(fit indices, validation indices, description) for early stopping."""
        if self.validation_fraction and self.validation_fraction > 0:
            fit_idx, val_idx, how = validation_split(
                y, groups if self.validation == "speakers" else None,
                self.validation_fraction, seed=seed)
        else:
            fit_idx, val_idx, how = np.arange(len(y)), np.array([], dtype=int), "none"
        if self.patience is not None and len(val_idx) == 0:
            raise ModelError("early stopping needs a validation set: set "
                             "validation_fraction > 0 or patience=None")
        groups_arr = None if groups is None else np.asarray(groups)
        return fit_idx, val_idx, {
            "how": how,
            "n_fit": int(len(fit_idx)),
            "n_validation": int(len(val_idx)),
            "fit_groups": [] if groups_arr is None else sorted(map(str, set(groups_arr[fit_idx]))),
            "validation_groups": ([] if groups_arr is None
                                  else sorted(map(str, set(groups_arr[val_idx])))),
        }

    def _callbacks(self, n_fit: int, epochs: int, learning_rate: float):
        import keras

        callbacks = []
        if self.patience is not None:
            # with a one-cycle schedule the first epochs run at a rising, high rate and
            # the validation scores jump about: only start counting after the warm-up
            start = int(0.3 * epochs) if self.schedule == "onecycle" else 0
            callbacks.append(keras.callbacks.EarlyStopping(
                monitor=self.monitor, patience=int(self.patience),
                mode="min" if "loss" in self.monitor else "max",
                restore_best_weights=True, start_from_epoch=start))
        if self.schedule == "onecycle":
            steps = int(np.ceil(n_fit / self.batch_size)) * int(epochs)
            callbacks.append(_one_cycle_callback(learning_rate, steps))
        elif self.schedule != "constant":
            raise ModelError(f"unknown schedule {self.schedule!r}; use 'constant' or 'onecycle'")
        return callbacks

    def _fit_keras(self, model, X, y_idx, fit_idx, val_idx, epochs, learning_rate,
                   phase: str = "train"):
        """Compile and train ``model``; appends the history to ``self.history_``."""
        self._compile(model, learning_rate)
        val = None
        if len(val_idx):
            val = (take(X, val_idx), y_idx[val_idx])
        history = model.fit(
            take(X, fit_idx), y_idx[fit_idx], validation_data=val, epochs=int(epochs),
            batch_size=int(self.batch_size), shuffle=True, verbose=self.verbose,
            callbacks=self._callbacks(len(fit_idx), epochs, learning_rate),
            class_weight=self._class_weights(y_idx[fit_idx]))
        hist = {k: [float(v) for v in vals] for k, vals in history.history.items()}
        hist.pop("learning_rate", None)
        self.history_.append({"phase": phase, **hist})
        best = None
        if len(val_idx) and f"val_{'loss' if 'loss' in self.monitor else 'accuracy'}" in hist:
            series = hist[self.monitor]
            best = int(np.argmin(series) if "loss" in self.monitor else np.argmax(series))
        return best

    def fit(self, X, y, groups=None):
        """Train on ``X`` (features), ``y`` (emotion names); ``groups`` = speakers.

        The groups are used only to hold out whole training speakers for early
        stopping (see :func:`validation_split`); they never reach the test fold.

        Notebook: 07_cnn.ipynb
        """
        t0 = time.perf_counter()
        import keras

        X, y_idx, fit_idx, val_idx = self._prepare(X, y, groups)
        self.history_ = []
        self.best_params_ = self._search_grid(X, y_idx, fit_idx, val_idx)
        n_members = 1 if self.members is None else int(self.members)
        if n_members < 1:
            raise ModelError(f"members={self.members!r}: train at least one network")
        nets, bests, carved = [], [], []
        for m in range(n_members):
            if m:
                keras.utils.set_random_seed(int(self.seed) + m)
                fit_idx, val_idx, how = self._carve(np.asarray(y), groups, int(self.seed) + m)
                carved.append(how)
            net = self.build_network(input_shapes(X), len(self.classes_))
            self.adapt_normalization(net, take(X, fit_idx))
            bests.append(self._fit_keras(net, X, y_idx, fit_idx, val_idx, self.epochs,
                                         self.learning_rate,
                                         phase="train" if n_members == 1 else f"member {m + 1}"))
            nets.append(net)
        if n_members == 1:
            self.model_ = nets[0]
            self.best_epoch_ = bests[0]
        else:
            self.model_ = committee(nets, input_shapes(X))
            self.best_epoch_ = bests
            self.validation_["members"] = [self.validation_.copy(), *carved]
        self.weights_used_ = getattr(self, "weights_used_", None) or "random initialisation"
        self.fit_seconds_ = time.perf_counter() - t0
        self.input_shapes_ = input_shapes(X)
        return self

    # -- inference -------------------------------------------------------------------
    def _check_fitted(self):
        if not hasattr(self, "model_"):
            raise ModelError(f"{self.name or type(self).__name__} is not trained yet; "
                             "call fit(X, y) or load a saved model first")

    def predict_proba(self, X, batch_size: int = 256) -> np.ndarray:
        """Class probabilities, one column per entry of :attr:`classes_`.

        Notebook: 07_cnn.ipynb
        """
        self._check_fitted()
        X = as_inputs(X)
        got = input_shapes(X)
        want = [tuple(s) for s in getattr(self, "input_shapes_", got)]
        if got != want:
            raise ModelError(f"this model was trained on inputs of shape {want} "
                             f"(feature kind {self.feature_kind!r}) but got {got}; "
                             "extract the same feature kind and settings")
        proba = self.model_.predict(X, batch_size=batch_size, verbose=0)
        return np.asarray(proba, dtype=float)

    def predict(self, X) -> np.ndarray:
        """Most probable emotion name for each row of ``X``.

        Notebook: 07_cnn.ipynb
        """
        self._check_fitted()
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def summary(self) -> str:
        """The Keras layer summary as text (for notebooks)."""
        self._check_fitted()
        lines: list[str] = []
        self.model_.summary(print_fn=lambda s, *a, **k: lines.append(s))
        return "\n".join(lines)

    @property
    def n_parameters(self) -> int:
        """Number of weights in the trained network."""
        self._check_fitted()
        return int(self.model_.count_params())

    # -- persistence -----------------------------------------------------------------
    def sidecar(self) -> dict[str, Any]:
        """What the JSON sidecar holds (everything but the weights)."""
        self._check_fitted()
        return {
            "format": "serlib-keras",
            "version": SIDECAR_VERSION,
            "class": f"{type(self).__module__}:{type(self).__name__}",
            "classes": [str(c) for c in self.classes_],
            "feature_kind": self.feature_kind,
            "input_shapes": [list(s) for s in self.input_shapes_],
            "params": _jsonable(self.get_params(deep=False)),
            "history": self.history_,
            "validation": getattr(self, "validation_", None),
            "best_epoch": getattr(self, "best_epoch_", None),
            "best_params": _jsonable(getattr(self, "best_params_", {}) or {}),
            "search": getattr(self, "search_", None),
            "weights_used": getattr(self, "weights_used_", None),
            "fit_seconds": getattr(self, "fit_seconds_", None),
            "trained_on": getattr(self, "trained_on_", None),
        }

    def save(self, path) -> Path:
        """Write ``path`` (``.keras`` added if missing) and a ``.json`` sidecar beside it.

        Notebook: 07_cnn.ipynb
        """
        self._check_fitted()
        path = Path(path)
        if path.suffix != ".keras":
            path = path.with_name(path.name + ".keras")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.model_.save(path)
        path.with_suffix(".json").write_text(json.dumps(self.sidecar(), indent=1))
        return path

    @classmethod
    def load(cls, path) -> "KerasClassifier":
        """Load a model written by :meth:`save` (the ``.keras`` file; the sidecar beside it).

        Notebook: 07_cnn.ipynb
        """
        import keras

        import serlib.models.layers  # noqa: F401  registers serlib's custom layers

        path = Path(path)
        if path.suffix != ".keras":
            path = path.with_name(path.name + ".keras")
        side = path.with_suffix(".json")
        if not path.is_file():
            raise ModelError(f"model file {path} does not exist; train and save a model "
                             "first (KerasClassifier.save) or check the path")
        if not side.is_file():
            raise ModelError(f"{path.name} has no sidecar {side.name} beside it; copy both "
                             "files together (the sidecar holds the emotion names)")
        try:
            meta = json.loads(side.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelError(f"cannot read the sidecar {side}: {exc}; re-save the model") from exc
        if meta.get("format") != "serlib-keras":
            raise ModelError(f"{side} is not a serlib model sidecar; re-save the model")
        klass = cls
        ref = meta.get("class")
        if ref:
            try:
                klass = _resolve(ref)
            except ModelError:
                klass = cls
        obj = klass(**{k: v for k, v in meta["params"].items()
                       if k in klass._get_param_names()})
        try:
            obj.model_ = keras.saving.load_model(path, compile=False)
        except Exception as exc:  # corrupt file, wrong format, missing layer
            raise ModelError(f"cannot load the Keras model {path}: {exc}; the file may be "
                             "truncated or written by another program - re-save it") from exc
        obj.classes_ = np.asarray(meta["classes"])
        obj.input_shapes_ = [tuple(s) for s in meta["input_shapes"]]
        obj.history_ = meta.get("history", [])
        obj.validation_ = meta.get("validation")
        obj.best_epoch_ = meta.get("best_epoch")
        obj.best_params_ = meta.get("best_params") or {}
        if meta.get("search") is not None:
            obj.search_ = meta["search"]
        obj.weights_used_ = meta.get("weights_used")
        obj.fit_seconds_ = meta.get("fit_seconds")
        obj.trained_on_ = meta.get("trained_on")
        return obj

    def __getstate__(self):  # pickling (joblib, clone of a fitted model) goes via .keras
        state = self.__dict__.copy()
        if "model_" in state:
            import tempfile

            with tempfile.TemporaryDirectory() as tmp:
                p = Path(tmp) / "m.keras"
                state["model_"].save(p)
                state["model_"] = p.read_bytes()
        return state

    def __setstate__(self, state):
        if isinstance(state.get("model_"), (bytes, bytearray)):
            import tempfile

            import keras

            import serlib.models.layers  # noqa: F401

            with tempfile.TemporaryDirectory() as tmp:
                p = Path(tmp) / "m.keras"
                p.write_bytes(state["model_"])
                state["model_"] = keras.saving.load_model(p, compile=False)
        self.__dict__.update(state)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)


def load(path) -> KerasClassifier:
    """Load a saved serlib Keras model (``.keras`` + ``.json``); see :meth:`KerasClassifier.load`.

    Notebook: 07_cnn.ipynb
    """
    return KerasClassifier.load(path)
