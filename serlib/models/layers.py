"""Small Keras layers serlib's networks share, registered so ``.keras`` files reload.

* :class:`SpecAugment` - random frequency and time masks on spectrogram-like inputs,
  active only while training (like dropout), so validation, test and prediction
  always see the untouched features.
* :class:`UtteranceNorm` - subtracts each clip's own mean per feature row (and divides
  by its spread): removes the loudness and channel colouring of one recording, which
  is what differs most between corpora.
* :class:`AttentionPooling` - a learned weighted average over time (BiLSTM model).

Importing this module imports Keras; only the deep model modules do that.

Notebooks: 07_cnn.ipynb, 08_resnet_transfer.ipynb
"""
from __future__ import annotations

import keras
from keras import ops

PACKAGE = "serlib"


@keras.saving.register_keras_serializable(package=PACKAGE)
class SpecAugment(keras.layers.Layer):
    """SpecAugment masks (Park et al. 2019) on inputs shaped (batch, freq, time[, 1]).

    While training, each example gets ``freq_masks`` bands of up to ``freq_width``
    rows and ``time_masks`` stretches of up to ``time_width`` frames set to
    ``fill`` (0 = the mean after normalisation). At inference the input passes
    unchanged. Use it right after the normalisation layer.

    Notebook: 07_cnn.ipynb
    """

    def __init__(self, freq_masks=2, freq_width=12, time_masks=2, time_width=20,
                 fill=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.freq_masks = int(freq_masks)
        self.freq_width = int(freq_width)
        self.time_masks = int(time_masks)
        self.time_width = int(time_width)
        self.fill = float(fill)
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)

    def _band(self, batch, size, n_masks, width):
        keep = ops.ones((batch, size), dtype="bool")
        if n_masks <= 0 or width <= 0:
            return keep
        pos = ops.expand_dims(ops.arange(size), 0)
        for _ in range(n_masks):
            w = ops.floor(keras.random.uniform((batch, 1), 0.0, width + 1.0,
                                               seed=self.generator))
            start = ops.floor(keras.random.uniform((batch, 1), seed=self.generator)
                              * ops.maximum(ops.cast(size, "float32") - w, 1.0))
            posf = ops.cast(pos, "float32")
            inside = ops.logical_and(posf >= start, posf < start + w)
            keep = ops.logical_and(keep, ops.logical_not(inside))
        return keep

    def call(self, x, training=None):
        if not training:
            return x
        shape = ops.shape(x)
        batch, n_freq, n_time = shape[0], shape[1], shape[2]
        keep_f = self._band(batch, n_freq, self.freq_masks, self.freq_width)
        keep_t = self._band(batch, n_time, self.time_masks, self.time_width)
        keep = ops.logical_and(ops.expand_dims(keep_f, 2), ops.expand_dims(keep_t, 1))
        if len(x.shape) == 4:
            keep = ops.expand_dims(keep, -1)
        keep = ops.cast(keep, x.dtype)
        return x * keep + (1.0 - keep) * self.fill

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "freq_masks": self.freq_masks,
                "freq_width": self.freq_width, "time_masks": self.time_masks,
                "time_width": self.time_width, "fill": self.fill, "seed": self.seed}


@keras.saving.register_keras_serializable(package=PACKAGE)
class UtteranceNorm(keras.layers.Layer):
    """Per-clip normalisation along ``axis`` (the time axis): x - mean (/ std).

    For a log-mel image (batch, mels, frames) with ``axis=2`` each mel band of each
    clip gets zero mean: the per-recording spectral tilt (microphone, room, loudness)
    goes away and only its changes over time remain (cepstral mean normalisation).

    Notebook: 08_resnet_transfer.ipynb
    """

    def __init__(self, axis=2, scale=False, epsilon=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)
        self.scale = bool(scale)
        self.epsilon = float(epsilon)

    def call(self, x):
        mean = ops.mean(x, axis=self.axis, keepdims=True)
        x = x - mean
        if self.scale:
            x = x / ops.sqrt(ops.mean(ops.square(x), axis=self.axis, keepdims=True)
                             + self.epsilon)
        return x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "scale": self.scale,
                "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package=PACKAGE)
class AttentionPooling(keras.layers.Layer):
    """Weighted average over time with learned weights: (batch, time, d) -> (batch, d).

    A small dense layer scores every frame (``tanh(W h + b) · v``); a softmax over
    time turns the scores into weights. Frames that carry the emotion get more weight
    than pauses. ``return_weights=True`` in ``call`` also returns the weights.

    Notebook: 07_cnn.ipynb
    """

    def __init__(self, units=64, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)

    def build(self, input_shape):
        d = int(input_shape[-1])
        self.w = self.add_weight(name="w", shape=(d, self.units), initializer="glorot_uniform")
        self.b = self.add_weight(name="b", shape=(self.units,), initializer="zeros")
        self.v = self.add_weight(name="v", shape=(self.units, 1), initializer="glorot_uniform")

    def scores(self, h):
        """Attention weights (batch, time) for hidden states ``h``."""
        e = ops.matmul(ops.tanh(ops.matmul(h, self.w) + self.b), self.v)  # (b, t, 1)
        return ops.softmax(ops.squeeze(e, -1), axis=-1)

    def call(self, h):
        a = self.scores(h)
        return ops.sum(h * ops.expand_dims(a, -1), axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "units": self.units}
