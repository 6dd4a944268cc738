"""serlib.extract: batch extraction in input order, parallel, cached by content and settings.

Every test runs with its own empty cache (conftest sets ``XDG_CACHE_HOME``).
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from serlib import audio, config, extract as ex, features
from serlib.errors import AudioError, SerlibError
from serlib.features import FeatureConfig


@pytest.fixture
def clips(sample_root, tmp_path):
    """Eight real sample clips copied into a private data root (so tests may modify them)."""
    src = sorted((sample_root / "ravdess").glob("Actor_*/*.flac"))[::45][:8]
    if len(src) < 8:
        pytest.skip("the bundled RAVDESS sample (data/ravdess) is not there")
    root = tmp_path / "data" / "ravdess" / "Actor_01"
    root.mkdir(parents=True)
    out = []
    for p in src:
        shutil.copy(p, root / p.name)
        out.append(str(root / p.name))
    return out


def _direct(path, kind="seed180", cfg=None):
    return features.FEATURE_KINDS[kind](audio.load(path), cfg or FeatureConfig())


def _files_under(folder):
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_rows_follow_input_order_and_equal_direct_computation(clips):
    X = ex.extract(clips, n_jobs=1, progress=False)
    assert X.shape == (8, 180) and X.dtype == np.float32
    for row, path in zip(X, clips):
        assert np.array_equal(row, _direct(path))
    Xr = ex.extract(clips[::-1], n_jobs=1, progress=False)
    assert np.array_equal(Xr, X[::-1])


def test_parallel_equals_serial(clips, monkeypatch):
    monkeypatch.setattr(ex, "MIN_PARALLEL", 2)
    monkeypatch.setattr(ex, "CHUNK_SIZE", 3)
    serial = ex.extract(clips, n_jobs=1, progress=False, cache=False)
    parallel = ex.extract(clips, n_jobs=2, progress=False, cache=False)
    assert np.array_equal(serial, parallel)


_WORK = ex._work


def _killed_worker(chunk, *args):
    """Stands in for extract._work in a forked worker: the process dies as in a crash."""
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def test_a_crashed_worker_is_reported_with_what_to_do(clips, monkeypatch):
    import multiprocessing as mp

    monkeypatch.setattr(ex, "MIN_PARALLEL", 2)
    monkeypatch.setattr(ex, "_mp_context", lambda: mp.get_context("fork"))
    monkeypatch.setattr(ex, "_work", _killed_worker)
    with pytest.raises(SerlibError, match=r"worker process stopped abruptly.*"
                                          r"python -m serlib\.warmup --clear.*--jobs 1"):
        ex.extract(clips, n_jobs=2, progress=False, cache=False)
    monkeypatch.setattr(ex, "_work", _WORK)  # the next run, with healthy workers, gives every row
    assert np.array_equal(ex.extract(clips, n_jobs=2, progress=False, cache=False),
                          ex.extract(clips, n_jobs=1, progress=False, cache=False))


def test_dataframe_input_and_every_kind(clips):
    df = pd.DataFrame({"path": clips[:2], "emotion": ["x", "y"]})
    for kind in features.FEATURE_KINDS:
        X = ex.extract(df, kind=kind, n_jobs=1, progress=False)
        assert X.shape == (2, *features.feature_shape(kind))
        assert np.array_equal(X[1], _direct(clips[1], kind))
    with pytest.raises(ValueError, match="'path' column"):
        ex.extract(pd.DataFrame({"file": clips}), progress=False)
    with pytest.raises(ValueError, match="unknown feature kind"):
        ex.extract(clips, kind="nope", progress=False)
    assert ex.extract([], progress=False).shape == (0, 180)


def test_second_run_comes_from_the_cache(clips, monkeypatch):
    first = ex.extract(clips, n_jobs=1, progress=False)
    cache = config.cache_dir()
    assert len(list(ex.cache_folder("seed180").rglob("*.npy"))) == 8
    assert str(cache).startswith(os.environ["XDG_CACHE_HOME"])
    monkeypatch.setattr(ex, "_compute_one", lambda *a: pytest.fail("computed again"))
    monkeypatch.setattr(ex, "file_hash", lambda *a: pytest.fail("hashed again: memo unused"))
    res = ex.extract_report(clips, n_jobs=1, progress=False)
    assert res.cached == 8
    assert np.array_equal(res.X, first)


def test_cache_never_written_into_the_data_root(clips):
    data_root = os.path.dirname(os.path.dirname(os.path.dirname(clips[0])))
    before = _files_under(Path(data_root))
    ex.extract(clips, n_jobs=1, progress=False)
    ex.extract(clips, kind="mfcc40", n_jobs=1, progress=False)
    assert _files_under(Path(data_root)) == before


def test_changed_audio_is_recomputed_even_with_same_size_and_mtime(tmp_path):
    path = tmp_path / "clip.wav"
    sf.write(path, audio.tone(300, 1.0), 16000, subtype="PCM_16")
    st = os.stat(path)
    a = ex.extract([path], n_jobs=1, progress=False)
    # same length and format (so the same size), different pitch; put the old mtime back
    sf.write(path, audio.tone(600, 1.0), 16000, subtype="PCM_16")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(path).st_size == st.st_size
    b = ex.extract([path], n_jobs=1, progress=False)
    assert np.array_equal(b[0], _direct(path))
    assert not np.array_equal(a, b)


def test_changed_settings_or_version_are_recomputed(clips, monkeypatch):
    base = ex.extract(clips[:2], n_jobs=1, progress=False)
    cfg = FeatureConfig(fmax=4000.0)
    other = ex.extract(clips[:2], cfg=cfg, n_jobs=1, progress=False)
    assert np.array_equal(other[0], _direct(clips[0], cfg=cfg))
    assert not np.array_equal(other, base)
    calls = []
    real = ex._compute_one
    monkeypatch.setattr(ex, "_compute_one", lambda *a: calls.append(a) or real(*a))
    monkeypatch.setattr(features, "FEATURE_VERSION", features.FEATURE_VERSION + 1)
    ex.extract(clips[:2], n_jobs=1, progress=False)
    assert len(calls) == 2


def test_damaged_cache_entry_is_recomputed_not_returned(clips):
    first = ex.extract(clips[:1], n_jobs=1, progress=False)
    (entry,) = ex.cache_folder("seed180").rglob("*.npy")
    entry.write_bytes(b"not an array")
    again = ex.extract(clips[:1], n_jobs=1, progress=False)
    assert np.array_equal(again, first)
    np.save(entry, np.zeros(7, np.float32))  # wrong shape
    assert np.array_equal(ex.extract(clips[:1], n_jobs=1, progress=False), first)


def test_no_cache_writes_nothing(clips):
    ex.extract(clips[:2], n_jobs=1, progress=False, cache=False)
    assert not ex.cache_root().exists()


def test_bad_files_are_reported_after_the_good_ones_are_done(clips, tmp_path):
    text = tmp_path / "notes.wav"
    text.write_text("not audio\n" * 20)
    missing = tmp_path / "missing.flac"
    paths = [clips[0], str(text), clips[1], str(missing)]
    with pytest.raises(AudioError) as err:
        ex.extract(paths, n_jobs=1, progress=False)
    msg = str(err.value)
    assert "2 of 4 clips" in msg and str(text) in msg and str(missing) in msg
    assert "text file" in msg and "not found" in msg
    # the good clips were cached before the error was raised
    assert len(list(ex.cache_folder("seed180").rglob("*.npy"))) == 2

    with pytest.warns(UserWarning, match="2 of 4"):
        X = ex.extract(paths, n_jobs=1, progress=False, on_error="nan")
    assert X.shape == (4, 180)
    assert np.isnan(X[1]).all() and np.isnan(X[3]).all()
    assert np.array_equal(X[2], _direct(clips[1]))
    with pytest.warns(UserWarning):
        Xs = ex.extract(paths, n_jobs=1, progress=False, on_error="skip")
    assert np.array_equal(Xs, X[[0, 2]])
    res = ex.extract_report(paths, n_jobs=1, progress=False)
    assert res.ok.tolist() == [True, False, True, False]
    assert set(res.errors) == {str(text), str(missing)}
    with pytest.raises(ValueError, match="on_error"):
        ex.extract(paths, on_error="ignore")


def test_bad_files_in_parallel_workers(clips, tmp_path, monkeypatch):
    monkeypatch.setattr(ex, "MIN_PARALLEL", 2)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    res = ex.extract_report([*clips[:4], str(empty)], n_jobs=2, progress=False)
    assert res.ok.tolist() == [True] * 4 + [False]
    assert "empty" in res.errors[str(empty)]


def test_clear_cache(clips):
    ex.extract(clips[:2], n_jobs=1, progress=False)
    assert ex.clear_cache() >= 2
    assert not ex.cache_root().exists()
    assert ex.clear_cache() == 0


def test_workers_start_clean_when_tensorflow_is_loaded(clips, monkeypatch):
    """Forking a process that runs TensorFlow's threads is unsafe: use a forkserver then."""
    import sys
    import types

    if sys.platform.startswith("linux"):
        # another test in this worker may have imported TensorFlow: hide it for this check
        for name in ("tensorflow", "torch", "jax"):
            monkeypatch.delitem(sys.modules, name, raising=False)
        assert ex._mp_context().get_start_method() == "fork"
    monkeypatch.setitem(sys.modules, "tensorflow", types.ModuleType("tensorflow"))
    assert ex._mp_context().get_start_method() == "forkserver"
    monkeypatch.setattr(ex, "MIN_PARALLEL", 2)
    X = ex.extract(clips[:4], n_jobs=2, progress=False, cache=False)
    assert np.array_equal(X, ex.extract(clips[:4], n_jobs=1, progress=False, cache=False))


@pytest.mark.corpora
def test_whole_emodb_extracts_and_comes_back_from_the_cache(corpora_root):
    from serlib.datasets import load_corpus

    df = load_corpus("emodb", root=corpora_root)
    assert len(df) == 535
    X = ex.extract(df, progress=False)
    assert X.shape == (535, 180) and np.all(np.isfinite(X))
    res = ex.extract_report(df, progress=False)
    assert res.cached == 535 and np.array_equal(res.X, X)
