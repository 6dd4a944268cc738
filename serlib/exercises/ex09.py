"""Solutions to the exercises of notebook 09 (what an emotion recogniser may claim).

They read the per-clip results of speakers the model never heard, written by
``scripts/benchmark_calibration.py`` to ``results/calibration/unseen.csv``, and EMO-DB's
listening test (``emodb/erkennung.txt`` in the data root).

Notebook: 09_claims.ipynb
"""
from __future__ import annotations

import numpy as np

from serlib.exercises import heading


def _unseen(protocol: str = "ravdess4", takes: int = 0):
    """Clips of one protocol and number of adaptation takes from ``unseen.csv``.

    Returns ``(clips, P, C, y, emotions)``: every test clip (``heard`` False where the
    speech test refused it), and for the judged clips only the raw and calibrated
    probabilities and the label indices.
    """
    import pandas as pd

    from serlib import config

    path = config.REPO_DIR / "results" / "calibration" / "unseen.csv"
    if not path.is_file():
        raise FileNotFoundError(
            "results/calibration/unseen.csv is missing from the repository: run "
            "`python scripts/benchmark_calibration.py --data-root DATA_ROOT` to produce it")
    table = pd.read_csv(path)
    clips = table[(table["protocol"] == protocol) & (table["takes"] == takes)].copy()
    if clips.empty:
        raise ValueError(f"unseen.csv holds no rows for protocol {protocol!r} with {takes} takes; "
                         f"it has {sorted(set(zip(table['protocol'], table['takes'])))}")
    emotions = [c[len("p_"):] for c in clips.columns if c.startswith("p_")]
    judged = clips[clips["heard"].astype(bool)]
    P = judged[[f"p_{e}" for e in emotions]].to_numpy(dtype=float)
    C = judged[[f"cal_{e}" for e in emotions]].to_numpy(dtype=float)
    P, C = P / P.sum(axis=1, keepdims=True), C / C.sum(axis=1, keepdims=True)
    y = judged["emotion"].map({e: i for i, e in enumerate(emotions)}).to_numpy()
    index = {e: i for i, e in enumerate(emotions)}
    raw = clips[[f"p_{e}" for e in emotions]].to_numpy(dtype=float)
    clips["right"] = clips["heard"].astype(bool).to_numpy() & (
        np.nan_to_num(raw).argmax(axis=1) == clips["emotion"].map(index).to_numpy())
    return clips, P, C, y, emotions


def _nll(probs: np.ndarray, y: np.ndarray) -> float:
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(y)), y], 1e-12, None))))


def exercise_number_of_bins(show_result: bool = True):
    """How many bins? Compute the ECE of the uncalibrated and of the calibrated
    probabilities of the unseen RAVDESS actors (first verdict) with 5, 10, 15 and 20 bins. Does "before worse
    than after" depend on the number of bins? Why does the ECE of a small set of clips grow
    with the number of bins?

    Notebook: 09_claims.ipynb
    """
    if not show_result:
        return None
    from serlib.calibration import expected_calibration_error

    heading("how many bins?")
    clips, P, C, y, _ = _unseen()
    before_worse = []
    for n_bins in (5, 10, 15, 20):
        before = expected_calibration_error(P, y, n_bins)
        after = expected_calibration_error(C, y, n_bins)
        before_worse.append(before > after)
        print(f"{n_bins:3d} bins: ECE {100 * before:.1f} % as trained, {100 * after:.1f} % "
              "temperature-scaled")
    small = np.random.default_rng(0).choice(len(y), size=min(100, len(y)), replace=False)
    grow = [expected_calibration_error(C[small], y[small], n) for n in (5, 10, 20, 50)]
    print("on 100 of these clips drawn at random, calibrated ECE with 5/10/20/50 bins: "
          + " / ".join(f"{100 * g:.1f} %" for g in grow)
          + (" - it grows with the bins" if grow[-1] > grow[0] else ""))
    same = "in every row" if all(before_worse) else (
        "not in every row" if any(before_worse) else "in no row")
    print(f"The calibrated probabilities have the lower ECE {same}. With more bins each bin "
          "holds fewer clips, so its accuracy is a noisier estimate and |accuracy - confidence| "
          "is larger by chance alone: the ECE is biased upwards for small samples, and an ECE "
          "should always be reported with its number of bins and of clips.")
    return None


def exercise_temperature_sweep(show_result: bool = True):
    """What if we had cheated? Sweep the temperature from 0.5 to 5 and compute, for each
    value, the negative log-likelihood and the ECE on the unseen RAVDESS actors (first
    verdict). Where is the
    best temperature for them, and how far is it from the one fitted on the training
    speakers? Why must the notebook still use the latter?

    Notebook: 09_claims.ipynb
    """
    if not show_result:
        return None
    import matplotlib.pyplot as plt

    from serlib.calibration import apply_temperature, expected_calibration_error
    from serlib.notebook import FIGURE_WIDTH

    heading("what if we had cheated?")
    clips, P, C, y, _ = _unseen()
    temps = np.geomspace(0.5, 5.0, 41)
    nll = np.array([_nll(apply_temperature(P, t), y) for t in temps])
    ece = np.array([expected_calibration_error(apply_temperature(P, t), y) for t in temps])
    best = temps[np.argmin(nll)]
    folds = clips[clips["heard"].astype(bool)].groupby("fold")["temperature"].first()
    fig, ax = plt.subplots(figsize=(FIGURE_WIDTH * 0.6, 3.2))
    ax.plot(temps, nll, label="negative log-likelihood (nats per clip)")
    ax.plot(temps, 10 * ece, label="ECE (10 bins) x 10")
    ax.axvline(best, color="C0", ls=":", label=f"best for the test speakers: T = {best:.2f}")
    ax.axvspan(folds.min(), max(folds.max(), folds.min() * 1.01), color="0.6", alpha=0.4,
               label=f"fitted on training speakers: T = {folds.min():.2f}-{folds.max():.2f}")
    ax.set(xscale="log", xlabel="temperature T", ylabel="value on unseen speakers")
    ax.set_xticks([0.5, 1, 2, 3, 5], ["0.5", "1", "2", "3", "5"])
    ax.minorticks_off()
    ax.legend(fontsize=8)
    plt.show()
    print(f"Best temperature for the unseen actors (lowest NLL): {best:.2f}; fitted on each "
          f"fold's training speakers: {folds.min():.2f} to {folds.max():.2f}. NLL with the best: "
          f"{_nll(apply_temperature(P, best), y):.3f}; with the fitted ones: {_nll(C, y):.3f}; "
          f"as trained: {_nll(P, y):.3f}.")
    print("Choosing T on the test speakers would make the test look calibrated by construction: "
          "the diagram would no longer tell us what happens on a voice nobody has labelled - "
          "which is every voice in a classroom.")
    if _nll(C, y) <= _nll(apply_temperature(P, best), y) + 0.02:
        print("Here the temperatures fitted on training speakers do about as well as the cheat: "
              "calibration carried over to these unseen actors. That could only be known by "
              "checking on speakers who played no part in the fit - and it need not carry over to "
              "a new corpus or a classroom (compare the loco rows of the notebook's overview).")
    else:
        print("The gap in NLL is the price of honesty: calibration fitted on one set of speakers "
              "transfers only roughly to another.")
    return None


def _bootstrap_accuracy(right: np.ndarray, groups: np.ndarray | None, n_boot: int,
                        rng: np.random.Generator) -> np.ndarray:
    if groups is None:
        draws = rng.integers(0, len(right), (n_boot, len(right)))
        return right[draws].mean(axis=1)
    names, idx = np.unique(groups, return_inverse=True)
    hits = np.bincount(idx, weights=right.astype(float))
    sizes = np.bincount(idx)
    draws = rng.integers(0, len(names), (n_boot, len(names)))
    return hits[draws].sum(axis=1) / sizes[draws].sum(axis=1)


def exercise_clips_or_speakers(show_result: bool = True):
    """Clips or speakers? Bootstrap the accuracy on the unseen RAVDESS actors twice: once
    drawing clips with replacement, once drawing speakers. Compare the widths of the two
    95 % intervals. Which one is honest about a new speaker, and why is the other too
    narrow?

    Notebook: 09_claims.ipynb
    """
    if not show_result:
        return None
    heading("clips or speakers?")
    clips, _P, _C, _y, _ = _unseen()
    right = clips["right"].to_numpy()
    rng = np.random.default_rng(0)
    by_clip = np.percentile(_bootstrap_accuracy(right, None, 2000, rng), [2.5, 97.5])
    by_speaker = np.percentile(
        _bootstrap_accuracy(right, clips["speaker"].to_numpy(), 2000, rng), [2.5, 97.5])
    print(f"accuracy {right.mean():.1%} over {len(right)} clips of "
          f"{clips['speaker'].nunique()} speakers")
    print(f"  95% interval drawing clips:    {by_clip[0]:.1%} - {by_clip[1]:.1%} "
          f"(width {100 * (by_clip[1] - by_clip[0]):.1f} points)")
    print(f"  95% interval drawing speakers: {by_speaker[0]:.1%} - {by_speaker[1]:.1%} "
          f"(width {100 * (by_speaker[1] - by_speaker[0]):.1f} points)")
    ratio = (by_speaker[1] - by_speaker[0]) / max(by_clip[1] - by_clip[0], 1e-12)
    print(f"The speaker interval is {ratio:.1f} times as wide as the clip interval. Drawing clips "
          "treats every clip as an independent observation; but where clips of one speaker "
          "succeed or fail together (the model suits a voice or it does not), there are fewer "
          "independent observations than clips - as many as speakers, at worst - and the clip "
          "interval is too narrow.")
    if ratio < 1.15:
        print("Here the two come out about as wide: on these 24 actors, whose clips are balanced "
              "over speakers and emotions, the model's success depends little on the voice. That "
              "had to be measured, not assumed - and on a new corpus (section 4 of the notebook) "
              "single speakers differ far more. The speaker bootstrap answers the question about "
              "a new student either way.")
    else:
        print("A new student is a new speaker: the speaker bootstrap answers the question we care "
              "about, and its wider interval is the honest one.")
    return None


def exercise_what_the_selection_removed(show_result: bool = True):
    """What the selection removed. From EMO-DB's ``erkennung.txt``, find for each emotion
    the share of recordings that the selection (recognised by at least 80 % and judged
    natural by at least 60 % of the listeners) removed, and the emotion listeners
    recognised least before the selection. What does that mean for a model scored on
    EMO-DB?

    Notebook: 09_claims.ipynb
    """
    if not show_result:
        return None
    import pandas as pd

    from serlib import config
    from serlib.datasets.emodb import read_recognition
    from serlib.datasets.vocabulary import LABEL_MAP

    heading("what the selection removed")
    path = config.data_root() / "emodb" / "erkennung.txt"
    if not path.is_file():
        print("EMO-DB's erkennung.txt is not in this data root: set SERLIB_DATA to a folder "
              "with EMO-DB in its official layout (notebook 04) and run this again.")
        return None
    scores = read_recognition(path)
    table = pd.DataFrame([(stem, LABEL_MAP["emodb"].get(stem[5], "?"), r, n)
                          for stem, (r, n) in scores.items()],
                         columns=["stem", "emotion", "recognised", "natural"])
    table["kept"] = (table["recognised"] >= 80) & (table["natural"] >= 60)
    per = table.groupby("emotion").agg(recordings=("stem", "size"),
                                       mean_recognised=("recognised", "mean"),
                                       removed=("kept", lambda k: 100 * (1 - k.mean())))
    per = per.sort_values("removed", ascending=False)
    print(per.round(1).to_string())
    least = per["mean_recognised"].idxmin()
    most = per["removed"].idxmax()
    print(f"Least recognised before the selection: {least} "
          f"({per.loc[least, 'mean_recognised']:.0f} % of listeners on average). "
          f"Most removed by the selection: {most} ({per.loc[most, 'removed']:.0f} % of its "
          "recordings).")
    print("The selection keeps the portrayals nearly everyone recognises, so the emotions that "
          "are hard for people lose most of their ambiguous recordings. A model scored on EMO-DB "
          "meets only the clear cases of those emotions: its score is an upper bound for "
          "acted German speech, let alone for real voices. (The thresholds are those stated in "
          "erklaerung.txt; the released corpus follows them closely but not exactly - compare "
          "section 2 of the notebook.)")
    return None


def exercise_say_only_what_was_measured(show_result: bool = True):
    """Say only what was measured. Rewrite each claim so that it says no more than the
    notebook's measurements support: (a) "The student is angry (88 %)." (b) "Our model
    recognises emotions with 60 % accuracy." (c) "The model works equally well for women
    and men." (d) "Use the app to see which students are stressed before the exam."

    Notebook: 09_claims.ipynb
    """
    if not show_result:
        return None
    heading("say only what was measured")
    clips, _P, _C, _y, emotions = _unseen()
    acc = float(clips["right"].mean())
    n_spk = clips["speaker"].nunique()
    corpora = ", ".join(sorted(clips["corpus"].unique()))
    print('(a) "The student\'s voice sounded angry to a model trained on actors; its calibrated '
          'confidence was 88 % - of unseen actors\' clips judged that sure, about that share '
          'were right." Nothing about how the student feels.')
    print(f'(b) "On {n_spk} acted speakers it never heard ({corpora}, studio recordings, '
          f'{len(emotions)} emotions: {", ".join(emotions)}; first verdict of a session, no '
          f'adaptation) the model chose the portrayed emotion for {acc:.0%} of the clips." Name '
          'the protocol, the emotions and the speakers; an accuracy without them means nothing.')
    right = clips["right"].to_numpy()
    rng = np.random.default_rng(0)
    by_gender = {g: (right[(clips["gender"] == g).to_numpy()],
                     clips.loc[clips["gender"] == g, "speaker"].to_numpy())
                 for g in ("female", "male")}
    diff = 100 * (by_gender["female"][0].mean() - by_gender["male"][0].mean())
    draws = [_bootstrap_accuracy(r, s, 2000, rng) for r, s in by_gender.values()]
    low, high = 100 * np.percentile(draws[0] - draws[1], [2.5, 97.5])
    n_f, n_m = (len(set(s)) for _r, s in by_gender.values())
    finding = ("we found no clear difference between" if low <= 0 <= high
               else "we found a difference between")
    print(f'(c) "On {n_f} women and {n_m} men, all acted and recorded in studios, {finding} '
          f"women's and men's voices: {diff:+.1f} points for women, 95 % interval "
          f'[{low:+.1f}, {high:+.1f}] (speakers resampled). Children, accents and other '
          f'languages were not measured." Report the interval and the speakers behind it, never '
          f'"equally well".')
    print('(d) No rewrite: inferring the emotions of students in an education institution is '
          'what Art. 5(1)(f) of the EU AI Act prohibits (outside medical or safety reasons), and '
          'the model does not measure stress at all. Not legal advice - ask the data-protection '
          'officer.')
    return None
