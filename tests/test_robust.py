"""serlib.models.robust: pseudo-sessions, training rows, the robust fit and its feature cache.

The fit is checked on synthetic speakers whose features are "emotion + a large offset of
the speaker (voice and microphone) + noise": speaker normalisation must take the offset
away, so a new speaker with an offset never seen in training is recognised once its own
takes are used. The channel cache runs on real clips of the bundled sample.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from serlib import adaptation
from serlib.models import robust

EMOTIONS = ("angry", "happy", "sad")
#: Emotion means on the first three features (the rest are noise); speakers' offsets are
#: far larger, so raw features tell speakers apart better than emotions.
CLASS_MEANS = {"angry": [3.0, 0, 0], "happy": [0, 3.0, 0], "sad": [0, 0, 3.0]}
N_FEATURES = 6


def synthetic_speaker(rng, offset, clips_per_emotion=12):
    """``(X, emotions)``: one speaker's clips, all shifted by ``offset``."""
    X, y = [], []
    for e in EMOTIONS:
        centre = np.append(CLASS_MEANS[e], np.zeros(N_FEATURES - 3)) + offset
        X.append(centre + rng.normal(size=(clips_per_emotion, N_FEATURES)))
        y += [e] * clips_per_emotion
    return np.vstack(X), np.array(y)


@pytest.fixture(scope="module")
def corpus():
    """A table of 6 synthetic speakers and its ``feats`` dict as :func:`corpus_features`
    returns it: clean rows, and one augmented copy per pseudo-session with a constant
    'channel' shift per session."""
    rng = np.random.default_rng(0)
    X, y, spk = [], [], []
    for k in range(6):
        Xs, ys = synthetic_speaker(rng, 6.0 * rng.normal(size=N_FEATURES))
        X.append(Xs)
        y.append(ys)
        spk += [f"s{k}"] * len(ys)
    table = pd.DataFrame({"speaker": spk, "corpus": "syn", "emotion": np.concatenate(y),
                          "path": [f"clip{i}.wav" for i in range(len(spk))]})
    clean = np.vstack(X)
    names = robust.pseudo_sessions(table["speaker"] + "@" + table["corpus"], size=12)
    names = np.char.add(names.astype(str), "#0")
    shift = {s: 3.0 * rng.normal(size=N_FEATURES) for s in set(names)}
    augmented = clean + np.array([shift[s] for s in names]) + 0.3 * rng.normal(size=clean.shape)
    return table, {"clean": clean, "augmented": [augmented], "sessions": [names]}


# ---------------------------------------------------------------- pseudo-sessions
def test_pseudo_sessions_split_each_speaker_into_sessions_of_about_the_size():
    speakers = np.repeat(["a", "b", "c", "d"], [100, 30, 5, robust.SESSION_SIZE])
    names = robust.pseudo_sessions(speakers)
    assert names.shape == speakers.shape
    for s, n in zip("abcd", (100, 30, 5, robust.SESSION_SIZE)):
        own = names[speakers == s]
        assert all(name.split("/")[0] == s for name in own)  # never another speaker's clip
        sizes = np.unique(own, return_counts=True)[1]
        assert sizes.sum() == n and sizes.max() - sizes.min() <= 1
        if n >= robust.SESSION_SIZE / 2:
            assert np.all(np.abs(sizes - robust.SESSION_SIZE) <= robust.SESSION_SIZE / 2)
    assert len(set(names[speakers == "a"])) == 4 and len(set(names[speakers == "c"])) == 1
    # deterministic: the same seed splits the same way, another seed differently
    assert np.array_equal(names, robust.pseudo_sessions(speakers))
    other = robust.pseudo_sessions(speakers, seed=1)
    assert not np.array_equal(names, other)
    assert sorted(np.unique(other, return_counts=True)[1]) == \
        sorted(np.unique(names, return_counts=True)[1])


# ---------------------------------------------------------------- training rows
def test_training_rows_stack_clean_and_augmented_copies(corpus):
    table, feats = corpus
    n = len(table)
    X, y, groups = robust.training_rows(table, feats)
    assert X.shape == (2 * n, N_FEATURES) and X.dtype == np.float64
    assert np.array_equal(X[:n], feats["clean"]) and np.array_equal(X[n:], feats["augmented"][0])
    assert np.array_equal(y, np.tile(table["emotion"].to_numpy(), 2))
    assert np.array_equal(groups[:n], table["speaker"] + "@syn")
    assert np.array_equal(groups[n:], feats["sessions"][0])
    rows = [5, 0, 40]
    Xr, yr, gr = robust.training_rows(table, feats, rows)
    assert np.array_equal(Xr, np.vstack([feats["clean"][rows], feats["augmented"][0][rows]]))
    assert list(yr) == list(table["emotion"].iloc[rows]) * 2
    assert list(gr[:3]) == [f"{s}@syn" for s in table["speaker"].iloc[rows]]


# ---------------------------------------------------------------- the fit
def test_fit_robust_learns_emotions_a_new_speaker_shows_after_adaptation(corpus):
    table, feats = corpus
    X, y, groups = robust.training_rows(table, feats)
    model, prior = robust.fit_robust(X, y, groups, select=False, mlp_params=dict(max_iter=100))
    assert isinstance(prior, adaptation.SpeakerPrior) and prior.mean.shape == (N_FEATURES,)
    assert model.selection_["rows"] == 2 * len(X)  # full statistics + simulated takes
    assert "alpha" not in model.selection_
    # a new speaker, shifted far from every training speaker
    rng = np.random.default_rng(42)
    Xn, yn = synthetic_speaker(rng, np.full(N_FEATURES, 15.0))
    proba = model.predict_proba(prior.normalize(Xn, Xn))
    assert proba.shape == (len(Xn), 3) and np.allclose(proba.sum(axis=1), 1.0)
    classes = np.asarray(model.classes_)
    adapted = np.mean(classes[proba.argmax(axis=1)] == yn)
    plain = np.mean(model.predict(prior.normalize(Xn)) == yn)
    assert adapted >= 0.85 and adapted > plain + 0.2


def test_fit_robust_without_adaptation_has_no_prior(corpus):
    table, feats = corpus
    X, y, groups = robust.training_rows(table, feats)
    model, prior = robust.fit_robust(X, y, groups, adapt=False, select=False,
                                     mlp_params=dict(max_iter=30))
    assert prior is None and model.selection_["rows"] == len(X)
    assert model.predict_proba(X[:4]).shape == (4, 3)


def test_fit_robust_selects_alpha_on_clean_rows_only(corpus, monkeypatch):
    """select=True: the grid over ALPHAS sees only the clean rows (groups without '/'),
    grouped by speaker; the final MLP is fitted on every row with the chosen alpha."""
    from serlib.models import classical

    table, feats = corpus
    X, y, groups = robust.training_rows(table, feats)
    seen = []
    build = classical.mlp

    def spy(*args, **kwargs):
        est = build(*args, **kwargs)
        fit = est.fit

        def recording_fit(Xf, yf, groups=None):
            seen.append((kwargs.get("grid"), len(Xf), None if groups is None else set(groups)))
            return fit(Xf, yf, groups=groups)

        est.fit = recording_fit
        return est

    monkeypatch.setattr(classical, "mlp", spy)
    model, prior = robust.fit_robust(X, y, groups, mlp_params=dict(max_iter=30))
    (grid, n_search, search_groups), (final_grid, n_final, _) = seen
    assert grid == {"clf__alpha": list(robust.ALPHAS)} and final_grid is None
    assert n_search == len(table)  # the clean rows alone
    assert search_groups == {f"s{k}@syn" for k in range(6)}
    assert n_final == 4 * len(table)
    assert model.selection_["alpha"] in robust.ALPHAS
    assert 0 < model.selection_["inner_uar"] <= 1
    # an alpha given by the caller is used as it is, with no search
    seen.clear()
    model, _ = robust.fit_robust(X, y, groups, mlp_params=dict(max_iter=30, alpha=0.3))
    assert [s[0] for s in seen] == [None] and "alpha" not in model.selection_


# ---------------------------------------------------------------- the channel cache
def test_channel_features_are_cached(sample_root, tmp_path, monkeypatch):
    from serlib.datasets import load_corpus

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    table = load_corpus("ravdess", sample_root).groupby("speaker").head(1).head(4)
    table = table.reset_index(drop=True)
    sessions = np.array(["a/0", "a/0", "b/0", "b/0"])
    first = robust.channel_features(table, sessions, 0)
    assert first.shape[0] == 4 and np.all(np.isfinite(first))
    stored = list((tmp_path / "cache" / "serlib" / "robust").glob("channel-*.npy"))
    assert len(stored) == 1

    def no_work(*args, **kwargs):
        raise AssertionError("computed again instead of read from the cache")

    monkeypatch.setattr(robust, "_run_pool", no_work)
    again = robust.channel_features(table, sessions, 0)
    assert np.array_equal(again, first)
    # the channel is the session's: clips of one session share it, and another copy or
    # session split is another entry (it would be computed, so _run_pool is asked)
    with pytest.raises(AssertionError, match="computed again"):
        robust.channel_features(table, sessions, 1)
    with pytest.raises(AssertionError, match="computed again"):
        robust.channel_features(table, np.array(["a/0", "b/0", "a/0", "b/0"]), 0)
    # and so is another babble noise (the channels mix it in)
    with pytest.raises(AssertionError, match="computed again"):
        robust.channel_features(table, sessions, 0, babble=np.full(1600, 0.01, np.float32))
    # the clean features differ from the channel's (the channel did something)
    from serlib.extract import extract

    clean = np.asarray(extract(table, kind="stats"))
    assert clean.shape == first.shape and not np.allclose(clean, first)


# ---------------------------------------------------------------- the benchmark's table
def test_new_voice_table_has_a_column_per_number_of_takes(tmp_path):
    """Columns in the order of BENCHMARK_TAKES, the hindsight column last; a recipe scored
    without adaptation (the baseline) or a result saved before a column existed is NaN."""
    import json

    def cell(acc):
        return {"accuracy": acc, "uar": acc - 1, "f1": acc - 2, "n": 10}

    new = {"row": "r4", "scores": {
        "robust": {"clean": {"0": cell(50.0), "1": cell(51.0), "3": cell(53.0), "8": cell(58.0),
                             "-1": cell(60.0)}},
        "baseline": {"clean": {"0": cell(55.0)}}}}
    old = {"row": "r8", "scores": {"robust": {"noisy": {"0": cell(40.0), "8": cell(45.0)}}}}
    table = robust.new_voice_table([new, old])
    assert list(table.columns) == ["row", "channel", "recipe", "no adaptation", "1 take",
                                   "3 takes", "8 takes", "all (rescored)"]
    first = table.iloc[0]
    assert (first["no adaptation"], first["8 takes"], first["all (rescored)"]) == (50.0, 58.0, 60.0)
    assert table.iloc[1]["no adaptation"] == 55.0 and np.isnan(table.iloc[1]["1 take"])
    assert np.isnan(table.iloc[2]["all (rescored)"]) and table.iloc[2]["8 takes"] == 45.0
    uar = robust.new_voice_table([new], metric="uar")
    assert uar.iloc[0]["all (rescored)"] == 59.0
    # a folder of saved results reads the same
    (tmp_path / "r4.json").write_text(json.dumps(new))
    assert robust.new_voice_table(tmp_path).equals(robust.new_voice_table([new]))


# ---------------------------------------------------------------- calibration
def test_out_of_fold_verdicts_come_from_models_that_never_heard_the_speaker(corpus, monkeypatch):
    """Every speaker's clips are judged (clean and through each channel copy, for each
    number of takes) by a fold model trained without that speaker."""
    table, feats = corpus
    fitted, judged = [], []
    fit, judge = robust.fit_robust, robust.judge_takes

    def spy_fit(X, y, groups, **kw):
        fitted.append({g.split("/")[0] for g in groups})
        return fit(X, y, groups, **{**kw, "mlp_params": {**kw["mlp_params"], "max_iter": 60}})

    def spy_judge(model, prior, X, groups, **kw):
        judged.append((len(fitted) - 1, {g.split("/")[0].split("#")[0] for g in groups}))
        return judge(model, prior, X, groups, **kw)

    monkeypatch.setattr(robust, "fit_robust", spy_fit)
    monkeypatch.setattr(robust, "judge_takes", spy_judge)
    P, y, takes, who = robust.out_of_fold_proba(table, feats, alpha=1.0, folds=3, takes=(0, 3))
    assert sorted(np.unique(who, return_counts=True)[1]) == [4 * 36] * 6  # 36 clips a speaker
    n = len(table)
    assert P.shape == (n * 2 * 2, 3) and len(y) == len(takes) == len(P)  # 2 copies x 2 takes
    assert np.allclose(P.sum(axis=1), 1.0)
    assert sorted(np.unique(takes, return_counts=True)[1]) == [2 * n, 2 * n]
    for e in EMOTIONS:  # every clip judged once per copy and number of takes
        assert np.sum(y == e) == 4 * np.sum(table["emotion"] == e)
    assert len(fitted) == 3 and len(judged) == 3 * 2
    for fold, speakers in judged:
        assert speakers and not (speakers & fitted[fold])
    assert set().union(*(s for _, s in judged)) == set(table["speaker"] + "@syn")


def test_fit_calibration_lowers_the_out_of_fold_log_loss(corpus):
    table, feats = corpus
    c = robust.fit_calibration(table, feats, alpha=1.0, folds=3, takes=(0, 8))
    assert 0.05 < c["temperature"] < 20
    assert c["oof_nll_after"] <= c["oof_nll_before"] + 1e-9
    assert set(c["temperature_by_takes"]) == {"0", "8"}
    assert c["rows"] == len(table) * 2 * 2
    assert "speaker-grouped" in c["fitted_on"] and "Guo" in c["method"]
