"""Convolutional networks: the seed's two 1-D CNNs on 40 MFCC means, and a 2-D CNN on log-mel images.

Each family has a *network builder* (``build_*``: input shapes and class count in, an
uncompiled ``keras.Model`` out) and a *factory* (``cnn1d``, ``cnn1d_bn``, ``cnn2d``)
that returns an untrained :class:`~serlib.models.keras_base.KerasClassifier` with
sensible training settings. The registry (``serlib evaluate --model cnn1d``) calls the
factories; keyword arguments override any setting, e.g. ``cnn2d(epochs=5)`` or
``cnn1d(filters=(32, 64))`` (unknown names go to the builder).

* ``cnn1d`` - the seed's **Model 1**: Conv1D + ReLU, 10 % dropout, max-pooling, a
  second Conv1D, flatten, softmax, on the 40 MFCC means of a clip.
* ``cnn1d_bn`` - the seed's **Model 2**: more filters, batch normalisation after every
  convolution, the same dropout and pooling.
* ``cnn2d`` - four conv blocks (conv, batch norm, ReLU, max-pool) over a 128 x 188
  log-mel image, global average pooling, dropout, softmax. Optional SpecAugment masks
  (training only) and per-clip normalisation.

Notebook: 07_cnn.ipynb
"""
from __future__ import annotations

import inspect

from serlib.models.keras_base import BN_MOMENTUM, KerasClassifier

#: The wrapper's own settings; every other keyword of a factory goes to the builder.
_WRAPPER_ARGS = set(inspect.signature(KerasClassifier.__init__).parameters) - {"self"}


def split_kwargs(kwargs: dict, builder_defaults: dict,
                 wrapper_args=None) -> tuple[dict, dict]:
    """Split factory keywords into (wrapper settings, builder params).

    ``random_state`` is accepted as another name for ``seed`` (scikit-learn habit).
    Raises TypeError for a name neither the wrapper nor the builder knows.

    Notebook: 07_cnn.ipynb
    """
    wrapper_args = set(wrapper_args or _WRAPPER_ARGS)
    kwargs = dict(kwargs)
    if "random_state" in kwargs:
        kwargs["seed"] = kwargs.pop("random_state")
    wrapper = {k: v for k, v in kwargs.items() if k in wrapper_args and k != "params"}
    params = dict(builder_defaults)
    params.update(kwargs.get("params") or {})
    for k, v in kwargs.items():
        if k in wrapper_args or k == "params":
            continue
        if k not in builder_defaults:
            raise TypeError(f"unknown setting {k!r}; the wrapper takes {sorted(wrapper_args)} "
                            f"and the network takes {sorted(builder_defaults)}")
        params[k] = v
    return wrapper, params


def make_classifier(architecture: str, feature_kind: str, builder_defaults: dict,
                    training_defaults: dict, kwargs: dict, cls=KerasClassifier):
    """Build a :class:`KerasClassifier` from defaults and user overrides."""
    wrapper, params = split_kwargs(kwargs, builder_defaults, cls._get_param_names())
    settings = {**training_defaults, **wrapper}
    settings.setdefault("feature_kind", feature_kind)
    return cls(architecture=architecture, params=params, **settings)


def _input(shape, index: int = 0, normalize=True, axis=-1):
    """An input plus, optionally, a per-feature ``Normalization`` layer named ``norm_<i>``."""
    import keras

    inp = keras.Input(shape=tuple(shape), name=f"input_{index}")
    x = inp
    if normalize:
        x = keras.layers.Normalization(axis=axis, name=f"norm_{index}")(x)
    return inp, x


# ------------------------------------------------------------------------ 1-D CNNs
def build_cnn1d(shapes, n_classes, filters=(64, 128), kernel_size=5, dropout=0.1,
                pool_size=4, batch_norm=False, normalize=True):
    """The seed's 1-D CNN over a feature vector (40 MFCC means).

    Layers: [normalise] → reshape to (40, 1) → for each entry of ``filters``:
    Conv1D(kernel 5, ReLU) [→ batch norm] → dropout; max-pooling after the first →
    flatten → dense softmax. ``batch_norm=True`` gives the seed's Model 2.

    ``normalize`` adds a per-coefficient standardisation adapted on the training part
    (MFCC means span hundreds of units in c0 and a few in c39; without it Adam needs
    many more epochs).

    Notebook: 07_cnn.ipynb
    """
    import keras
    from keras import layers

    (shape,) = shapes
    inp, x = _input(shape, 0, normalize)
    x = layers.Reshape((int(shape[0]), 1))(x) if len(shape) == 1 else x
    for i, f in enumerate(filters):
        x = layers.Conv1D(int(f), kernel_size, padding="same", use_bias=not batch_norm,
                          name=f"conv{i + 1}")(x)
        if batch_norm:
            x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"bn{i + 1}")(x)
        x = layers.Activation("relu")(x)
        x = layers.Dropout(dropout)(x)
        if i == 0 and pool_size:
            x = layers.MaxPooling1D(pool_size, name="pool")(x)
    x = layers.Flatten()(x)
    out = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    return keras.Model(inp, out, name="cnn1d_bn" if batch_norm else "cnn1d")


_CNN1D = dict(filters=(64, 128), kernel_size=5, dropout=0.1, pool_size=4, batch_norm=False,
              normalize=True)
_CNN1D_BN = dict(_CNN1D, filters=(128, 256), batch_norm=True)
_CNN1D_TRAIN = dict(epochs=200, batch_size=16, learning_rate=1e-3, patience=20,
                    validation_fraction=0.15, name="cnn1d")


def cnn1d(**kwargs) -> KerasClassifier:
    """The seed's CNN Model 1 on the 40 MFCC means (feature kind ``"mfcc40"``).

    Trains with batch 16 for up to 200 epochs (the seed's settings) and stops early
    when the loss on held-out training speakers has not improved for 20 epochs. For
    the seed's exact protocol (all 200 epochs, no validation) pass
    ``patience=None, validation_fraction=0``.

    Notebook: 07_cnn.ipynb
    """
    return make_classifier("serlib.models.cnn:build_cnn1d", "mfcc40", _CNN1D,
                           _CNN1D_TRAIN, kwargs)


def cnn1d_bn(**kwargs) -> KerasClassifier:
    """The seed's CNN Model 2: more filters (128, 256) and batch normalisation.

    Notebook: 07_cnn.ipynb
    """
    return make_classifier("serlib.models.cnn:build_cnn1d", "mfcc40", _CNN1D_BN,
                           dict(_CNN1D_TRAIN, name="cnn1d-bn"), kwargs)


# ------------------------------------------------------------------------ 2-D CNN
def build_cnn2d(shapes, n_classes, filters=(16, 32, 64, 128), dropout=0.3,
                spec_augment=True, freq_masks=2, freq_width=8, time_masks=2,
                time_width=10, utterance_norm=True, downsample=2, dense=0):
    """A small 2-D CNN over a log-mel image (mels x frames).

    Layers: [per-clip mean removal] → per-band standardisation → [SpecAugment, active
    only in training] → add a channel axis → [average-pool by ``downsample``] → for each
    entry of ``filters``: 3x3 conv → batch norm → ReLU → 2x2 max-pool → global average
    pooling → dropout → [dense ReLU] → softmax.

    About 100 k weights with the defaults; the 2 x 2 average pooling (``downsample=2``)
    makes the convolutions four times cheaper, which is what lets it train on a CPU.

    Notebook: 07_cnn.ipynb
    """
    import keras
    from keras import layers

    from serlib.models.layers import SpecAugment, UtteranceNorm

    (shape,) = shapes
    if len(shape) != 2:
        raise ValueError(f"cnn2d expects images (mels, frames), got examples of shape {shape}")
    inp = keras.Input(shape=tuple(shape), name="input_0")
    x = inp
    if utterance_norm:
        x = UtteranceNorm(axis=2, name="utterance_norm")(x)
    x = layers.Normalization(axis=1, name="norm_0")(x)
    if spec_augment:
        x = SpecAugment(freq_masks, freq_width, time_masks, time_width, name="spec_augment")(x)
    x = layers.Reshape((int(shape[0]), int(shape[1]), 1))(x)
    if downsample and downsample > 1:
        x = layers.AveragePooling2D(int(downsample))(x)
    x = conv_stack(x, filters)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(dropout)(x)
    if dense:
        x = layers.Dense(int(dense), activation="relu")(x)
        x = layers.Dropout(dropout)(x)
    out = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    return keras.Model(inp, out, name="cnn2d")


def conv_stack(x, filters, prefix: str = "block"):
    """Conv 3x3 → batch norm → ReLU → max-pool 2x2, once per entry of ``filters``."""
    from keras import layers

    for i, f in enumerate(filters):
        x = layers.Conv2D(int(f), 3, padding="same", use_bias=False,
                          name=f"{prefix}{i + 1}_conv")(x)
        x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"{prefix}{i + 1}_bn")(x)
        x = layers.Activation("relu", name=f"{prefix}{i + 1}_relu")(x)
        x = layers.MaxPooling2D(2, name=f"{prefix}{i + 1}_pool")(x)
    return x


_CNN2D = dict(filters=(16, 32, 64, 128), dropout=0.3, spec_augment=True, freq_masks=2,
              freq_width=8, time_masks=2, time_width=10, utterance_norm=True,
              downsample=2, dense=0)
_CNN2D_TRAIN = dict(epochs=20, batch_size=32, learning_rate=2e-3, schedule="onecycle",
                    patience=6, monitor="val_accuracy", validation_fraction=0.15,
                    name="cnn2d")


def cnn2d(**kwargs) -> KerasClassifier:
    """A 2-D CNN on 128 x 188 log-mel images (feature kind ``"logmel"``).

    Up to 20 epochs with a one-cycle learning rate (peak 2e-3); the weights of the epoch
    with the best accuracy on held-out training speakers are kept (patience 6, counted
    after the warm-up); SpecAugment masks during training only.

    Notebook: 07_cnn.ipynb
    """
    return make_classifier("serlib.models.cnn:build_cnn2d", "logmel", _CNN2D,
                           _CNN2D_TRAIN, kwargs)
