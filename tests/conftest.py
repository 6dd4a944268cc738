"""Shared fixtures: where the bundled sample and the full corpora are, and a clean cache."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from serlib import config

REPO = config.REPO_DIR


def _full_corpora_root() -> Path | None:
    """A data root that holds the complete RAVDESS speech set, or None.

    Looks at ``$SERLIB_DATA`` first, then at ``../shared/datasets`` beside the checkout
    (where this project's CI keeps the corpora).
    """
    candidates = []
    if os.environ.get(config.DATA_ENV):
        candidates.append(Path(os.environ[config.DATA_ENV]))
    candidates.append(REPO.parent / "shared" / "datasets")
    for root in candidates:
        actors = root / "ravdess"
        if actors.is_dir() and sum(1 for _ in actors.glob("Actor_*/*.*")) >= 1440:
            return root.resolve()
    return None


FULL_ROOT = _full_corpora_root()



def pytest_runtest_setup(item):
    if item.get_closest_marker("corpora") and FULL_ROOT is None:
        pytest.skip("needs the full corpora (set SERLIB_DATA to a folder holding them)")


@pytest.fixture(scope="session")
def corpora_root() -> Path:
    """Data root with the full corpora; tests using it are skipped when there is none."""
    if FULL_ROOT is None:
        pytest.skip("needs the full corpora (set SERLIB_DATA to a folder holding them)")
    return FULL_ROOT


@pytest.fixture(scope="session")
def sample_root() -> Path:
    """The repository's own data folder with the bundled RAVDESS sample."""
    return config.BUNDLED_DATA


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own feature cache, so nothing a previous run left is reused."""
    cache = tmp_path_factory.mktemp("xdg-cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    yield
