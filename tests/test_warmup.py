"""serlib.warmup: librosa's numba cache, filled serially and cleared on request.

That the warm-up compiles everything the library, the notebooks and the tests reach is
checked by the whole test session (conftest.py fails a run in which the cache grew).
"""
from __future__ import annotations

from serlib import warmup


def test_cache_files_follow_numba_cache_dir_and_clear_deletes_only_them(tmp_path, monkeypatch):
    moved = tmp_path / "numba"
    (moved / "core_1a2b").mkdir(parents=True)
    kept = moved / "core_1a2b" / "notes.txt"
    kept.write_text("not numba's")
    made = [moved / "core_1a2b" / "audio._zc_wrapper-1154.py311.nbi",
            moved / "core_1a2b" / "audio._zc_wrapper-1154.py311.2.nbc"]
    for path in made:
        path.write_bytes(b"\0")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(moved))
    assert warmup.cache_files() == sorted(made)
    assert warmup.clear_cache() == 2
    assert warmup.cache_files() == [] and kept.exists()


def test_installed_librosa_cache_is_warm():
    # conftest warmed it before the tests; librosa's eager @guvectorize functions alone
    # leave a few dozen files, so an empty list means cache_files looks in the wrong place
    before = warmup.cache_files()
    assert len(before) >= 20
    warmup.warm_up(force=True)
    assert warmup.cache_files() == before  # everything loaded from the cache, nothing compiled
    assert warmup.warm_up() == 0.0  # and once per process is enough


def test_main_reports_the_cache(capsys):
    assert warmup.main([]) == 0
    out = capsys.readouterr().out
    assert "librosa's numba cache holds" in out and "(0 new)" in out
