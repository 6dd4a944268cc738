"""``serlib features ROOT --corpus NAME --out FILE.npz`` on the bundled sample."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from serlib import audio, features
from serlib.cli import main
from serlib.datasets import load_corpus
from serlib.datasets.vocabulary import EMOTIONS


@pytest.fixture
def sample(sample_root):
    if not sorted((sample_root / "ravdess").glob("Actor_*/*.flac")):
        pytest.skip("the bundled RAVDESS sample (data/ravdess) is not there")
    return sample_root


@pytest.fixture
def small_root(sample, tmp_path):
    """A data root with 6 sample clips of one actor (cheap for slow feature kinds)."""
    actor = sorted((sample / "ravdess").glob("Actor_*"))[0]
    dst = tmp_path / "root" / "ravdess" / actor.name
    dst.mkdir(parents=True)
    for p in sorted(actor.glob("*.flac"))[::10][:6]:
        shutil.copy(p, dst / p.name)
    return tmp_path / "root"


def test_seed180_of_the_sample(sample, tmp_path, capsys):
    out = tmp_path / "ravdess.npz"
    rc = main(["features", str(sample), "--corpus", "ravdess", "--out", str(out),
               "--no-progress", "--jobs", "2"])
    assert rc == 0, capsys.readouterr().err
    assert "wrote" in capsys.readouterr().out
    df = load_corpus("ravdess", root=sample)
    with np.load(out) as d:  # no pickle needed
        assert d["X"].shape == (len(df), 180) and d["X"].dtype == np.float32
        assert str(d["kind"]) == "seed180"
        assert str(d["config_key"]) == features.FeatureConfig().key()
        assert d["path"].tolist() == df["path"].astype(str).tolist()
        assert d["emotion"].tolist() == df["emotion"].tolist()
        assert d["speaker"].tolist() == df["speaker"].tolist()
        assert set(d["emotion"]) <= set(EMOTIONS) and len(set(d["emotion"])) == 8
        assert set(d["corpus"]) == {"ravdess"}
        for i in (0, len(df) - 1):
            assert np.array_equal(d["X"][i], features.seed_vector(audio.load(d["path"][i])))


@pytest.mark.parametrize("kind", ["stats", "mfcc40", "logmel", "mfcc_seq"])
def test_other_kinds(small_root, tmp_path, kind):
    out = tmp_path / f"{kind}.npz"
    assert main(["features", "--data-root", str(small_root), "--corpus", "ravdess", "--out",
                 str(out), "--kind", kind, "--no-progress", "--no-cache"]) == 0
    with np.load(out) as d:
        assert d["X"].shape == (6, *features.feature_shape(kind))
        if kind == "stats":
            assert d["feature_names"].tolist() == features.stats_feature_names()


def test_unreadable_clip_stops_or_is_skipped(small_root, tmp_path, capsys):
    actor = next((small_root / "ravdess").glob("Actor_*"))
    bad = actor / f"03-01-05-01-01-01-{actor.name[-2:]}.wav"  # a valid name, not audio
    bad.write_text("this is not audio\n" * 10)
    out = tmp_path / "x.npz"
    rc = main(["features", str(small_root), "--corpus", "ravdess", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and str(bad) in err and "text file" in err
    assert not out.exists()
    rc = main(["features", str(small_root), "--corpus", "ravdess", "--out", str(out),
               "--no-progress", "--on-error", "skip"])
    assert rc == 0 and str(bad) in capsys.readouterr().err
    with np.load(out) as d:
        assert d["X"].shape == (6, 180) and str(bad) not in d["path"].tolist()


def test_user_errors_exit_2(sample, tmp_path, capsys):
    assert main(["features", str(tmp_path), "--corpus", "ravdess", "--out", str(tmp_path / "a.npz")]) == 2
    assert "ravdess" in capsys.readouterr().err
    assert main(["features", str(sample), "--corpus", "ravdess", "--out", str(tmp_path / "a.txt")]) == 2
    assert ".npz" in capsys.readouterr().err
