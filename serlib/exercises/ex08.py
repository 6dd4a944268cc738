"""Solutions to the exercises of notebook 08 (ResNet and transfer learning).

Notebook: 08_resnet_transfer.ipynb
"""
from __future__ import annotations

import numpy as np

from serlib.exercises import heading


def exercise_one_cycle(show_result=True):
    """Exercise 1: the one-cycle learning rate.

    Training runs 20 epochs of 90 steps with a peak rate of 2e-3. With
    ``serlib.models.keras_base.one_cycle`` find the step with the largest rate, the rate
    at the first and the last step, and plot the schedule. Why start low, and why end
    far below the start?

    Notebook: 08_resnet_transfer.ipynb
    """
    if not show_result:
        return
    import matplotlib.pyplot as plt

    from serlib.models.keras_base import one_cycle

    heading("the one-cycle schedule")
    total = 20 * 90
    lr = np.array([one_cycle(s, total, 2e-3) for s in range(total)])
    peak = int(np.argmax(lr))
    print(f"peak at step {peak} of {total} (epoch {peak / 90:.1f}): {lr[peak]:.2e}")
    print(f"first step {lr[0]:.1e}, last step {lr[-1]:.1e}")
    print("Low at first: random weights give large, unreliable gradients. High in the middle:\n"
          "big steps cross flat regions quickly and act as a regulariser. Very low at the end:\n"
          "the weights settle into the minimum they have found.")
    fig, ax = plt.subplots()
    ax.plot(np.arange(total) / 90, lr * 1e3)
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate (x 1e-3)")
    ax.set_title("one-cycle schedule, peak 2e-3")


def exercise_frozen_weights(show_result=True):
    """Exercise 2: what does each training phase change?

    Build the small ResNet of notebook 08 for 4 emotions
    (``serlib.models.resnet.build_resnet([(128, 188)], 4)``). Count the trainable weights
    (a) with the backbone frozen (phase 1), (b) with only the layers of its top block
    ``stage3_*`` trainable, batch norms excluded (phase 2), (c) all of them.

    Notebook: 08_resnet_transfer.ipynb
    """
    if not show_result:
        return
    import keras

    from serlib.models.resnet import build_resnet

    heading("trainable weights per phase")

    def trainable(model):
        return int(sum(np.prod(w.shape) for w in model.trainable_weights))

    model = build_resnet([(128, 188)], 4)
    backbone = model.get_layer("backbone")
    everything = trainable(model)
    backbone.trainable = False
    phase1 = trainable(model)
    backbone.trainable = True
    for layer in backbone.layers:
        layer.trainable = (layer.name.startswith("stage3_")
                           and not isinstance(layer, keras.layers.BatchNormalization))
    phase2 = trainable(model)
    print(f"(a) phase 1, frozen backbone : {phase1:>8,} (the head: 96 x 4 + 4 = 388)")
    print(f"(b) phase 2, top block + head: {phase2:>8,}")
    print(f"(c) everything (from scratch): {everything:>8,}")


def exercise_resnet50_budget(show_result=True):
    """Exercise 3: can a laptop fine-tune ResNet50?

    ResNet50's forward pass runs at about 66 images/s at 128 x 128 and 26 images/s at
    224 x 224 on two CPU cores; a backward pass costs about twice a forward one. How long
    does one epoch over the 4,240 RAVDESS+TESS clips take (a) for phase 1 with cached
    backbone outputs (one forward pass in total, then a tiny head), (b) for training the
    whole network at 224 x 224? What does that say about the seed's recipe on a CPU?

    Notebook: 08_resnet_transfer.ipynb
    """
    if not show_result:
        return
    heading("a CPU budget for ResNet50")
    n = 4240
    once = n / 66
    full = n / 26 * 3
    print(f"(a) one forward pass at 128 x 128: {once / 60:.1f} min, once; then the head "
          "trains in seconds per epoch")
    print(f"(b) forward + backward at 224 x 224: {full / 60:.0f} min per epoch; 30 epochs "
          f"= {30 * full / 3600:.1f} h")
    print("Fine-tuning all of ResNet50 needs a GPU; on a CPU, cache the frozen features and\n"
          "fine-tune at most the top block, or use a smaller network.")
