"""A bidirectional LSTM with attention over MFCC frame sequences.

The network reads a clip as a sequence of MFCC frames (188 frames x 40 coefficients,
feature kind ``"mfcc_seq"``), one LSTM forwards and one backwards in time, and pools
the hidden states with learned attention weights (:class:`serlib.models.layers.AttentionPooling`):
frames that carry the emotion count more than pauses. One of the seeds used such a
model over four corpora and reported 60.38 % accuracy (F1 0.60).

To stay quick on a CPU, a strided 1-D convolution first shortens the sequence 4-fold
(188 → 47 steps); recurrent layers cost time in proportion to the sequence length.

Notebook: 07_cnn.ipynb
"""
from __future__ import annotations

from serlib.models.cnn import make_classifier
from serlib.models.keras_base import KerasClassifier


def build_bilstm(shapes, n_classes, units=64, conv_filters=64, stride=4, dropout=0.3,
                 attention_units=64, dense=64, utterance_norm=True):
    """BiLSTM + attention pooling over a (frames, coefficients) sequence.

    Layers: [per-clip mean removal] → per-coefficient standardisation → Conv1D
    (``conv_filters``, kernel 5, stride ``stride``, ReLU) → BiLSTM(``units`` each way,
    full sequence) → attention pooling → dropout → dense ReLU → softmax.

    Notebook: 07_cnn.ipynb
    """
    import keras
    from keras import layers

    from serlib.models.layers import AttentionPooling, UtteranceNorm

    (shape,) = shapes
    if len(shape) != 2:
        raise ValueError(f"bilstm expects sequences (frames, coefficients), got {shape}")
    inp = keras.Input(shape=tuple(shape), name="input_0")
    x = inp
    if utterance_norm:
        x = UtteranceNorm(axis=1, name="utterance_norm")(x)
    x = layers.Normalization(axis=-1, name="norm_0")(x)
    if conv_filters:
        x = layers.Conv1D(int(conv_filters), 5, strides=int(stride), padding="same",
                          activation="relu", name="frame_conv")(x)
    x = layers.Bidirectional(layers.LSTM(int(units), return_sequences=True), name="bilstm")(x)
    x = AttentionPooling(int(attention_units), name="attention")(x)
    x = layers.Dropout(dropout)(x)
    if dense:
        x = layers.Dense(int(dense), activation="relu")(x)
        x = layers.Dropout(dropout)(x)
    out = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    return keras.Model(inp, out, name="bilstm_attention")


_BILSTM = dict(units=64, conv_filters=64, stride=4, dropout=0.3, attention_units=64,
               dense=64, utterance_norm=True)
_BILSTM_TRAIN = dict(epochs=20, batch_size=32, learning_rate=2e-3, schedule="onecycle",
                     patience=6, monitor="val_accuracy", validation_fraction=0.15,
                     name="bilstm")


def bilstm(**kwargs) -> KerasClassifier:
    """BiLSTM with attention on MFCC sequences (feature kind ``"mfcc_seq"``).

    Notebook: 07_cnn.ipynb
    """
    return make_classifier("serlib.models.rnn:build_bilstm", "mfcc_seq", _BILSTM,
                           _BILSTM_TRAIN, kwargs)


def attention_weights(clf: KerasClassifier, X):
    """Attention weight of every (shortened) time step for each clip: (clips, steps).

    Notebook: 07_cnn.ipynb
    """
    import keras
    import numpy as np

    clf._check_fitted()
    model = clf.model_
    att = model.get_layer("attention")
    feed = keras.Model(model.inputs, att.input)
    h = feed.predict(np.asarray(X, dtype=np.float32), verbose=0)
    return np.asarray(att.scores(h))
