"""A feed-forward network on the clip's summary vector (feature kind ``"stats"``).

The cheapest deep model in serlib: the 234 named clip statistics (MFCC, delta, log-mel,
chroma, energy, spectral shape and pitch summaries, see
:func:`serlib.features.stats_vector`) go through a few dense layers. It trains in
seconds on a CPU, so it is the model of choice when many runs are needed (speaker
folds, seeds) and it shows what depth adds to the classical MLP of notebook 06:
batch normalisation, dropout on the input and between layers, Adam and early
stopping on held-out training speakers.

Paired with per-speaker z-normalisation of the inputs
(:func:`serlib.evaluation.splits.speaker_normalize`) it is serlib's best
speaker-independent deep model on RAVDESS (see ``results/deep``).

Notebook: 07_cnn.ipynb
"""
from __future__ import annotations

from serlib.models.cnn import _input, make_classifier
from serlib.models.keras_base import BN_MOMENTUM, KerasClassifier


def build_dnn(shapes, n_classes, units=(256, 128), dropout=0.4, input_dropout=0.2,
              normalize=True):
    """Dense layers over a feature vector.

    Layers: [per-feature standardisation, adapted on the training part] → dropout
    ``input_dropout`` → for each entry of ``units``: dense → batch norm → ReLU →
    dropout ``dropout`` → dense softmax. About 95 k weights with the defaults.

    Notebook: 07_cnn.ipynb
    """
    import keras
    from keras import layers

    (shape,) = shapes
    if len(shape) != 1:
        raise ValueError(f"dnn expects feature vectors, got examples of shape {shape}")
    inp, x = _input(shape, 0, normalize)
    if input_dropout:
        x = layers.Dropout(float(input_dropout), name="input_dropout")(x)
    for i, u in enumerate(units):
        x = layers.Dense(int(u), use_bias=False, name=f"dense{i + 1}")(x)
        x = layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"bn{i + 1}")(x)
        x = layers.Activation("relu", name=f"relu{i + 1}")(x)
        x = layers.Dropout(float(dropout), name=f"dropout{i + 1}")(x)
    out = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    return keras.Model(inp, out, name="dnn")


_DNN = dict(units=(256, 128), dropout=0.4, input_dropout=0.2, normalize=True)
_DNN_TRAIN = dict(epochs=150, batch_size=32, learning_rate=1e-3, patience=30,
                  monitor="val_loss", validation_fraction=0.15, members=5, name="dnn")


def dnn(**kwargs) -> KerasClassifier:
    """A dense network on the 234-value clip summary (feature kind ``"stats"``).

    A committee of five networks whose probabilities are averaged: each trains for up
    to 150 epochs of Adam (learning rate 1e-3, batch 32) and keeps the weights with the
    lowest loss on its own held-out training speakers (patience 30), so between them
    the members learn from every training speaker. ``members=1`` trains one network,
    five times faster; on RAVDESS speaker 6-fold with z-norm it scored 60.6 % against the
    committee's 60.7 % (rows ``rav6-dnn-znorm-single`` and ``rav6-dnn-znorm``), so where
    time matters one network loses next to nothing.

    Notebook: 07_cnn.ipynb
    """
    return make_classifier("serlib.models.dnn:build_dnn", "stats", _DNN, _DNN_TRAIN, kwargs)
