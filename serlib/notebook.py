"""The one call at the top of every notebook, and small helpers notebooks share.

``setup()`` fixes the plotting style and the random seeds, quiets warnings that would
only clutter a page meant for students, and says plainly which data the notebook runs
on and in which mode. It never prints an absolute path: a notebook's outputs are read on
GitHub by people whose folders look nothing like ours.

Notebook: every notebook (first code cell), e.g. 01_mel_scale.ipynb.
"""
from __future__ import annotations

import os
import random
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from serlib import config

#: One figure width for every notebook, in inches; heights vary with the content.
FIGURE_WIDTH = 10.0
#: Default figure size (width, height) in inches.
FIGURE_SIZE = (FIGURE_WIDTH, 3.5)
#: Resolution of inline figures. 90 dpi keeps a committed notebook small and still sharp.
FIGURE_DPI = 90
#: File endings counted as audio clips when a corpus folder is surveyed.
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")

#: Where the repository lives on GitHub, as ``owner/name``: the one place the "Open in
#: Colab" links of the notebooks and the hosted-runtime installer take it from. A fork
#: changes this line and runs ``python scripts/colab_links.py`` to rewrite the links.
GITHUB_REPOSITORY = "serlib/serlib"
#: The branch whose notebooks the "Open in Colab" links open.
GITHUB_BRANCH = "main"
#: The badge image Colab publishes for these links.
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"


def colab_url(notebook_name: str, repository: str = GITHUB_REPOSITORY,
              branch: str = GITHUB_BRANCH) -> str:
    """The address that opens ``notebooks/<notebook_name>`` from GitHub in Google Colab.

    Notebook: every notebook (the "Open in Colab" badge in cell 0).
    """
    return (f"https://colab.research.google.com/github/{repository}/blob/{branch}/"
            f"notebooks/{notebook_name}")


def colab_badge(notebook_name: str, repository: str = GITHUB_REPOSITORY,
                branch: str = GITHUB_BRANCH) -> str:
    """The Markdown line with the "Open in Colab" badge that cell 0 of a notebook carries.

    Notebook: every notebook (cell 0, written by ``scripts/colab_links.py``).
    """
    return f"[![Open in Colab]({COLAB_BADGE})]({colab_url(notebook_name, repository, branch)})"


def pinned_ref(version: str | None = None) -> str:
    """The git tag a hosted runtime installs: ``v`` + serlib's version (``v0.1.0``).

    The version is the one in ``pyproject.toml`` / ``serlib.__version__``; a release
    pushes the matching tag so that a notebook always gets the library it was written for.
    """
    if version is None:
        from serlib import __version__ as version
    return f"v{version}"


def install_args(repository: str = GITHUB_REPOSITORY, ref: str | None = None) -> str:
    """What ``%pip install`` gets on a hosted runtime without serlib (Colab).

    An editable install from git (``--src src``: the clone lands in ``src/serlib``), so
    the runtime gets the library *and* the repository's bundled RAVDESS sample
    (``data/``), the shipped model (``models/``) and the prompt pictures, at the pinned
    tag; plus anywidget for the browser microphone, which Colab lacks.

    Notebook: every notebook (first code cell).
    """
    url = f"git+https://github.com/{repository}@{ref or pinned_ref()}#egg=serlib"
    return f'--src src -e "{url}" "anywidget>=0.9"'


#: The folder (relative to the working directory) where ``install_args`` puts the clone.
HOSTED_CLONE = "src/serlib"


def bootstrap_lines(repository: str = GITHUB_REPOSITORY, ref: str | None = None) -> list[str]:
    """The few lines that open the first code cell of every notebook.

    Where serlib is installed (``make lab``, Binder, a JupyterHub set up by the teacher)
    they do nothing. On Google Colab they install serlib pinned to this version, with
    its sample, and make it importable in the running kernel. Written into the notebooks
    by ``scripts/colab_links.py``, checked by ``tests/test_notebook_lint.py``.

    Notebook: every notebook (first code cell).
    """
    return [
        "try:",
        "    import serlib",
        "except ModuleNotFoundError:  # Google Colab: install serlib and its sample first (about a minute)",
        f"    %pip install {install_args(repository, ref)}",
        f'    import sys; sys.path.insert(0, "{HOSTED_CLONE}")',
    ]


def hosted_runtime(environ=None, modules=None) -> str | None:
    """The name of the hosted Jupyter this kernel runs in, or None on one's own machine.

    Recognises Google Colab (its ``google.colab`` module or ``COLAB_RELEASE_TAG``),
    Binder (``BINDER_LAUNCH_HOST``/``BINDER_REPO_URL``), a JupyterHub
    (``JUPYTERHUB_API_URL``) and Kaggle (``KAGGLE_KERNEL_RUN_TYPE``).

    Notebook: every notebook (``setup()`` names the runtime).
    """
    env = os.environ if environ is None else environ
    mods = sys.modules if modules is None else modules
    if "google.colab" in mods or env.get("COLAB_RELEASE_TAG"):
        return "Google Colab"
    if env.get("BINDER_LAUNCH_HOST") or env.get("BINDER_REPO_URL"):
        return "Binder"
    if env.get("JUPYTERHUB_API_URL"):
        return "a JupyterHub"
    if env.get("KAGGLE_KERNEL_RUN_TYPE"):
        return "Kaggle"
    return None


@dataclass(frozen=True)
class NotebookContext:
    """What ``setup()`` found: the data root, the mode and the corpora present.

    Attributes:
        data_root: the folder holding one sub-folder per corpus.
        data_label: how the data root is named in printed output (never an absolute
            path), e.g. ``"$SERLIB_DATA"`` or ``"the bundled sample in data/"``.
        quick: True in quick mode (``SERLIB_QUICK=1``), used by the tests.
        corpora: corpus folder name -> number of audio files found in it.
        bundled: True when the data root is the repository's own ``data/`` folder.
        seed: the random seed that was set.
        runtime: the hosted Jupyter (``"Google Colab"``, ``"Binder"``, ...), None locally.
    """

    data_root: Path
    data_label: str
    quick: bool
    corpora: dict = field(default_factory=dict)
    bundled: bool = False
    seed: int = 0
    runtime: str | None = None

    def has(self, corpus: str) -> bool:
        """True when the data root holds at least one clip of ``corpus``."""
        return self.corpora.get(corpus, 0) > 0

    @property
    def mode(self) -> str:
        """``"quick"`` or ``"full"``."""
        return "quick" if self.quick else "full"

    def __repr__(self) -> str:  # never shows an absolute path in a notebook
        present = ", ".join(f"{k}={v}" for k, v in self.corpora.items()) or "none"
        return (f"NotebookContext(data_root={self.data_label!r}, mode={self.mode!r}, "
                f"corpora: {present})")


def count_clips(folder: Path) -> int:
    """Count audio files below ``folder`` (recursively); 0 when it does not exist.

    Cheap: it only lists directory entries, it never opens a file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    total = 0
    for _dirpath, _dirnames, filenames in os.walk(folder):
        total += sum(1 for name in filenames
                     if name.lower().endswith(AUDIO_SUFFIXES) and not name.startswith("."))
    return total


def survey(root: Path) -> dict:
    """Corpus folder name -> number of audio files, for every corpus present in ``root``."""
    found = {}
    for name in config.CORPUS_FOLDERS:
        n = count_clips(Path(root) / name)
        if n:
            found[name] = n
    return found


def describe_root(root: Path) -> tuple[str, bool]:
    """How to name ``root`` in printed output, and whether it is the bundled ``data/``.

    Never returns an absolute path: ``$SERLIB_DATA`` when the environment variable chose
    the folder, ``the bundled sample in data/`` for the repository's own folder, and
    otherwise only the folder's last component.
    """
    root = Path(root)
    try:
        bundled = root.resolve() == config.BUNDLED_DATA.resolve()
    except OSError:  # pragma: no cover - unreadable folder
        bundled = False
    if bundled:
        return "the bundled sample in data/", True
    env = os.environ.get(config.DATA_ENV, "").strip()
    if env:
        try:
            if Path(env).expanduser().resolve() == root.resolve():
                return f"${config.DATA_ENV}", False
        except OSError:  # pragma: no cover
            pass
    return f"a folder named '{root.name}'", False


def set_style() -> None:
    """Apply the house plotting style: one figure width, readable labels, light grids."""
    import matplotlib as mpl

    mpl.rcParams.update({
        "figure.figsize": FIGURE_SIZE,
        "figure.dpi": FIGURE_DPI,
        "savefig.dpi": FIGURE_DPI,
        "figure.constrained_layout.use": True,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 12,
        "axes.labelsize": 11,
        "legend.frameon": False,
        "image.cmap": "magma",
    })


def set_seeds(seed: int = 0) -> None:
    """Seed Python's and NumPy's generators, and TensorFlow's only if it is already imported.

    TensorFlow is never imported here: the early notebooks do not need it and importing
    it costs seconds.
    """
    random.seed(seed)
    np.random.seed(seed)
    if "tensorflow" in sys.modules:
        tf = sys.modules["tensorflow"]
        try:
            tf.random.set_seed(seed)
        except Exception:  # pragma: no cover - partially imported module
            pass
    if "keras" in sys.modules:
        keras = sys.modules["keras"]
        try:
            keras.utils.set_random_seed(seed)
        except Exception:  # pragma: no cover
            pass


def quiet_warnings() -> None:
    """Silence warnings that say nothing useful to a student reading a notebook."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for category in (DeprecationWarning, FutureWarning, PendingDeprecationWarning):
        warnings.filterwarnings("ignore", category=category)
    # librosa's advice about n_fft vs very short signals, and audioread fall-backs
    warnings.filterwarnings("ignore", message=r".*n_fft=.*is too large.*")
    warnings.filterwarnings("ignore", message=r".*PySoundFile failed.*")
    warnings.filterwarnings("ignore", module=r"librosa.*", category=UserWarning)
    warnings.filterwarnings("ignore", message=r".*FigureCanvasAgg is non-interactive.*")
    # scikit-learn, on the small folds of quick mode
    warnings.filterwarnings("ignore", message=r".*y_pred contains classes not in y_true.*")
    warnings.filterwarnings("ignore", message=r".*least populated class in y has only.*")


def setup(seed: int = 0, data_root=None, verbose: bool = True) -> NotebookContext:
    """Prepare a notebook: style, seeds, quiet warnings; print data root and mode.

    Args:
        seed: seed for ``random``, NumPy and (if already imported) TensorFlow/Keras.
        data_root: override the data root (default: ``$SERLIB_DATA``, else ``data/``).
        verbose: print the short summary (default True).

    Returns:
        A :class:`NotebookContext` with ``data_root``, ``quick``, ``corpora`` (name ->
        clip count) and ``has(name)``.

    Notebook: every notebook (first code cell), e.g. 01_mel_scale.ipynb.
    """
    set_style()
    set_seeds(seed)
    quiet_warnings()
    root = config.data_root(data_root)
    label, bundled = describe_root(root)
    quick = config.quick_mode()
    corpora = survey(root)
    ctx = NotebookContext(data_root=root, data_label=label, quick=quick,
                          corpora=corpora, bundled=bundled, seed=seed,
                          runtime=hosted_runtime())
    if verbose:
        print(summary(ctx))
    return ctx


def summary(ctx: NotebookContext) -> str:
    """The few lines ``setup()`` prints: data root, corpora present, mode, seed."""
    lines = [f"data root: {ctx.data_label}"]
    if ctx.corpora:
        parts = [f"{name} ({n} clips)" for name, n in ctx.corpora.items()]
        lines.append("corpora present: " + ", ".join(parts))
    else:
        lines.append("corpora present: none - set SERLIB_DATA to a folder holding them "
                     "(see notebook 04)")
    missing = [c for c in config.CORPUS_FOLDERS if c not in ctx.corpora]
    if missing and ctx.corpora:
        lines.append("not present: " + ", ".join(missing))
    if ctx.quick:
        lines.append(f"mode: quick ({config.QUICK_ENV}=1: small subsets, for tests)")
    else:
        lines.append("mode: full (all clips)")
    lines.append(f"random seed: {ctx.seed}")
    if ctx.runtime:  # only on a hosted Jupyter: the committed outputs stay as they are
        from serlib import __version__

        lines.append(f"running on {ctx.runtime} with serlib {__version__}")
    return "\n".join(lines)


def limit(items, n_quick: int, quick: bool | None = None, seed: int = 0):
    """In quick mode return a reproducible subset of at most ``n_quick`` items.

    Works for lists, NumPy arrays and pandas DataFrames (rows). In full mode the items
    come back unchanged. ``quick=None`` reads ``$SERLIB_QUICK``.
    """
    if quick is None:
        quick = config.quick_mode()
    if not quick or len(items) <= n_quick:
        return items
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(items), size=n_quick, replace=False))
    if hasattr(items, "iloc"):
        return items.iloc[idx]
    if isinstance(items, np.ndarray):
        return items[idx]
    return [items[i] for i in idx]


def audio(y, sr: int = config.SAMPLE_RATE, max_seconds: float | None = 6.0, normalize=True):
    """An ``IPython.display.Audio`` player for a signal (a short one keeps notebooks small).

    Args:
        y: 1-D signal (float).
        sr: its sample rate in Hz.
        max_seconds: cut the signal to this length (None: keep all of it).
        normalize: let the player scale the loudness (False plays the true level,
            which matters when comparing loudness between clips).

    Notebook: 01_mel_scale.ipynb (and every notebook that plays sound).
    """
    from IPython.display import Audio

    y = np.asarray(y, dtype=np.float32).reshape(-1)
    if max_seconds is not None:
        y = y[: int(round(max_seconds * sr))]
    if not normalize:
        peak = float(np.max(np.abs(y))) if y.size else 0.0
        if peak > 1.0:
            y = y / peak
    return Audio(data=y, rate=sr, normalize=normalize)


def relpath(path, root=None) -> str:
    """A path shown relative to the data root (or its last parts), never absolute.

    Use it whenever a notebook prints a file name: ``ravdess/Actor_05/03-01-...flac``.
    """
    path = Path(path)
    root = Path(root) if root is not None else config.data_root()
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        parts = path.parts[-3:]
        return "/".join(parts)
