"""serlib.adaptation: shrunk speaker statistics, known answers on synthetic speakers.

Every speaker here is drawn from normal distributions whose means and spreads the test
chose, so the prior's estimates and the normalisation have answers to be checked against.
"""
from __future__ import annotations

import numpy as np
import pytest

from serlib import adaptation
from serlib.errors import ModelError
from serlib.adaptation import (MAX_STRENGTH, MIN_STRENGTH, SD_STRENGTH, SpeakerAdapter,
                               SpeakerPrior, normalize_groups, normalize_with_takes, prior_of,
                               simulate_adaptation)

#: Population of the synthetic speakers: per feature the mean over speakers, the spread of
#: the speaker means (between) and the spread of one speaker's clips (within).
MU = np.array([1.0, -2.0, 5.0, 0.0])
BETWEEN = np.array([2.0, 0.5, 0.0, 1.0])
WITHIN = np.array([1.0, 1.0, 0.5, 3.0])


def speakers(n_speakers=200, clips=12, seed=0):
    """``(X, groups, speaker_means)`` for ``n_speakers`` synthetic speakers."""
    rng = np.random.default_rng(seed)
    means = MU + BETWEEN * rng.normal(size=(n_speakers, MU.size))
    X = np.vstack([m + WITHIN * rng.normal(size=(clips, MU.size)) for m in means])
    groups = np.repeat([f"spk{k}" for k in range(n_speakers)], clips)
    return X, groups, means


@pytest.fixture(scope="module")
def prior():
    X, groups, _ = speakers()
    return SpeakerPrior.fit(X, groups)


# ---------------------------------------------------------------- the prior
def test_fit_recovers_population_mean_and_within_sd(prior):
    # 200 speakers: the mean is known to about BETWEEN / sqrt(200) (+ within noise)
    se = np.sqrt(BETWEEN ** 2 / 200 + WITHIN ** 2 / 2400)
    assert np.all(np.abs(prior.mean - MU) < 4 * se + 1e-9)
    # the within-speaker sd, unbiased with 12 clips per speaker (biased, it is 4 % low)
    assert prior.sd == pytest.approx(WITHIN, rel=0.03)
    # strength = within / between variance: 0.25, 4, clipped to MAX (no between), 9
    assert prior.strength[0] == pytest.approx(0.25, rel=0.4)
    assert prior.strength[1] == pytest.approx(4.0, rel=0.4)
    assert prior.strength[2] == MAX_STRENGTH
    assert prior.strength[3] == pytest.approx(9.0, rel=0.4)
    assert prior.sd_strength == SD_STRENGTH


def test_strength_stays_within_its_bounds():
    rng = np.random.default_rng(3)
    # feature 0: speakers differ hugely (strength would be ~0); feature 1: not at all
    means = np.stack([1000 * rng.normal(size=30), np.zeros(30)], axis=1)
    X = np.vstack([m + rng.normal(size=(8, 2)) for m in means])
    p = SpeakerPrior.fit(X, np.repeat(np.arange(30), 8))
    assert p.strength[0] == MIN_STRENGTH and p.strength[1] == MAX_STRENGTH


def test_fit_copes_with_a_constant_feature_and_one_clip_speakers():
    X, groups, _ = speakers(n_speakers=20, clips=6, seed=5)
    X = np.hstack([X, np.full((len(X), 1), 7.0)])  # a feature that never changes
    # two speakers with a single clip each: they say nothing about the spread within
    shift = np.append(np.full(MU.size, 50.0), 0.0)
    X = np.vstack([X, X[:1] + shift, X[1:2] - shift])
    groups = np.append(groups, ["solo-a", "solo-b"])
    p = SpeakerPrior.fit(X, groups)
    assert np.all(np.isfinite(p.strength)) and np.all(np.isfinite(p.sd))
    assert p.strength[-1] == MAX_STRENGTH and p.mean[-1] == pytest.approx(7.0)
    z = p.normalize(X[:3], X[:6])
    assert np.all(np.isfinite(z)) and np.all(z[:, -1] == 0)
    ref = SpeakerPrior.fit(X[:-2], groups[:-2])  # the one-clip speakers leave sd alone
    assert np.allclose(p.sd[:4], ref.sd[:4])


def test_fit_needs_two_speakers_and_some_spread():
    with pytest.raises(ValueError, match="two speakers"):
        SpeakerPrior.fit(np.ones((5, 3)), ["a"] * 5)
    with pytest.raises(ValueError, match="two or more clips"):
        SpeakerPrior.fit(np.arange(6.0).reshape(2, 3), ["a", "b"])


# ---------------------------------------------------------------- statistics
def test_no_takes_gives_the_population(prior):
    for takes in (None, np.zeros((0, MU.size))):
        mean, sd = prior.statistics(takes)
        assert np.array_equal(mean, prior.mean) and np.array_equal(sd, prior.sd)
    x = np.array([[3.0, 1.0, 2.0, -4.0]])
    assert np.allclose(prior.normalize(x), (x - prior.mean) / prior.sd)


def test_many_takes_give_the_speakers_own_statistics(prior):
    rng = np.random.default_rng(11)
    mu, s = np.array([4.0, 0.0, 9.0, -6.0]), np.array([2.0, 0.3, 1.0, 5.0])
    takes = mu + s * rng.normal(size=(500, MU.size))
    mean, sd = prior.statistics(takes)
    assert np.all(np.abs(mean - mu) < 4 * s / np.sqrt(500) + 0.2)  # shrinkage <= 20/520
    assert sd == pytest.approx(s, rel=0.1)
    # the same speaker normalised with its own 500 takes is close to standard normal
    z = prior.normalize(takes, takes)
    assert np.abs(z.mean(axis=0)).max() < 0.25
    assert z.std(axis=0) == pytest.approx(np.ones(MU.size), abs=0.1)
    # ... while the population's statistics leave it far off
    assert np.abs(prior.normalize(takes).mean(axis=0)).max() > 2


def test_few_takes_are_shrunk_towards_the_population(prior):
    take = np.array([[11.0, -2.0, 5.0, 0.0]])
    mean, sd = prior.statistics(take)
    k = prior.strength
    assert mean == pytest.approx((take[0] + k * prior.mean) / (1 + k))
    assert sd == pytest.approx(prior.sd)  # one take says nothing about the spread
    means = [prior.statistics(np.repeat(take, n, axis=0))[0][0] for n in (1, 3, 8, 100)]
    assert np.all(np.diff(means) > 0) and means[-1] < 11.0  # towards the takes, step by step


# ---------------------------------------------------------------- saving and models
def test_to_dict_round_trip_and_bad_dicts(prior):
    import json

    data = json.loads(json.dumps(prior.to_dict()))
    back = SpeakerPrior.from_dict(data)
    for name in ("mean", "sd", "strength"):
        assert np.array_equal(getattr(back, name), getattr(prior, name))
    assert back.sd_strength == prior.sd_strength
    with pytest.raises(ModelError, match="differ in length"):
        SpeakerPrior.from_dict({**data, "sd": data["sd"][:-1]})
    with pytest.raises(ModelError, match="no strength; .*serlib train --recipe robust"):
        SpeakerPrior.from_dict({"mean": data["mean"], "sd": data["sd"]})
    with pytest.raises(ModelError, match="negative, NaN or infinite"):
        SpeakerPrior.from_dict({**data, "sd": [-1.0] * len(data["sd"])})
    with pytest.raises(ModelError, match="negative, NaN or infinite"):
        SpeakerPrior.from_dict({**data, "strength": [float("nan")] * len(data["sd"])})


def test_prior_of_reads_the_metadata():
    class Model:
        metadata = {"speaker_adaptation": {"mean": [0.0, 1.0], "sd": [1.0, 2.0],
                                           "strength": [1.0, 1.0]}}

    m = Model()
    p = prior_of(m)
    assert np.array_equal(p.sd, [1.0, 2.0]) and p.sd_strength == SD_STRENGTH
    assert prior_of(m) is p  # read once
    bare = Model()
    bare.metadata = {"name": "plain"}
    assert prior_of(bare) is None and prior_of(object()) is None


# ---------------------------------------------------------------- the session's adapter
def test_adapter_collects_takes_and_refuses_bad_ones(prior):
    a = SpeakerAdapter(prior)
    x = np.array([[1.0, 2.0, 3.0, 4.0]])
    assert a.n_takes == 0 and a.takes().shape == (0, MU.size)
    assert np.allclose(a.normalize(x), prior.normalize(x))
    with pytest.raises(ValueError, match="3 features; this model's prior has 4"):
        a.add(np.ones(3))
    with pytest.raises(ValueError, match="NaN"):
        a.add(np.array([1.0, np.nan, 0.0, 0.0]))
    with pytest.raises(ValueError, match="NaN"):
        a.add(np.array([1.0, np.inf, 0.0, 0.0]))
    assert a.n_takes == 0
    a.add(x)
    a.add(x[0] + 1)
    assert a.n_takes == 2 and a.takes().shape == (2, MU.size)
    assert np.allclose(a.normalize(x), prior.normalize(x, np.vstack([x, x + 1])))


# ---------------------------------------------------------------- benchmark and training rows
def test_normalize_groups_uses_each_groups_own_rows(prior):
    X, groups, _ = speakers(n_speakers=3, clips=10, seed=2)
    Z = normalize_groups(X, groups, prior)
    for g in set(groups):
        rows = groups == g
        assert np.allclose(Z[rows], prior.normalize(X[rows], X[rows]))


def test_normalize_with_takes_draws_only_other_rows_of_the_same_group():
    """Spies on the statistics: every call must get ``n`` other rows of its own group
    (the earlier takes), never the judged row itself, never another group's row. The rows are numbered in feature 0 so each take says where it came from."""
    X = np.column_stack([np.arange(12.0), np.zeros(12)])
    groups = np.array(["a"] * 5 + ["b"] * 7)
    calls = []

    class Spy(SpeakerPrior):
        def normalize(self, x, takes=None):
            calls.append((np.atleast_2d(x)[:, 0].copy(), None if takes is None else takes[:, 0]))
            return super().normalize(x, takes)

    spy = Spy(mean=np.zeros(2), sd=np.ones(2), strength=np.ones(2))
    for n in (1, 3, 4, 20):
        calls.clear()
        normalize_with_takes(X, groups, spy, n, rng=0)
        assert len(calls) == 12
        for x, takes in calls:
            i = int(x[0])
            own = np.flatnonzero(groups == groups[i])
            assert i not in list(takes.astype(int))
            assert set(takes.astype(int)) <= set(own)
            assert len(takes) == min(n, len(own) - 1)
    # rows=: only those rows, in that order; n_takes=0 is the population's normalisation
    sub = normalize_with_takes(X, groups, spy, 3, rng=1, rows=[7, 2])
    assert sub.shape == (2, 2)
    prior = SpeakerPrior(mean=np.array([5.0, 0.0]), sd=np.array([2.0, 1.0]),
                         strength=np.ones(2))
    assert np.array_equal(normalize_with_takes(X, groups, prior, 0), prior.normalize(X))
    assert np.array_equal(normalize_with_takes(X, groups, prior, 0, rows=[3, 1]),
                          prior.normalize(X[[3, 1]]))


def test_normalize_with_takes_is_reproducible_with_a_seed(prior):
    X, groups, _ = speakers(n_speakers=4, clips=10, seed=4)
    a = normalize_with_takes(X, groups, prior, 3, rng=7)
    b = normalize_with_takes(X, groups, prior, 3, rng=7)
    c = normalize_with_takes(X, groups, prior, 3, rng=8)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_simulate_adaptation_shapes_choices_and_seed(prior):
    X, groups, _ = speakers(n_speakers=5, clips=20, seed=6)
    Z = simulate_adaptation(X, groups, prior, rng=0)
    assert Z.shape == X.shape and np.all(np.isfinite(Z))
    assert np.array_equal(Z, simulate_adaptation(X, groups, prior, rng=0))
    assert not np.array_equal(Z, simulate_adaptation(X, groups, prior, rng=1))
    # takes=(0,): the population's statistics; takes=(-1,): the groups' full statistics
    assert np.allclose(simulate_adaptation(X, groups, prior, takes=(0,), rng=0),
                       prior.normalize(X))
    assert np.allclose(simulate_adaptation(X, groups, prior, takes=(-1,), rng=0),
                       normalize_groups(X, groups, prior))
    # a mixture: every row is one of its possible normalisations
    mixed = simulate_adaptation(X, groups, prior, takes=(0, -1), rng=3)
    pop, full = prior.normalize(X), normalize_groups(X, groups, prior)
    is_pop = np.all(np.isclose(mixed, pop), axis=1)
    is_full = np.all(np.isclose(mixed, full), axis=1)
    assert np.all(is_pop | is_full) and is_pop.any() and is_full.any()


def test_module_docstring_names_its_notebook():
    assert "Notebook: 10_live_demo.ipynb" in adaptation.__doc__
