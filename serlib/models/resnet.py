"""Residual networks on log-mel images, and transfer learning done honestly.

Two backbones, one recipe:

* ``backbone="resnet50"`` - ``keras.applications.ResNet50`` (25 M weights). The mel
  image is standardised, copied into three channels and shifted to the pixel range
  ImageNet weights expect; the 1000-class top is replaced by a new head.
* ``backbone="small"`` - a ResNet built here for CPU speed: a stem and three stages of
  residual blocks (about 0.3 M weights), the same layout with far less arithmetic.

The recipe (:class:`ResNetClassifier`), when the backbone starts from learned
weights: **phase 1** trains only the new head on the frozen backbone (the backbone's
outputs are computed once and cached, which is what makes ResNet50 affordable on a
CPU); **phase 2** unfreezes the top block (``conv5_*`` in ResNet50, ``stage3_*`` in
the small one; batch-norm statistics stay frozen) and fine-tunes it with a smaller
learning rate. Both phases use a one-cycle learning-rate schedule and early stopping on
held-out training speakers. When the backbone starts from random weights there is
nothing to transfer: the whole network trains end to end, and the run says so.

Where the starting weights come from (``weights=``):

* ``"imagenet"`` - downloaded by Keras on first use (needs internet). If the download
  fails a :class:`~serlib.errors.ModelError` says so and what to do instead.
* ``"auto"`` - ImageNet when it can be downloaded; otherwise a plain message and a
  random start, recorded as such in :attr:`weights_used_`.
* ``None`` - random initialisation (training from scratch).
* a path to a ``.keras`` file saved by serlib - the backbone of that model (for
  example one trained on RAVDESS+TESS by :func:`pretrain_source`) is copied in:
  the offline transfer route, source corpora → target corpus.
* a path to an ``.h5`` weights file - Keras weights for the backbone (for
  ResNet50, e.g. a manually downloaded ``resnet50_..._notop.h5``).

Every fitted model states in ``weights_used_`` (and its saved sidecar) which weights
it started from. A random start is never called transfer learning.

Notebook: 08_resnet_transfer.ipynb
"""
from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np

from serlib.errors import ModelError
from serlib.models.cnn import make_classifier
from serlib.models.keras_base import BN_MOMENTUM, KerasClassifier, input_shapes, take

#: Name prefix of the layers in each backbone's top block (fine-tuned in phase 2).
TOP_BLOCK = {"resnet50": "conv5_", "small": "stage3_"}
#: ImageNet's per-channel means in BGR order ('caffe' preprocessing of ResNet50).
IMAGENET_MEAN_BGR = (103.939, 116.779, 123.68)


def imagenet_message(exc: BaseException | None = None) -> str:
    """The plain explanation printed when ImageNet weights cannot be downloaded.

    Notebook: 08_resnet_transfer.ipynb
    """
    why = f" ({type(exc).__name__}: {str(exc).splitlines()[0][:160]})" if exc else ""
    return ("ImageNet weights for ResNet50 could not be downloaded" + why + ". "
            "Keras fetches them from storage.googleapis.com on first use and keeps them in "
            "~/.keras/models/. What to do: on a machine with internet run once "
            "`python -c \"import keras; keras.applications.ResNet50(weights='imagenet', "
            "include_top=False)\"`, or download resnet50_weights_tf_dim_ordering_tf_kernels_"
            "notop.h5 and pass its path as weights=PATH; or use the offline route: pretrain "
            "on the source corpora (serlib.models.resnet.pretrain_source, e.g. RAVDESS+TESS) "
            "and pass that model's .keras file as weights=PATH.")


# ----------------------------------------------------------------------- backbones
def _basic_block(x, filters, stride, name):
    from keras import layers

    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False,
                      name=f"{name}_conv1")(x)
    y = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn1")(y)
    y = layers.Activation("relu", name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_bn2")(y)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False,
                                 name=f"{name}_proj")(shortcut)
        shortcut = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{name}_proj_bn")(shortcut)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.Activation("relu", name=f"{name}_out")(y)


def small_resnet(input_shape, widths=(24, 48, 96), blocks=(1, 1, 1), name="backbone"):
    """A small ResNet (basic residual blocks) for CPU training; returns a ``keras.Model``.

    Stem: 3x3 conv stride 2 + 2x2 max-pool; then one stage per entry of ``widths``
    (the first at stride 1, the others at stride 2), each of ``blocks[i]`` basic
    blocks (two 3x3 convs + identity or projected shortcut); global average pooling.
    Layer names start with ``stem_``, ``stage1_``, ``stage2_``, ``stage3_``.

    Notebook: 08_resnet_transfer.ipynb
    """
    import keras
    from keras import layers

    inp = keras.Input(shape=tuple(input_shape), name="image")
    x = layers.Conv2D(widths[0], 3, strides=2, padding="same", use_bias=False,
                      name="stem_conv")(inp)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM, name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    x = layers.MaxPooling2D(2, name="stem_pool")(x)
    for s, (w, n) in enumerate(zip(widths, blocks), start=1):
        for b in range(int(n)):
            stride = 2 if (s > 1 and b == 0) else 1
            x = _basic_block(x, int(w), stride, f"stage{s}_block{b + 1}")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    return keras.Model(inp, x, name=name)


def resnet50_backbone(input_shape, weights=None, name="backbone"):
    """``keras.applications.ResNet50`` without its top, average-pooled.

    ``weights``: ``None``, ``"imagenet"`` or a path to a Keras ``.h5`` weights file.
    Raises :class:`ModelError` (with :func:`imagenet_message`) when ImageNet weights
    cannot be downloaded.

    Notebook: 08_resnet_transfer.ipynb
    """
    import keras

    try:
        base = keras.applications.ResNet50(include_top=False, weights=weights,
                                           input_shape=tuple(input_shape), pooling="avg")
    except Exception as exc:  # URL fetch error offline, bad file, ...
        if weights == "imagenet":
            raise ModelError(imagenet_message(exc)) from exc
        raise ModelError(f"cannot build ResNet50 with weights={weights!r}: {exc}; "
                         "check the file (a Keras ResNet50 'notop' .h5) or use weights=None") from exc
    # keras.applications names the model 'resnet50'; wrap it so the backbone has our name
    inp = keras.Input(shape=tuple(input_shape), name="image")
    return keras.Model(inp, base(inp), name=name)


# -------------------------------------------------------------------------- builder
def build_resnet(shapes, n_classes, backbone="small", weights=None, widths=(24, 48, 96),
                 blocks=(1, 1, 1), dropout=0.3, spec_augment=True, utterance_norm=True,
                 image_size=None):
    """Log-mel image → (normalise, SpecAugment, 3 channels) → backbone → new head.

    ``image_size=(h, w)`` resizes the image first (ResNet50 is much cheaper at
    128 x 128 than at its native 224 x 224). The backbone is a sub-model named
    ``"backbone"``, the head (dropout + softmax) a sub-model named ``"head"``, so
    they can be frozen, cached and transferred separately.

    ``weights`` here only covers ``None``, ``"imagenet"`` and ``.h5`` files; serlib
    ``.keras`` sources are copied in by :class:`ResNetClassifier`.

    Notebook: 08_resnet_transfer.ipynb
    """
    import keras
    from keras import layers

    from serlib.models.layers import SpecAugment, UtteranceNorm

    (shape,) = shapes
    if len(shape) != 2:
        raise ValueError(f"resnet expects images (mels, frames), got examples of shape {shape}")
    pin = keras.Input(shape=tuple(shape), name="logmel")
    x = pin
    if utterance_norm:
        x = UtteranceNorm(axis=2, name="utterance_norm")(x)
    x = layers.Normalization(axis=1, name="norm_0")(x)
    if spec_augment:
        x = SpecAugment(name="spec_augment")(x)
    x = layers.Reshape((int(shape[0]), int(shape[1]), 1))(x)
    if image_size:
        x = layers.Resizing(int(image_size[0]), int(image_size[1]), name="resize")(x)
    x = layers.Concatenate(axis=-1, name="to_rgb")([x, x, x])
    h, w = (image_size or shape)[0], (image_size or shape)[1]
    if backbone == "resnet50":
        # standardised values (mean 0, sd 1) -> roughly ImageNet's 'caffe' pixel range
        x = layers.Rescaling(scale=60.0, offset=[-m + 128.0 for m in IMAGENET_MEAN_BGR],
                             name="to_pixels")(x)
    preprocess = keras.Model(pin, x, name="preprocess")
    if backbone == "resnet50":
        wts = weights if (weights is None or weights == "imagenet"
                          or str(weights).endswith(".h5")) else None
        base = resnet50_backbone((int(h), int(w), 3), weights=wts)
    elif backbone == "small":
        base = small_resnet((int(h), int(w), 3), widths=widths, blocks=blocks)
        if weights is not None and str(weights).endswith(".h5"):
            base.load_weights(str(weights))
    else:
        raise ValueError(f"unknown backbone {backbone!r}; use 'small' or 'resnet50'")
    head_in = keras.Input(shape=(int(base.output.shape[-1]),), name="embedding")
    hx = layers.Dropout(dropout, name="head_dropout")(head_in)
    hx = layers.Dense(n_classes, activation="softmax", name="softmax")(hx)
    head = keras.Model(head_in, hx, name="head")
    inp = keras.Input(shape=tuple(shape), name="input_0")
    return keras.Model(inp, head(base(preprocess(inp))), name=f"resnet_{backbone}")


# ----------------------------------------------------------------------- classifier
class ResNetClassifier(KerasClassifier):
    """:class:`KerasClassifier` with the two-phase transfer recipe (module docstring).

    Extra settings (besides the wrapper's): ``head_epochs`` (phase 1, frozen
    backbone), ``fine_tune_epochs`` (phase 2, top block unfrozen),
    ``fine_tune_lr`` (phase 2 peak learning rate). ``epochs``/``learning_rate``
    are used when training from scratch. The builder's ``weights`` parameter picks the
    starting weights.

    Notebook: 08_resnet_transfer.ipynb
    """

    def __init__(self, architecture: str = "serlib.models.resnet:build_resnet",
                 feature_kind: str = "logmel", params: dict | None = None,
                 epochs: int = 40, batch_size: int = 32, learning_rate: float = 3e-3,
                 schedule: str = "onecycle", patience: int | None = 10,
                 monitor: str = "val_loss", validation_fraction: float = 0.15,
                 validation: str = "speakers", class_weight: str | None = None,
                 seed: int = 0, verbose: int = 0, name: str | None = None, head_epochs: int = 30, fine_tune_epochs: int = 10,
                 fine_tune_lr: float = 3e-4):
        super().__init__(architecture=architecture, feature_kind=feature_kind, params=params,
                         epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                         schedule=schedule, patience=patience, monitor=monitor,
                         validation_fraction=validation_fraction, validation=validation,
                         class_weight=class_weight,
                         seed=seed, verbose=verbose, name=name)
        self.head_epochs = head_epochs
        self.fine_tune_epochs = fine_tune_epochs
        self.fine_tune_lr = fine_tune_lr

    # -- weights ---------------------------------------------------------------------
    def _start_weights(self, shapes, n_classes):
        """Build the network with the requested starting weights; return (model, source)."""
        import keras

        params = dict(self.params or {})
        weights = params.get("weights")
        backbone = params.get("backbone", "small")
        if weights == "auto":
            if backbone != "resnet50":
                raise ModelError("weights='auto' means ImageNet-if-possible, which exists only "
                                 "for backbone='resnet50'; use weights=None or a .keras path")
            try:
                model = self._build(shapes, n_classes, params, "imagenet")
                return model, "ImageNet (downloaded by Keras)"
            except ModelError as exc:
                msg = str(exc)
                warnings.warn(msg + " Continuing with a RANDOM start: this run is NOT "
                              "transfer learning.", stacklevel=3)
                print("NOTE:", msg, "\nContinuing with a random start (no transfer learning).")
                return (self._build(shapes, n_classes, params, None),
                        "random initialisation (ImageNet weights unavailable offline)")
        if weights is None:
            return self._build(shapes, n_classes, params, None), "random initialisation"
        if weights == "imagenet":
            return self._build(shapes, n_classes, params, "imagenet"), "ImageNet (downloaded by Keras)"
        path = Path(str(weights))
        if not path.is_file():
            raise ModelError(f"weights file {path} does not exist; pass None, 'imagenet', "
                             "'auto', a serlib .keras model or a Keras .h5 weights file")
        if path.suffix == ".h5":
            return self._build(shapes, n_classes, params, str(path)), f"Keras weights file {path.name}"
        if path.suffix == ".keras":
            model = self._build(shapes, n_classes, params, None)
            source = KerasClassifier.load(path)
            try:
                src = source.model_.get_layer("backbone")
            except ValueError as exc:
                raise ModelError(f"{path.name} has no 'backbone' sub-model to transfer; it was "
                                 "not saved by serlib's resnet") from exc
            dst = model.get_layer("backbone")
            try:
                dst.set_weights(src.get_weights())
            except ValueError as exc:
                raise ModelError(f"the backbone in {path.name} does not match this one "
                                 f"({exc}); build with the same backbone, widths and image "
                                 "size as the source model") from exc
            # the input standardisation travels with the backbone it was learned with
            try:
                pre = model.get_layer("preprocess")
                pre.set_weights(source.model_.get_layer("preprocess").get_weights())
                for layer in pre.layers:  # Normalization reads its statistics on finalize
                    if isinstance(layer, keras.layers.Normalization):
                        layer.finalize_state()
                self._keep_norm = True
            except ValueError:
                pass
            info = source.sidecar()
            trained_on = info.get("trained_on") or "source corpora"
            return model, (f"transferred from {path.name} (trained on {trained_on}, classes "
                           f"{', '.join(info['classes'])}; that model started from "
                           f"{info.get('weights_used')})")
        raise ModelError(f"weights file {path.name}: use a serlib .keras model or a Keras .h5 file")

    def _build(self, shapes, n_classes, params, weights):
        from serlib.models.keras_base import _resolve

        builder = _resolve(self.architecture)
        return builder(shapes, n_classes, **{**params, "weights": weights})

    def embed(self, X, batch_size: int = 64) -> np.ndarray:
        """The backbone's pooled output for each clip (what the head sees), in batches.

        Notebook: 08_resnet_transfer.ipynb
        """
        pre = self.model_.get_layer("preprocess")
        backbone = self.model_.get_layer("backbone")
        X = np.asarray(X, dtype=np.float32)
        out = [np.asarray(backbone(pre(X[i:i + batch_size], training=False), training=False))
               for i in range(0, len(X), batch_size)]
        return np.concatenate(out)

    # -- training --------------------------------------------------------------------
    def fit(self, X, y, groups=None):
        """Train (two phases from learned weights, end to end from a random start).

        Notebook: 08_resnet_transfer.ipynb
        """
        import keras

        t0 = time.perf_counter()
        X, y_idx, fit_idx, val_idx = self._prepare(X, y, groups)
        self.history_ = []
        self._keep_norm = False
        shapes = input_shapes(X)
        self.model_, self.weights_used_ = self._start_weights(shapes, len(self.classes_))
        if not self._keep_norm:
            self.adapt_normalization(self.model_, take(X, fit_idx))
        pretrained = not self.weights_used_.startswith("random")
        backbone = self.model_.get_layer("backbone")
        if not pretrained:
            self.best_epoch_ = self._fit_keras(self.model_, X, y_idx, fit_idx, val_idx,
                                               self.epochs, self.learning_rate, phase="scratch")
        else:
            # phase 1: frozen backbone; its outputs are computed once and cached
            backbone.trainable = False
            E = self.embed(X)
            head = self.model_.get_layer("head")
            self._fit_keras(head, E, y_idx, fit_idx, val_idx, self.head_epochs,
                            self.learning_rate, phase="head")
            # phase 2: unfreeze the top block, batch norms stay in inference mode
            if self.fine_tune_epochs:
                prefix = TOP_BLOCK[(self.params or {}).get("backbone", "small")]
                backbone.trainable = True
                inner = backbone.layers[-1] if prefix == "conv5_" else backbone
                for layer in inner.layers if hasattr(inner, "layers") else []:
                    layer.trainable = (layer.name.startswith(prefix)
                                       and not isinstance(layer, keras.layers.BatchNormalization))
                if prefix == "conv5_":
                    for layer in backbone.layers[:-1]:
                        layer.trainable = False
                self._fit_keras(self.model_, X, y_idx, fit_idx, val_idx,
                                self.fine_tune_epochs, self.fine_tune_lr, phase="fine-tune")
            self.best_epoch_ = None
        self.fit_seconds_ = time.perf_counter() - t0
        self.input_shapes_ = shapes
        return self


_RESNET = dict(backbone="small", weights=None, widths=(24, 48, 96), blocks=(1, 1, 1),
               dropout=0.3, spec_augment=True, utterance_norm=True, image_size=None)
_RESNET_TRAIN = dict(epochs=20, batch_size=32, learning_rate=2e-3, schedule="onecycle",
                     patience=6, monitor="val_accuracy", validation_fraction=0.15,
                     head_epochs=15, fine_tune_epochs=8, fine_tune_lr=3e-4, name="resnet")


def resnet(**kwargs) -> ResNetClassifier:
    """A ResNet on log-mel images (feature kind ``"logmel"``).

    Defaults: the small CPU ResNet from a random start (``weights=None``), trained end to
    end. ``backbone="resnet50", weights="auto", image_size=(128, 128)`` gives ResNet50
    with ImageNet weights where they can be downloaded (a clear message and a random
    start where they cannot); ``weights="path/to/source.keras"`` transfers a backbone
    pretrained by :func:`pretrain_source`.

    Notebook: 08_resnet_transfer.ipynb
    """
    return make_classifier("serlib.models.resnet:build_resnet", "logmel", _RESNET,
                           _RESNET_TRAIN, kwargs, cls=ResNetClassifier)


def pretrain_source(X, y, groups=None, path=None, trained_on: str = "source corpora",
                    **kwargs) -> ResNetClassifier:
    """Train a ResNet from scratch on the source corpora; optionally save it to ``path``.

    Its ``.keras`` file is then the ``weights=`` of a target-corpus model (the offline
    alternative to ImageNet: e.g. RAVDESS+TESS → EMO-DB). ``trained_on`` is written
    into the sidecar so the target model can say where its weights came from.

    Notebook: 08_resnet_transfer.ipynb
    """
    clf = resnet(**kwargs)
    clf.fit(X, y, groups=groups)
    clf.trained_on_ = trained_on
    if path is not None:
        clf.save(path)
    return clf
