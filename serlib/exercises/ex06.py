"""Solutions to the exercises of notebook 06 (MLP, grid search, honest evaluation).

Notebook: 06_mlp_grid_search.ipynb
"""
from __future__ import annotations

import numpy as np

from serlib.exercises import heading


def exercise_uar_by_hand(show_result=True):
    """Exercise 1: accuracy versus UAR for a lazy classifier.

    EMO-DB has 127 angry, 81 bored, 79 neutral, 71 happy, 69 fearful, 62 sad and 46
    disgusted clips. A "classifier" answers *angry* for every clip. Compute its accuracy
    and its unweighted average recall (UAR) by hand, then check with
    ``serlib.evaluation.scores``. Which number tells you that it learned nothing?

    Notebook: 06_mlp_grid_search.ipynb
    """
    if not show_result:
        return
    from serlib.evaluation import scores

    heading("accuracy versus UAR")
    counts = {"angry": 127, "boredom": 81, "neutral": 79, "happy": 71, "fearful": 69,
              "sad": 62, "disgust": 46}
    total = sum(counts.values())
    print(f"accuracy = angry clips / all clips = {counts['angry']} / {total} = "
          f"{counts['angry'] / total:.3f}")
    print(f"UAR = mean of the recalls = (1 + 0 + 0 + 0 + 0 + 0 + 0) / 7 = {1 / 7:.3f}")
    y_true = np.concatenate([[e] * n for e, n in counts.items()])
    s = scores(y_true, ["angry"] * total, labels=list(counts))
    print(f"serlib: accuracy {s['accuracy']:.3f}, UAR {s['uar']:.3f}, kappa {s['kappa']:.3f}")
    print("UAR sits at chance (1/7) and kappa at 0: the classifier learned nothing,\n"
          "although its accuracy (24 %) is well above 1/7.")


def exercise_speaker_leak(show_result=True):
    """Exercise 2: simulate why random splits flatter a model.

    Make 20 synthetic "speakers" with 40 clips each. Every clip's 10 features are the
    speaker's own fixed voice print (strong, random per speaker) plus a weak emotion
    cue (two emotions) plus noise. Train ``1-nearest-neighbour`` once with a random
    75/25 split and once with speaker-independent folds
    (``serlib.evaluation.speaker_folds``). Which split gives the higher accuracy, and why?

    Notebook: 06_mlp_grid_search.ipynb
    """
    if not show_result:
        return
    from sklearn.neighbors import KNeighborsClassifier

    from serlib.evaluation import random_split, scores, speaker_folds

    heading("a speaker leak, simulated")
    rng = np.random.default_rng(0)
    n_speakers, n_clips, n_feat = 20, 40, 10
    speakers = np.repeat([f"s{i:02d}" for i in range(n_speakers)], n_clips)
    y = np.tile(np.repeat(["calm", "angry"], n_clips // 2), n_speakers)
    voice = rng.normal(0, 3.0, (n_speakers, n_feat))  # who is speaking: strong
    # each speaker expresses emotion in their own way; only a weak part is shared
    own_style = rng.normal(0, 1.0, (n_speakers, n_feat))
    shared = rng.normal(0, 0.8, n_feat)
    X = voice[np.repeat(np.arange(n_speakers), n_clips)]
    sign = np.where(y == "angry", 1.0, -1.0)[:, None]
    X = X + sign * (shared + own_style[np.repeat(np.arange(n_speakers), n_clips)])
    X = X + rng.normal(0, 1.0, X.shape)
    for name, split in (("random 75/25", random_split(y, 0.25, seed=0)),
                        ("speaker 5-fold", speaker_folds(speakers, k=5, seed=0))):
        accs = []
        for tr, te in split:
            model = KNeighborsClassifier(1).fit(X[tr], y[tr])
            accs.append(scores(y[te], model.predict(X[te]))["accuracy"])
        print(f"{name:15s} accuracy {np.mean(accs):.3f}")
    print("\nWith a random split, the nearest neighbour of a test clip is almost always a\n"
          "clip of the same speaker with the same emotion: the model recognises the voice\n"
          "and its personal way of being angry. Across speakers only the weaker shared cue\n"
          "is left: the speaker split shows what a new speaker would really get.")


def exercise_gender_balanced_folds(show_result=True):
    """Exercise 3: build RAVDESS's six speaker folds yourself.

    RAVDESS has 24 actors; odd numbers are men, even numbers women. Assign them to 6
    folds of 4 so that every fold holds two men and two women and no actor appears in
    two folds. Compare with ``serlib.evaluation.assign_speaker_folds``. Why do we want
    both genders in every test fold?

    Notebook: 06_mlp_grid_search.ipynb
    """
    if not show_result:
        return
    from serlib.evaluation import assign_speaker_folds

    heading("gender-balanced speaker folds")
    actors = [f"ravdess-{a:02d}" for a in range(1, 25)]
    genders = ["male" if a % 2 else "female" for a in range(1, 25)]
    # by hand: men 1,3,...,23 and women 2,4,...,24, two of each per fold
    men, women = actors[0::2], actors[1::2]
    by_hand = {f: men[2 * f: 2 * f + 2] + women[2 * f: 2 * f + 2] for f in range(6)}
    print("by hand:", {f + 1: [a[-2:] for a in v] for f, v in by_hand.items()})
    folds = assign_speaker_folds(actors, genders, k=6, seed=0)
    for f in range(6):
        members = [a for a in actors if folds[a] == f]
        g = [genders[actors.index(a)] for a in members]
        print(f"serlib fold {f + 1}: actors {', '.join(a[-2:] for a in members)} "
              f"({g.count('male')} men, {g.count('female')} women)")
    print("\nA test fold of only men (or only women) would measure the model on one pitch\n"
          "range; folds that mix genders keep each fold's score comparable to the mean.")


def exercise_confusion_by_hand(show_result=True):
    """Exercise 4: a confusion matrix by hand.

    True emotions ``[sad, sad, sad, calm, calm, angry, angry, angry, angry]`` were
    predicted as ``[sad, calm, sad, sad, calm, angry, angry, happy, angry]``. Write the
    confusion matrix (rows = true, columns = predicted, order angry, calm, happy, sad),
    its row-normalised version, and the recall of each emotion. Check with
    ``serlib.evaluation.confusion`` and plot it with ``plot_confusion``.

    Notebook: 06_mlp_grid_search.ipynb
    """
    if not show_result:
        return
    import pandas as pd

    from serlib.evaluation import confusion, plot_confusion

    heading("a confusion matrix by hand")
    y_true = ["sad", "sad", "sad", "calm", "calm", "angry", "angry", "angry", "angry"]
    y_pred = ["sad", "calm", "sad", "sad", "calm", "angry", "angry", "happy", "angry"]
    labels = ["angry", "calm", "happy", "sad"]
    cm = confusion(y_true, y_pred, labels)
    print(pd.DataFrame(cm, index=labels, columns=labels).to_string())
    recall = confusion(y_true, y_pred, labels, normalize=True).diagonal()
    print("\nrecall per emotion:", {l: round(float(r), 2) for l, r in zip(labels, recall)},
          "(happy has no clips: its row stays empty)")
    plot_confusion(cm, labels, title="exercise 4")
