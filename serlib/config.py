"""Project-wide settings: the sample rate, the data root, quick mode and the cache folder.

Every other module asks this one where things are, so a notebook, a test and the
command line always agree.

Notebook: every notebook (through :func:`serlib.notebook.setup`).
"""
from __future__ import annotations

import os
from pathlib import Path

#: The one sample rate every clip is converted to. 16 kHz keeps everything below
#: 8 kHz, where the cues of emotional speech (pitch, formants, energy) live, is the
#: rate of EMO-DB and of the telephone-band speech literature, and makes features
#: three times cheaper than 48 kHz.
SAMPLE_RATE = 16_000

#: Environment variable naming the data root (one sub-folder per corpus).
DATA_ENV = "SERLIB_DATA"
#: Environment variable that switches quick mode on (any of 1/true/yes).
QUICK_ENV = "SERLIB_QUICK"

#: The repository (or installed package's parent) folder.
PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
#: The bundled data folder: the RAVDESS sample, prompt images.
BUNDLED_DATA = REPO_DIR / "data"
#: Trained models shipped with the repository.
MODELS_DIR = REPO_DIR / "models"
#: The shipped model's file name in :data:`MODELS_DIR` (trained by ``serlib train``).
DEFAULT_MODEL = "ser-mlp.skops"

#: Folder names of the corpora inside a data root.
CORPUS_FOLDERS = ("ravdess", "tess", "savee", "cremad", "iemocap", "emodb")


def data_root(override: str | os.PathLike | None = None) -> Path:
    """Return the data root: ``override``, else ``$SERLIB_DATA``, else the repo's ``data/``.

    The folder is not created and may be read-only; serlib never writes into it
    except when asked to download a corpus there.
    """
    if override is not None and str(override) != "":
        return Path(override).expanduser()
    env = os.environ.get(DATA_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    return BUNDLED_DATA


def quick_mode() -> bool:
    """True when ``$SERLIB_QUICK`` asks for the small, fast variant (used by tests)."""
    return os.environ.get(QUICK_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def cache_dir() -> Path:
    """The user's cache folder for serlib (honours ``$XDG_CACHE_HOME``)."""
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg:
        base = Path(xdg).expanduser()
    else:
        try:
            from platformdirs import user_cache_dir

            base = Path(user_cache_dir())
        except ImportError:  # pragma: no cover - platformdirs is a dependency
            base = Path.home() / ".cache"
    return base / "serlib"


def default_model_path() -> Path:
    """Where the shipped model lives (``models/ser-mlp.skops`` in the repository)."""
    return MODELS_DIR / DEFAULT_MODEL
