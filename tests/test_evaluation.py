"""serlib.evaluation: splits never leak speakers, metrics give known answers, evaluate() works."""
from __future__ import annotations

import numpy as np
import pytest

from serlib import evaluation as ev
from serlib.evaluation import metrics, splits


def ravdess_like_speakers(clips_per_actor: int = 5):
    """24 actors, odd = male, even = female (RAVDESS's convention)."""
    spk, gen = [], []
    for actor in range(1, 25):
        spk += [f"ravdess-{actor:02d}"] * clips_per_actor
        gen += ["male" if actor % 2 else "female"] * clips_per_actor
    return np.array(spk), np.array(gen)


# ----------------------------------------------------------------------------- metrics
def test_scores_known_answer():
    y_true = ["a", "a", "a", "a", "b", "b"]
    y_pred = ["a", "a", "a", "b", "b", "b"]
    s = metrics.scores(y_true, y_pred)
    assert s["accuracy"] == pytest.approx(5 / 6)
    assert s["uar"] == pytest.approx((3 / 4 + 1) / 2)
    f_a = 2 * 1 * 0.75 / 1.75
    f_b = 2 * (2 / 3) * 1 / (2 / 3 + 1)
    assert s["macro_f1"] == pytest.approx((f_a + f_b) / 2)
    # kappa: p_o = 5/6, p_e = (4/6*3/6 + 2/6*3/6) = 0.5
    assert s["kappa"] == pytest.approx((5 / 6 - 0.5) / 0.5)
    assert -1 <= s["mcc"] <= 1 and s["mcc"] > 0.6


def test_uar_differs_from_accuracy_on_unbalanced_data():
    y_true = ["a"] * 9 + ["b"]
    y_pred = ["a"] * 10  # always the majority class
    s = metrics.scores(y_true, y_pred)
    assert s["accuracy"] == pytest.approx(0.9)
    assert s["uar"] == pytest.approx(0.5)
    assert s["kappa"] == pytest.approx(0.0)


def test_scores_reject_mismatched_lengths():
    with pytest.raises(ValueError, match="predictions"):
        metrics.scores(["a", "b"], ["a"])


def test_confusion_counts_and_row_normalised():
    y_true = ["sad", "sad", "angry", "angry", "angry"]
    y_pred = ["sad", "angry", "angry", "angry", "sad"]
    labels = ["angry", "sad", "happy"]
    cm = metrics.confusion(y_true, y_pred, labels)
    assert cm.tolist() == [[2, 1, 0], [1, 1, 0], [0, 0, 0]]
    cmn = metrics.confusion(y_true, y_pred, labels, normalize=True)
    assert cmn[0].sum() == pytest.approx(1) and cmn[1].sum() == pytest.approx(1)
    assert cmn[2].sum() == 0  # no happy clips: the row stays zero, no division by zero
    assert metrics.most_confused(cmn, labels, top=1)[0][:2] == ("sad", "angry")


def test_per_class_report():
    rep = metrics.per_class_report(["a", "a", "b"], ["a", "b", "b"], ["a", "b"])
    assert rep.loc["a", "recall"] == pytest.approx(0.5)
    assert rep.loc["b", "precision"] == pytest.approx(0.5)
    assert rep["support"].tolist() == [2, 1]


def test_plot_confusion_returns_fig_ax():
    import matplotlib

    matplotlib.use("Agg")
    cm = np.array([[3, 1], [0, 4]])
    fig, ax = metrics.plot_confusion(cm, ["angry", "sad"], title="t")
    texts = [t.get_text() for t in ax.texts]
    assert "0.75" in texts and "1.00" in texts
    assert ax.get_xlabel() == "predicted emotion"
    fig2, ax2 = metrics.plot_confusion(cm, ["angry", "sad"], normalize=False)
    assert "3" in [t.get_text() for t in ax2.texts]
    import matplotlib.pyplot as plt

    plt.close("all")


# ----------------------------------------------------------------------------- splits
def test_speaker_folds_ravdess_six_folds_balanced_and_disjoint():
    spk, gen = ravdess_like_speakers()
    folds = splits.speaker_folds(spk, gen, k=6, seed=0)
    assert len(folds) == 6
    splits.check_disjoint(spk, folds)
    tested = []
    for tr, te in folds:
        test_speakers = sorted(set(spk[te]))
        assert len(test_speakers) == 4
        genders = [gen[spk == s][0] for s in test_speakers]
        assert genders.count("male") == 2 and genders.count("female") == 2
        assert len(tr) + len(te) == len(spk)
        tested += test_speakers
    assert sorted(tested) == sorted(set(spk))  # every actor tested exactly once
    again = splits.speaker_folds(spk, gen, k=6, seed=0)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again))  # deterministic
    other = splits.speaker_folds(spk, gen, k=6, seed=1)
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(folds, other))


def test_speaker_folds_too_many_folds():
    with pytest.raises(ValueError, match="speakers"):
        splits.speaker_folds(["a", "b", "c"], k=4)


def test_check_disjoint_catches_a_leak():
    spk = np.array(["x", "x", "y", "y"])
    with pytest.raises(ValueError, match="x"):
        splits.check_disjoint(spk, [(np.array([0, 2]), np.array([1, 3]))])


def test_loso_one_fold_per_speaker():
    spk = np.array(["s1", "s2", "s1", "s3", "s2"])
    folds = splits.loso_splits(spk)
    assert [sorted(set(spk[te])) for _, te in folds] == [["s1"], ["s2"], ["s3"]]
    splits.check_disjoint(spk, folds)


def test_random_split_is_stratified():
    y = np.array(["a"] * 40 + ["b"] * 80)
    [(tr, te)] = splits.random_split(y, test_size=0.25, seed=7)
    assert len(te) == 30
    assert (y[te] == "a").sum() == 10
    assert not set(tr) & set(te)


def test_inner_cv_groups_by_speaker():
    spk, _ = ravdess_like_speakers(4)
    y = np.tile(["a", "b"], len(spk) // 2)
    inner = splits.inner_cv(y, spk, n_splits=4)
    assert len(inner) == 4
    splits.check_disjoint(spk, inner)
    # without groups: stratified folds (no speaker information)
    assert len(splits.inner_cv(y, None, n_splits=3)) == 3


def test_speaker_normalize_uses_each_speakers_own_clips():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(5, 2, (10, 3)), rng.normal(-3, 0.5, (6, 3))])
    spk = np.array(["a"] * 10 + ["b"] * 6)
    Z = splits.speaker_normalize(X, spk)
    for s in "ab":
        assert np.allclose(Z[spk == s].mean(axis=0), 0, atol=1e-9)
        assert np.allclose(Z[spk == s].std(axis=0), 1, atol=1e-9)
    # speaker b's result does not depend on speaker a's clips
    Zb = splits.speaker_normalize(X[spk == "b"], spk[spk == "b"])
    assert np.allclose(Zb, Z[spk == "b"])


def test_take_handles_tuples_of_inputs():
    a, b = np.arange(10).reshape(5, 2), np.arange(5)
    got = ev.take((a, b), [0, 3])
    assert isinstance(got, tuple) and got[0].tolist() == [[0, 1], [6, 7]] and got[1].tolist() == [0, 3]
    assert ev.take(b, [4]).tolist() == [4]


# ----------------------------------------------------------------------------- run_folds
class SpyModel:
    """Remembers the speakers it was trained on; predicts class by the sign of feature 0."""

    seen: list = []

    def fit(self, X, y, groups=None):
        SpyModel.seen.append(set(groups))
        self.classes_ = np.array(["neg", "pos"])
        return self

    def predict(self, X):
        X = X[0] if isinstance(X, tuple) else X
        return np.where(np.asarray(X)[:, 0] > 0, "pos", "neg")


def test_run_folds_never_trains_on_test_speakers():
    spk, gen = ravdess_like_speakers(6)
    rng = np.random.default_rng(1)
    y = rng.choice(["neg", "pos"], len(spk))
    X = np.where(y == "pos", 1.0, -1.0)[:, None] + rng.normal(0, 0.1, (len(spk), 1))
    SpyModel.seen = []
    folds = splits.speaker_folds(spk, gen, k=6)
    run = ev.run_folds(SpyModel, X, y, spk, folds, ["neg", "pos"])
    for (tr, te), seen in zip(folds, SpyModel.seen):
        assert seen == set(spk[tr]) and not seen & set(spk[te])
    summary = ev.summarize(run, ["neg", "pos"])
    assert summary["accuracy"] == pytest.approx(1.0)
    assert np.array(summary["confusion"]["counts"]).sum() == len(spk)
    # tuple inputs (multi-input models) go through the same loop
    run2 = ev.run_folds(SpyModel, (X, X), y, spk, folds, ["neg", "pos"])
    assert len(run2["y_pred"]) == len(spk)


def test_grid_search_inner_folds_only_see_training_speakers():
    """GridSearchClassifier's inner CV is grouped by speaker and uses only what fit() got."""
    from serlib.models.classical import GridSearchClassifier
    from sklearn.linear_model import LogisticRegression

    spk, gen = ravdess_like_speakers(6)
    rng = np.random.default_rng(2)
    y = rng.choice(["neg", "pos"], len(spk))
    X = np.where(y == "pos", 1.0, -1.0)[:, None] + rng.normal(0, 1.0, (len(spk), 2))
    tr, te = splits.speaker_folds(spk, gen, k=6)[0]
    model = GridSearchClassifier(LogisticRegression(), {"C": [0.01, 1.0]}, inner_folds=4)
    model.fit(X[tr], y[tr], groups=spk[tr])
    assert model.best_params_["C"] in (0.01, 1.0)
    assert len(model.cv_results_["mean_test_score"]) == 2
    inner = splits.inner_cv(y[tr], spk[tr], 4)
    splits.check_disjoint(spk[tr], inner)
    assert model.score(X[te], y[te]) > 0.7


# ----------------------------------------------------------------------------- evaluate()
def test_shared_emotions_and_bad_emotion(sample_root):
    from serlib.errors import SerlibError

    tr, te, emos = ev.load_tables(["ravdess"], None, "sad,angry", sample_root)
    assert emos == ["sad", "angry"] and set(tr["emotion"]) == {"sad", "angry"}
    with pytest.raises(SerlibError, match="unknown emotion"):
        ev.load_tables(["ravdess"], None, "sad,grumpy", sample_root)
    with pytest.raises(SerlibError, match="boredom"):
        ev.load_tables(["ravdess"], None, "sad,boredom", sample_root)


def test_evaluate_speaker_protocol_on_the_sample(sample_root):
    res = ev.evaluate("logreg", train=["ravdess"], protocol="speaker", folds=3,
                      emotions=["angry", "sad"], seed=0, data_root=sample_root)
    for key in ("protocol", "train", "test", "emotions", "n_test", "accuracy", "uar",
                "macro_f1", "kappa", "mcc", "folds", "confusion", "command"):
        assert key in res
    assert res["protocol"] == "speaker" and res["test"] is None
    assert len(res["folds"]) == 3
    tested = [s for f in res["folds"] for s in f["test_speakers"]]
    assert len(tested) == len(set(tested)) == 6  # each sample actor tested exactly once
    assert res["n_test"] == sum(f["n_test"] for f in res["folds"])
    assert np.array(res["confusion"]["counts"]).sum() == res["n_test"]
    # angry vs sad is the easiest pair in RAVDESS: far above chance even on 6 actors
    assert res["accuracy"] > 0.75
    assert res["command"].startswith("serlib evaluate --model logreg --train ravdess")
    import json

    json.dumps(res)  # JSON-ready


def test_evaluate_rejects_unknown_protocol_and_same_test_corpus(sample_root):
    from serlib.errors import ModelError, SerlibError

    with pytest.raises(SerlibError, match="protocol"):
        ev.evaluate("logreg", train=["ravdess"], protocol="holdout", data_root=sample_root,
                    emotions=["angry", "sad"])
    with pytest.raises(SerlibError, match="also a training corpus"):
        ev.evaluate("logreg", train=["ravdess"], test="ravdess", data_root=sample_root,
                    emotions=["angry", "sad"])
    with pytest.raises(ModelError, match="unknown model"):
        ev.evaluate("gpt", train=["ravdess"], data_root=sample_root)


@pytest.mark.corpora
def test_cross_corpus_uses_shared_emotions(corpora_root):
    tr, te, emos = ev.load_tables(["ravdess", "tess"], "emodb", None, corpora_root)
    assert emos == ["neutral", "happy", "sad", "angry", "fearful", "disgust"]
    assert set(te["emotion"]) == set(emos) and set(tr["emotion"]) == set(emos)
