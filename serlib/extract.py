"""Batch feature extraction: many clips, all cores, a progress bar and an on-disk cache.

:func:`extract` turns a table of clips (a DataFrame with a ``path`` column, or a list
of paths) into one array, rows in input order::

    X = extract(df, kind="seed180")          # (n_clips, 180) float32

How it stays fast and never returns anything stale
---------------------------------------------------
- **Cache key.** One clip's features are stored under the hash of the clip's *bytes*
  (BLAKE2b, 128 bit), the feature kind, :meth:`FeatureConfig.key` (every setting plus
  :data:`serlib.features.FEATURE_VERSION`) and librosa's version. Change the audio, a
  setting, the code version or librosa, and the features are computed again. Moving or
  renaming a corpus keeps its cache (the key is the content, not the path).
- **Where.** Under :func:`serlib.config.cache_dir` (``$XDG_CACHE_HOME/serlib``, else the
  user's cache folder): ``features/<kind>-<cfg key>-librosa<version>/<ab>/<hash>.npy``,
  one small ``.npy`` per clip, written atomically (temporary file + rename) as soon as
  the clip is done, so an interrupted run (Ctrl-C) leaves nothing half-written and keeps
  every clip it finished: run it again and it goes on from there. Nothing is ever
  written into the data root, which may be read-only.
- **Hash memo.** Hashing 1440 RAVDESS files (140 MB) on every call would cost more than
  reading the cache, so the content hash of each file is remembered in a small SQLite
  table (``features/file-hashes.sqlite3``) keyed by the file's absolute path, size,
  modification time (ns), inode change time (ns) and inode number. Any write to a file
  changes its modification and change times, so the file is hashed again; a file whose
  memo entry matches is trusted without reading it. A cached run is then one ``stat`` and
  one small ``np.load`` per clip.
- **Parallel.** Clips that need computing are sent in chunks to worker processes (one
  per core by default); each worker limits numpy's BLAS to one thread, so two workers on
  two cores do not fight over them (a multi-threaded OpenBLAS on a busy machine made the
  feature maths 20-40 times slower). Workers are forked ``concurrent.futures``
  processes, started after this process has imported librosa, so they begin warm. On the
  2-core development machine (480 clips) joblib's loky was as fast once its worker pool
  was warm, but its first call took 3x longer: its fresh interpreters import librosa
  again. With TensorFlow or PyTorch already loaded (forking a process that runs their
  threads is unsafe), workers start from a clean ``forkserver`` instead. Before the
  first pool, :func:`serlib.warmup.warm_up` fills librosa's numba cache on disk in this
  process: workers that compile the same function at once can damage that cache, and a
  worker that crashes is reported as a :class:`~serlib.errors.SerlibError` saying what
  to do (the clips finished so far stay cached).
- **Errors.** A clip that cannot be read does not stop the others: every clip is
  processed, the good results are cached, and then one :class:`~serlib.errors.AudioError`
  lists each failed file and why (``on_error="raise"``, the default); ``"nan"`` fills the
  failed rows with NaN and ``"skip"`` drops them (see :func:`extract_report` for which).

Notebook: 06_mlp_grid_search.ipynb
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
import tempfile
import warnings
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from serlib import config, warmup
from serlib.errors import AudioError, SerlibError
from serlib.features import FEATURE_KINDS, FeatureConfig, feature_shape

#: Clips per task sent to a worker process (fewer round trips than one clip per task).
CHUNK_SIZE = 24
#: Below this many clips to compute, extraction runs in this process (no pool start-up).
MIN_PARALLEL = 16
#: Failed files listed in an error message (the rest are counted).
MAX_LISTED = 10
#: What :meth:`ExtractResult.error_message` advises in Python.
PYTHON_ADVICE = ("Fix or remove these files, or pass on_error='skip' (drop them) or "
                 "on_error='nan' (keep NaN rows).")


# --------------------------------------------------------------------------- hashing
def file_hash(path: str | os.PathLike) -> str:
    """BLAKE2b-128 of a file's bytes, as 32 hex digits (the cache's content key).

    Notebook: 06_mlp_grid_search.ipynb
    """
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _stat_key(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


class _HashMemo:
    """(absolute path, size, mtime_ns, ctime_ns, inode) -> content hash, in SQLite."""

    def __init__(self, folder: Path):
        self.path = folder / "file-hashes.sqlite3"
        self._rows: dict[str, tuple] | None = None

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(str(self.path), timeout=60)
        con.execute("CREATE TABLE IF NOT EXISTS hashes (path TEXT PRIMARY KEY, size INTEGER, "
                    "mtime_ns INTEGER, ctime_ns INTEGER, ino INTEGER, hash TEXT)")
        return con

    def load(self) -> dict[str, tuple]:
        if self._rows is None:
            self._rows = {}
            if self.path.exists():
                try:
                    with self._connect() as con:
                        for p, *rest in con.execute(
                                "SELECT path, size, mtime_ns, ctime_ns, ino, hash FROM hashes"):
                            self._rows[p] = tuple(rest)
                except sqlite3.Error:  # a damaged memo only costs re-hashing
                    self._rows = {}
        return self._rows

    def get(self, path: str, st: os.stat_result) -> str | None:
        row = self.load().get(path)
        if row is not None and tuple(row[:4]) == _stat_key(st):
            return row[4]
        return None

    def put(self, entries: Iterable[tuple[str, os.stat_result, str]]) -> None:
        rows = [(p, *_stat_key(st), h) for p, st, h in entries]
        if not rows:
            return
        try:
            with self._connect() as con:
                con.executemany("INSERT OR REPLACE INTO hashes VALUES (?, ?, ?, ?, ?, ?)", rows)
        except sqlite3.Error as exc:  # read-only or locked cache: work on without the memo
            warnings.warn(f"serlib: could not update the file-hash memo {self.path}: {exc}",
                          stacklevel=3)
        if self._rows is not None:
            for p, *rest in rows:
                self._rows[p] = tuple(rest)


# --------------------------------------------------------------------------- cache
def _librosa_version() -> str:
    try:
        from importlib.metadata import version

        return version("librosa")
    except Exception:  # pragma: no cover - librosa is a dependency
        import librosa

        return librosa.__version__


def cache_root() -> Path:
    """Folder of the feature cache: ``<cache_dir()>/features``.

    Notebook: 06_mlp_grid_search.ipynb
    """
    return config.cache_dir() / "features"


def cache_folder(kind: str, cfg: FeatureConfig | None = None) -> Path:
    """Folder holding the cached ``kind`` features computed with ``cfg``.

    Notebook: 06_mlp_grid_search.ipynb
    """
    from serlib.features import kind_version

    cfg = cfg or FeatureConfig()
    version = kind_version(kind)
    tag = f"-v{version}" if version is not None else ""
    return cache_root() / f"{kind}{tag}-{cfg.key()}-librosa{_librosa_version()}"


def clear_cache() -> int:
    """Delete every cached feature and the hash memo; returns the number of files removed.

    Notebook: 06_mlp_grid_search.ipynb
    """
    import shutil

    root = cache_root()
    if not root.exists():
        return 0
    n = sum(1 for p in root.rglob("*") if p.is_file())
    shutil.rmtree(root, ignore_errors=True)
    return n


def _cache_file(folder: Path, digest: str) -> Path:
    return folder / digest[:2] / f"{digest}.npy"


def _read_cached(file: Path, shape: tuple[int, ...]) -> np.ndarray | None:
    try:
        x = np.load(file, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if x.shape != shape or x.dtype != np.float32:
        return None  # written by something else: compute again rather than trust it
    return x


def _write_cached(file: Path, x: np.ndarray) -> None:
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=".tmp-", suffix=".npy")
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, x, allow_pickle=False)
        os.replace(tmp, file)
    except OSError as exc:
        warnings.warn(f"serlib: could not write the feature cache {file}: {exc}", stacklevel=3)


# --------------------------------------------------------------------------- workers
def _compute_one(path: str, kind: str, cfg: FeatureConfig) -> np.ndarray:
    from serlib import audio

    y = audio.load(path, sr=cfg.sr)
    return np.asarray(FEATURE_KINDS[kind](y, cfg), dtype=np.float32)


def _work(tasks: list[tuple[int, str, str | None]], kind: str, cfg: FeatureConfig,
          folder: str | None, shape: tuple[int, ...]):
    """Compute (or find in the cache) features for a chunk of clips.

    ``tasks`` holds ``(row, path, known_hash)``. Returns ``(row, hash, array, error,
    cached)`` tuples; ``array`` is None when the clip failed (``error`` says why);
    ``cached`` is True when the array came from the cache. Each computed clip is written
    to the cache at once, so an interrupted run keeps every clip finished before it.
    """
    from serlib import audio

    out = []
    cache = Path(folder) if folder else None
    for row, path, digest in tasks:
        cached = False
        try:
            x = None
            if cache is not None:
                if digest is None:
                    audio.check_file(path)  # a clear message for missing or empty files
                    digest = file_hash(path)
                x = _read_cached(_cache_file(cache, digest), shape)
                cached = x is not None
            if x is None:
                x = _compute_one(path, kind, cfg)
                if x.shape != shape:  # pragma: no cover - a bug, not a bad file
                    raise RuntimeError(f"feature {kind!r} has shape {x.shape}, expected {shape}")
                if cache is not None:
                    _write_cached(_cache_file(cache, digest), x)
            out.append((row, digest, x, None, cached))
        except AudioError as exc:
            out.append((row, digest, None, str(exc), False))
        except OSError as exc:
            out.append((row, digest, None, f"{path}: cannot be read ({exc}). Check that it exists "
                                             "and is readable.", False))
    return out


def _init_worker() -> None:
    """Worker start-up: one BLAS/OpenMP thread per process (the pool provides parallelism).

    Workers ignore Ctrl-C (SIGINT): the main process handles it, cancels the chunks not
    started and lets the running ones finish, so their clips land in the cache whole.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ[var] = "1"
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass


def _warm_up(kind: str, cfg: FeatureConfig) -> None:
    """Import the feature code's dependencies and build its filter banks in this process,
    so forked workers inherit them instead of each paying ~1.5 s of imports."""
    import soundfile  # noqa: F401

    from serlib import audio, features

    features.compute(audio.tone(440.0, 0.5, sr=cfg.sr), kind, cfg)


def broken_pool_error(jobs: int, *, resumes: bool = True) -> SerlibError:
    """The error for a feature worker process that died (a crash, not a bad clip)."""
    kept = ("the clips finished so far are kept in the feature cache and a new run resumes "
            "from them. " if resumes else "")
    return SerlibError(
        f"a feature worker process stopped abruptly (one of {jobs}); {kept}A crash there is "
        "most often a damaged numba cache of librosa: run `python -m serlib.warmup --clear`, "
        "then run this again, or use one process (n_jobs=1, `--jobs 1`). If the machine ran "
        "out of memory, use fewer workers.")


def _mp_context():
    import multiprocessing as mp

    methods = mp.get_all_start_methods()
    threaded = any(m in sys.modules for m in ("tensorflow", "torch", "jax"))
    if "fork" in methods and sys.platform.startswith("linux") and not threaded:
        return mp.get_context("fork")
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        # the server imports these once; every worker it forks starts with them loaded
        ctx.set_forkserver_preload(["serlib.extract", "serlib.features", "soundfile",
                                    "librosa.filters", "librosa.util", "librosa.feature"])
        return ctx
    return mp.get_context("spawn")


def default_jobs() -> int:
    """Worker processes used when ``n_jobs`` is None: the CPUs this process may use.

    Notebook: 06_mlp_grid_search.ipynb
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


# --------------------------------------------------------------------------- public API
@dataclass
class ExtractResult:
    """What :func:`extract_report` returns: the features and which clips failed.

    ``X`` has one row per input clip (NaN rows where a clip failed); ``ok`` marks the rows
    that hold features; ``errors`` maps each failed path to the reason; ``cached`` counts
    the clips that came from the cache.

    Notebook: 06_mlp_grid_search.ipynb
    """

    X: np.ndarray
    ok: np.ndarray
    paths: list[str]
    errors: dict[str, str] = field(default_factory=dict)
    cached: int = 0

    def error_message(self, advice: str = PYTHON_ADVICE) -> str:
        """Which clips failed and why, ending with ``advice`` (default: the Python keywords;
        the command line passes its own options)."""
        n, total = len(self.errors), len(self.paths)
        lines = [f"{n} of {total} clips could not be used (the other clips' features were "
                 "computed and cached):"]
        for path, why in list(self.errors.items())[:MAX_LISTED]:
            lines.append(f"  - {why}" if why.startswith(path) else f"  - {path}: {why}")
        if n > MAX_LISTED:
            lines.append(f"  ... and {n - MAX_LISTED} more.")
        lines.append(advice)
        return "\n".join(lines)


def _as_paths(clips) -> list[str]:
    if hasattr(clips, "columns"):  # a pandas DataFrame
        if "path" not in clips.columns:
            raise ValueError("the clip table needs a 'path' column (as serlib.datasets.load_corpus gives).")
        clips = clips["path"].tolist()
    elif isinstance(clips, (str, os.PathLike)):
        clips = [clips]
    return [str(p) for p in clips]


def extract_report(clips, kind: str = "seed180", cfg: FeatureConfig | None = None,
                   n_jobs: int | None = None, progress: bool = True,
                   cache: bool = True) -> ExtractResult:
    """Like :func:`extract`, but never raises for bad clips: returns an :class:`ExtractResult`.

    Notebook: 06_mlp_grid_search.ipynb
    """
    if kind not in FEATURE_KINDS:
        raise ValueError(f"unknown feature kind {kind!r}; choose one of {sorted(FEATURE_KINDS)}.")
    cfg = cfg or FeatureConfig()
    paths = _as_paths(clips)
    shape = feature_shape(kind, cfg)
    X = np.full((len(paths),) + shape, np.nan, dtype=np.float32)
    ok = np.zeros(len(paths), dtype=bool)
    errors: dict[str, str] = {}
    result = ExtractResult(X, ok, paths, errors)
    if not paths:
        return result

    folder = cache_folder(kind, cfg) if cache else None
    memo = _HashMemo(cache_root()) if cache else None
    todo: list[tuple[int, str, str | None]] = []
    stats: dict[int, tuple[str, os.stat_result]] = {}
    for row, path in enumerate(paths):
        abspath = os.path.abspath(path)
        try:
            st = os.stat(abspath)
        except OSError:
            todo.append((row, path, None))  # the worker reports it (missing, unreadable)
            continue
        digest = None
        if memo is not None:
            stats[row] = (abspath, st)
            digest = memo.get(abspath, st)
            if digest is not None:
                x = _read_cached(_cache_file(folder, digest), shape)
                if x is not None:
                    X[row], ok[row] = x, True
                    result.cached += 1
                    continue
        todo.append((row, path, digest))

    if todo:
        from tqdm import tqdm

        jobs = default_jobs() if n_jobs is None or n_jobs <= 0 else int(n_jobs)
        jobs = min(jobs, max(1, len(todo) // 4))
        bar = tqdm(total=len(paths), initial=len(paths) - len(todo), disable=not progress,
                   desc=f"features ({kind})", unit="clip", leave=False)

        def collect(chunk_out):
            fresh: list[tuple[str, os.stat_result, str]] = []
            for row, digest, x, err, cached in chunk_out:
                if x is None:
                    errors[paths[row]] = err
                else:
                    X[row], ok[row] = x, True
                    result.cached += cached
                    if memo is not None and digest and row in stats:
                        fresh.append((*stats[row], digest))
                bar.update(1)
            if memo is not None:
                memo.put(fresh)  # chunk by chunk, so an interrupted run's work is found again

        folder_s = str(folder) if folder else None
        try:
            if jobs == 1 or len(todo) < MIN_PARALLEL:
                for i in range(0, len(todo), CHUNK_SIZE):
                    collect(_work(todo[i:i + CHUNK_SIZE], kind, cfg, folder_s, shape))
            else:
                from concurrent.futures import ProcessPoolExecutor, as_completed

                size = max(1, min(CHUNK_SIZE, len(todo) // (jobs * 4) or 1))
                chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
                ctx = _mp_context()
                # numba's disk cache filled here, serially: workers compiling the same
                # librosa function at once can damage it (serlib.warmup says how)
                warmup.warm_up()
                if ctx.get_start_method() == "fork":
                    _warm_up(kind, cfg)  # import librosa & co. once, before forking
                pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker)
                futures = [pool.submit(_work, c, kind, cfg, folder_s, shape) for c in chunks]
                done = set()
                try:
                    for fut in as_completed(futures):
                        done.add(fut)
                        collect(fut.result())
                except BrokenProcessPool as err:
                    raise broken_pool_error(jobs) from err
                except KeyboardInterrupt:
                    # Ctrl-C: drop the chunks not started, let the running ones finish (their
                    # clips go to the cache) and remember them, then stop
                    pool.shutdown(wait=True, cancel_futures=True)
                    for fut in futures:
                        if fut not in done and fut.done() and not fut.cancelled() and fut.exception() is None:
                            collect(fut.result())
                    raise
                finally:
                    pool.shutdown(wait=True)
        finally:
            bar.close()
    return result


def extract(clips, kind: str = "seed180", cfg: FeatureConfig | None = None,
            n_jobs: int | None = None, progress: bool = True, cache: bool = True,
            on_error: str = "raise") -> np.ndarray:
    """Features of many clips as one ``float32`` array, rows in input order.

    ``clips``: a DataFrame with a ``path`` column (as :func:`serlib.datasets.load_corpus`
    returns) or a list of paths. ``kind``: a name in
    :data:`serlib.features.FEATURE_KINDS` (``"seed180"``, ``"stats"``, ``"mfcc40"``,
    ``"logmel"``, ``"mfcc_seq"``). ``n_jobs``: worker processes (None: every core; 1:
    this process only). ``progress``: show a tqdm bar. ``cache``: read and write the
    on-disk cache (see the module docstring for how it is keyed).

    ``on_error`` decides what happens when clips cannot be read, after all the others
    are done: ``"raise"`` (default) raises one :class:`AudioError` listing every failed
    file and why; ``"nan"`` returns NaN rows for them; ``"skip"`` leaves them out (then
    use :func:`extract_report` to know which rows remain).

    Notebook: 06_mlp_grid_search.ipynb
    """
    if on_error not in ("raise", "nan", "skip"):
        raise ValueError(f"on_error must be 'raise', 'nan' or 'skip', not {on_error!r}.")
    res = extract_report(clips, kind=kind, cfg=cfg, n_jobs=n_jobs, progress=progress, cache=cache)
    if res.errors:
        if on_error == "raise":
            raise AudioError(res.error_message())
        warnings.warn(res.error_message(), stacklevel=2)
        if on_error == "skip":
            return res.X[res.ok]
    return res.X


def extract_inputs(clips, feature_kind: str, progress: bool = False):
    """The input a model eats: :func:`extract` of one kind, or a tuple for ``"a+b"`` kinds.

    ``feature_kind`` is a model's (``spec.feature_kind``): ``"stats"`` gives one
    ``(n_clips, 234)`` array, ``"logmel+mfcc_seq"`` a tuple of two arrays, one per model
    input. Also ``serlib.evaluation.protocol.features_for``.

    Notebook: 06_mlp_grid_search.ipynb
    """
    from serlib.features import kind_parts

    kinds = kind_parts(feature_kind)
    arrays = tuple(extract(clips, kind, progress=progress) for kind in kinds)
    return arrays[0] if len(arrays) == 1 else arrays
