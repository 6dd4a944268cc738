"""``serlib features ROOT --corpus NAME --out FILE.npz`` on the bundled sample."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

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
    assert "add --on-error skip" in err and "on_error" not in err  # options, not Python keywords
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


def test_interrupted_run_keeps_finished_clips_and_resumes(sample, tmp_path):
    """A real Ctrl-C (SIGINT to the process group, as a terminal sends it) after the first
    clips are cached: they stay in the cache, the same command goes on from there, and
    the result equals an uninterrupted run's."""
    root = tmp_path / "root" / "ravdess"
    for actor in sorted((sample / "ravdess").glob("Actor_*"))[:1]:  # 60 clips
        shutil.copytree(actor, root / actor.name)
    cache = tmp_path / "cache"
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))

    def command(out, *extra):
        return [sys.executable, "-m", "serlib", "features", str(root.parent), "--corpus", "ravdess",
                "--out", str(out), "--no-progress", "--jobs", "2", *extra]

    run = subprocess.Popen(command(tmp_path / "a.npz"), env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while not list(cache.rglob("*.npy")) and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(run.pid, signal.SIGINT)
    out, err = run.communicate(timeout=120)
    kept = sum(not p.name.startswith(".tmp-") for p in cache.rglob("*.npy"))
    assert run.returncode == 130, err
    assert "interrupted" in err and "goes on from there" in err and not (tmp_path / "a.npz").exists()
    assert 0 < kept < 60, "the interrupt came too late to test anything"

    done = subprocess.run(command(tmp_path / "a.npz"), env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"; {kept} from the cache" in done.stdout
    whole = subprocess.run(command(tmp_path / "b.npz", "--no-cache"), env=env, capture_output=True,
                           text=True)
    assert whole.returncode == 0, whole.stderr
    with np.load(tmp_path / "a.npz") as a, np.load(tmp_path / "b.npz") as b:
        assert set(a.files) == set(b.files)
        for key in a.files:
            assert np.array_equal(a[key], b[key]), key
