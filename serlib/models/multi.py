"""A two-input network: a log-mel image branch and an MFCC sequence branch, concatenated.

The seed's multi-input idea: one branch sees the spectrogram as an image (2-D
convolutions, as :func:`serlib.models.cnn.build_cnn2d`), the other the MFCC frames
(1-D convolutions over time); their pooled outputs are concatenated and a small dense
head classifies. ``X`` is a tuple ``(logmel, mfcc_seq)`` with one row per clip in both
(feature kind ``"logmel+mfcc_seq"``).

Notebook: 07_cnn.ipynb
"""
from __future__ import annotations

from serlib.models.cnn import make_classifier
from serlib.models.keras_base import BN_MOMENTUM, KerasClassifier


def build_multi_input(shapes, n_classes, image_filters=(16, 32, 64, 128),
                      seq_filters=(64, 128), dropout=0.3, dense=64, spec_augment=True,
                      utterance_norm=True):
    """Image branch (2-D CNN) + sequence branch (1-D CNN), concatenated, dense softmax.

    Notebook: 07_cnn.ipynb
    """
    import keras
    from keras import layers

    from serlib.models.cnn import conv_stack
    from serlib.models.layers import SpecAugment, UtteranceNorm

    if len(shapes) != 2:
        raise ValueError("multi_input expects two inputs: (logmel images, mfcc sequences)")
    img_shape, seq_shape = shapes
    img = keras.Input(shape=tuple(img_shape), name="input_0")
    x = img
    if utterance_norm:
        x = UtteranceNorm(axis=2, name="utterance_norm_0")(x)
    x = layers.Normalization(axis=1, name="norm_0")(x)
    if spec_augment:
        x = SpecAugment(name="spec_augment")(x)
    x = layers.Reshape((int(img_shape[0]), int(img_shape[1]), 1))(x)
    x = conv_stack(x, image_filters, prefix="img")
    x = layers.GlobalAveragePooling2D(name="img_pool")(x)

    seq = keras.Input(shape=tuple(seq_shape), name="input_1")
    s = seq
    if utterance_norm:
        s = UtteranceNorm(axis=1, name="utterance_norm_1")(s)
    s = layers.Normalization(axis=-1, name="norm_1")(s)
    for i, f in enumerate(seq_filters):
        s = layers.Conv1D(int(f), 5, padding="same", use_bias=False, name=f"seq{i + 1}_conv")(s)
        s = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"seq{i + 1}_bn")(s)
        s = layers.Activation("relu")(s)
        s = layers.MaxPooling1D(2)(s)
    s = layers.GlobalAveragePooling1D(name="seq_pool")(s)

    h = layers.Concatenate(name="concat")([x, s])
    h = layers.Dropout(dropout)(h)
    if dense:
        h = layers.Dense(int(dense), activation="relu")(h)
        h = layers.Dropout(dropout)(h)
    out = layers.Dense(n_classes, activation="softmax", name="softmax")(h)
    return keras.Model([img, seq], out, name="multi_input")


_MULTI = dict(image_filters=(16, 32, 64, 128), seq_filters=(64, 128), dropout=0.3, dense=64,
              spec_augment=True, utterance_norm=True)
_MULTI_TRAIN = dict(epochs=20, batch_size=32, learning_rate=2e-3, schedule="onecycle",
                    patience=6, monitor="val_accuracy", validation_fraction=0.15,
                    name="multi")


def multi_input(**kwargs) -> KerasClassifier:
    """Mel-image + MFCC-sequence network (feature kind ``"logmel+mfcc_seq"``).

    Notebook: 07_cnn.ipynb
    """
    return make_classifier("serlib.models.multi:build_multi_input", "logmel+mfcc_seq",
                           _MULTI, _MULTI_TRAIN, kwargs)
