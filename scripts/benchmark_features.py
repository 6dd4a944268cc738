#!/usr/bin/env python
"""Benchmark: feature kinds for a whole corpus, serlib against the seed's loop.

Runs over the same clips (the full RAVDESS speech set by default, 1440 clips), for each
``--kind`` (default ``seed180``; e.g. ``--kind seed180 --kind stats+voice``):

1. ``serlib cold``  - ``serlib.extract.extract(kind=KIND)`` with an empty cache
   (a fresh temporary ``XDG_CACHE_HOME``), ``--jobs`` worker processes;
2. ``serlib cached`` - the same call again, now answered from the cache;

and once:

3. ``seed loop``    - the seed's way: per clip read with soundfile, then
   ``librosa.feature.mfcc``, ``chroma_stft`` on a fresh ``|librosa.stft|`` and
   ``melspectrogram`` (librosa's default parameters at 16 kHz), over the same number of
   processes (each limited to one BLAS thread, like serlib's workers).

For each it prints wall-clock seconds, CPU seconds of this process and of its workers,
and from them an estimate of the wall time on an otherwise idle machine (this process'
CPU + the workers' CPU / jobs; on a shared machine the CPU columns are the steadier
ones) and the peak memory of the whole
process tree (sampled every 100 ms with psutil; an upper bound, since pages that forked
workers share with this process are counted in each; ``ru_maxrss`` of this process and
of the largest worker as a cross-check).

Usage::

    python scripts/benchmark_features.py [--data-root DIR] [--jobs 2] [--limit N] [--no-seed]
                                         [--kind KIND ...]

The data root defaults to ``$SERLIB_DATA`` (then the repo's ``data/``) and must hold
``ravdess/Actor_*/``.

Notebook: 06_mlp_grid_search.ipynb (timings quoted there), 05_voice.ipynb (stats+voice)
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from serlib import config  # noqa: E402


def _seed_style(path: str):
    """The seed's per-clip feature code, rewritten: three librosa calls plus one STFT."""
    import librosa
    import numpy as np
    import soundfile as sf

    with sf.SoundFile(path) as fh:
        X = fh.read(dtype="float32")
        sr = fh.samplerate
    if X.ndim > 1:
        X = X.mean(axis=1)
    mfccs = np.mean(librosa.feature.mfcc(y=X, sr=sr, n_mfcc=40).T, axis=0)
    stft = np.abs(librosa.stft(X))
    chroma = np.mean(librosa.feature.chroma_stft(S=stft, sr=sr).T, axis=0)
    mel = np.mean(librosa.feature.melspectrogram(y=X, sr=sr).T, axis=0)
    return np.hstack([mfccs, chroma, mel])


def _seed_chunk(paths):
    return [_seed_style(p) for p in paths]


class PeakMemory:
    """Samples the summed RSS of this process and its children every 100 ms."""

    def __init__(self):
        self.peak = float("nan")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        try:
            import psutil
        except ImportError:  # then only ru_maxrss is reported
            self.proc = None
            return
        self.proc = psutil.Process()
        self.peak = 0

    def _run(self):
        import psutil

        while not self._stop.is_set():
            total = 0
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                for p in procs:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            self.peak = max(self.peak, total)
            self._stop.wait(0.1)

    def __enter__(self):
        if self.proc is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def _cpu() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, ch.ru_utime + ch.ru_stime


def timed(name, fn, rows, jobs):
    (me0, ch0), t0 = _cpu(), time.perf_counter()
    with PeakMemory() as mem:
        out = fn()
    wall = time.perf_counter() - t0
    me1, ch1 = _cpu()
    main, workers = me1 - me0, ch1 - ch0
    # what the wall time would be with the cores to itself: this process' own work plus
    # the workers' work shared over `jobs` cores
    rows.append((name, wall, main, workers, main + workers / jobs, mem.peak / 2**20))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-root", default=None, help="folder holding ravdess/ (default: $SERLIB_DATA)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--limit", type=int, default=None, help="use only the first N clips")
    ap.add_argument("--no-seed", action="store_true", help="skip the (slow) seed-style loop")
    ap.add_argument("--kind", action="append", default=None,
                    help="feature kind to time (repeat for several; default seed180)")
    args = ap.parse_args(argv)

    root = config.data_root(args.data_root)
    paths = sorted(str(p) for p in (root / "ravdess").glob("Actor_*/*.*")
                   if p.suffix.lower() in (".wav", ".flac"))
    if not paths:
        print(f"no RAVDESS clips under {root / 'ravdess'}; pass --data-root", file=sys.stderr)
        return 2
    paths = paths[: args.limit] if args.limit else paths
    import numpy as np
    import soundfile as sf

    minutes = sum(sf.info(p).duration for p in paths) / 60
    print(f"{len(paths)} clips, {minutes:.1f} min of audio, {args.jobs} processes, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")

    rows: list[tuple] = []
    with tempfile.TemporaryDirectory(prefix="serlib-bench-cache-") as cache:
        os.environ["XDG_CACHE_HOME"] = cache
        from serlib.extract import extract
        from serlib.features import feature_shape

        for kind in args.kind or ["seed180"]:
            X = timed(f"serlib {kind}, cold cache", lambda: extract(
                paths, kind=kind, n_jobs=args.jobs, progress=False), rows, args.jobs)
            X2 = timed(f"serlib {kind}, from cache", lambda: extract(
                paths, kind=kind, n_jobs=args.jobs, progress=False), rows, args.jobs)
            assert X.shape == (len(paths),) + feature_shape(kind) and np.array_equal(X, X2)
    if not args.no_seed:
        from concurrent.futures import ProcessPoolExecutor
        import multiprocessing as mp

        from serlib.extract import _init_worker

        _seed_style(paths[0])  # import librosa before forking, as serlib does

        def seed_loop():
            chunks = [paths[i:i + 24] for i in range(0, len(paths), 24)]
            with ProcessPoolExecutor(args.jobs, mp_context=mp.get_context("fork"),
                                     initializer=_init_worker) as pool:
                return [v for chunk in pool.map(_seed_chunk, chunks) for v in chunk]

        S = timed("seed loop (3 librosa calls/clip)", seed_loop, rows, args.jobs)
        assert len(S) == len(paths)

    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ch = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\n{'run':34s} {'wall s':>7s} {'CPU main':>9s} {'CPU workers':>12s} "
          f"{'idle-machine est. s':>20s} {'peak MB':>8s}")
    for name, wall, main, workers, ideal, peak in rows:
        print(f"{name:34s} {wall:7.2f} {main:9.2f} {workers:12.2f} {ideal:20.2f} {peak:8.0f}")
    print(f"\nru_maxrss: this process {me:.0f} MB, largest worker {ch:.0f} MB. "
          f"Load average now {os.getloadavg()[0]:.2f}.")
    print("Targets (2 cores, 1440 clips): seed180 cold <= 15 s, stats+voice cold <= 45 s, "
          "cached <= 2 s, peak <= 2048 MB.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
