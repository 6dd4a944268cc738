"""Solutions to the exercises of notebook 07 (convolutional and recurrent networks).

Notebook: 07_cnn.ipynb
"""
from __future__ import annotations

import numpy as np

from serlib.exercises import heading


def exercise_count_parameters(show_result=True):
    """Exercise 1: count the weights of the seed's Model 1 by hand.

    Model 1 (``serlib.models.cnn.build_cnn1d``, 8 emotions, 40 inputs): Conv1D with 64
    filters of width 5 on one input channel, max-pooling by 4, Conv1D with 128 filters
    of width 5, flatten, dense softmax. How many weights does each layer have (kernels
    plus biases)? Check against Keras' ``count_params()`` (the normalisation layer adds
    2 x 40 statistics plus a count, which are not trained).

    Notebook: 07_cnn.ipynb
    """
    if not show_result:
        return
    from serlib.models.cnn import build_cnn1d

    heading("weights of the seed's Model 1")
    conv1 = 5 * 1 * 64 + 64
    conv2 = 5 * 64 * 128 + 128
    steps = 40 // 4
    dense = steps * 128 * 8 + 8
    norm = 40 + 40 + 1
    print(f"conv1: 5 x 1 x 64 + 64            = {conv1:>7,}")
    print(f"conv2: 5 x 64 x 128 + 128         = {conv2:>7,}")
    print(f"dense: ({steps} steps x 128) x 8 + 8   = {dense:>7,}")
    print(f"normalisation (mean, variance, count, not trained) = {norm}")
    model = build_cnn1d([(40,)], 8)
    print(f"by hand {conv1 + conv2 + dense + norm:,}  -  Keras count_params() "
          f"{model.count_params():,}")


def exercise_spec_augment_share(show_result=True):
    """Exercise 2: how much of a log-mel image do SpecAugment's masks hide?

    Two frequency masks of a width drawn uniformly from 0..8 rows (of 128) and two time
    masks of 0..10 frames (of 188). Work out the expected share of hidden cells, ignoring
    overlaps, and check it by simulation with ``serlib.models.augment.spec_augment``.

    Notebook: 07_cnn.ipynb
    """
    if not show_result:
        return
    from serlib.models.augment import spec_augment

    heading("share of a log-mel image hidden by SpecAugment")
    f_share = 2 * 4 / 128          # two masks, mean width 4 rows
    t_share = 2 * 5 / 188          # two masks, mean width 5 frames
    expect = 1 - (1 - f_share) * (1 - t_share)
    rng = np.random.default_rng(0)
    img = np.ones((128, 188), dtype=np.float32)
    hidden = [np.mean(spec_augment(img, rng, 2, 8, 2, 10, fill=0.0) == 0.0) for _ in range(2000)]
    print(f"expected (no overlaps): rows {f_share:.3f}, frames {t_share:.3f}, cells {expect:.3f}")
    print(f"simulated over 2000 images: {np.mean(hidden):.3f}")
    print("Small masks: the network still sees most of every clip, but can never rely on "
          "one band or one moment alone.")


def exercise_attention_by_hand(show_result=True):
    """Exercise 3: attention pooling with NumPy.

    Take 5 time steps of 3-dimensional hidden states ``h`` and a scoring vector ``v``
    (here ``score_t = h_t · v``, without the hidden tanh layer). Turn the scores into
    weights with a softmax over time and pool ``sum_t a_t h_t``. Compare with the plain
    mean. Which step dominates, and why?

    Notebook: 07_cnn.ipynb
    """
    if not show_result:
        return
    heading("attention pooling by hand")
    h = np.array([[0.1, 0.0, 0.2], [0.0, 0.1, 0.1], [2.0, 1.5, 0.3],
                  [0.2, 0.1, 0.0], [0.1, 0.2, 0.1]])
    v = np.array([1.0, 1.0, 0.0])
    scores = h @ v
    a = np.exp(scores - scores.max())
    a /= a.sum()
    print("scores :", np.round(scores, 2))
    print("weights:", np.round(a, 3), "(sum", round(float(a.sum()), 3), ")")
    print("attention pool:", np.round(a @ h, 3))
    print("plain mean    :", np.round(h.mean(axis=0), 3))
    print("Step 3 has by far the largest score, so it takes most of the weight: the pool is "
          "close to h_3, while the mean dilutes it with four quiet steps.")
