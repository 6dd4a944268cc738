"""Compile librosa's numba code once, in one process, before anything runs in parallel.

librosa speeds up some of its functions with numba and keeps the compiled machine code on
disk (``cache=True``, in ``__pycache__`` folders inside the installed librosa). The first
process to use such a function compiles it (seconds) and writes the cache; later
processes load it (milliseconds). Two processes that compile the SAME function at the
same moment can leave a mix of their two files in the cache: numba writes a
``@guvectorize`` function and its wrapper as two separate files, so the cache can end
up holding one process's function beside another's wrapper, and every later process
that loads the pair crashes (segmentation fault) or hangs. This is numba issue 10128
(librosa issue 1998); numba's advice is to fill the cache serially, once, before
starting parallel work.

That is what this module does. :func:`warm_up` runs, in the calling process, every
librosa path that serlib, its notebooks and its tests reach, so the disk cache is
complete before a process pool, a second test worker, a notebook kernel or a
``serlib predict`` subprocess needs it. It is called

- by ``make install`` right after pip (``python -m serlib.warmup``), so a fresh
  installation compiles once (22-25 s on 2 cores) instead of at a user's first
  ``serlib predict``;
- by :mod:`serlib.extract` and the robust-recipe trainer before they start worker
  processes (once per process: about 2.5 s of loading when the cache is already
  there, nothing after that);
- by the test suite's ``conftest.py`` before pytest-xdist starts its workers.

It also starts the speech test's voice-activity detector once (:mod:`serlib.speech`;
about 0.1 s, no compiling), so that an installation whose detector cannot load says so
right after ``make install`` rather than at the first recording.

Run ``python -m serlib.warmup`` after installing librosa by other means (Colab, a
JupyterHub image). If a crash on import ever comes back, a damaged cache is the likely
cause: ``python -m serlib.warmup --clear`` deletes the cache files and compiles again.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

_DONE = False


def cache_files() -> list[Path]:
    """numba's cache files (``*.nbi`` index, ``*.nbc`` code) of librosa's functions: in
    the ``__pycache__`` folders of the installed librosa, or all of them under
    ``$NUMBA_CACHE_DIR`` when that variable moves numba's cache elsewhere."""
    import importlib.util

    moved = os.environ.get("NUMBA_CACHE_DIR")
    if moved:
        root, pattern = Path(moved), "**/*.nb[ic]"
    else:
        spec = importlib.util.find_spec("librosa")
        if spec is None or not spec.submodule_search_locations:
            return []
        root, pattern = Path(list(spec.submodule_search_locations)[0]), "**/__pycache__/*.nb[ic]"
    return sorted(root.glob(pattern)) if root.is_dir() else []


def clear_cache() -> int:
    """Delete librosa's numba cache files; returns how many were deleted."""
    n = 0
    for path in cache_files():
        try:
            path.unlink()
            n += 1
        except FileNotFoundError:  # another process removed it first
            pass
    return n


def _exercise() -> None:
    """Call every numba-compiled librosa path serlib reaches, in float32 and float64."""
    import librosa  # its @guvectorize functions compile (or load) at import

    from serlib import audio, features
    from serlib.config import SAMPLE_RATE as sr
    from serlib.speech import check_speech, speech_part

    tone = audio.tone(220.0, 1.0, sr=sr)
    # a syllable between two silences, so trimming and the speech test (its level part and
    # the voice-activity detector) have work to do
    clip = np.concatenate([np.zeros(sr // 2), tone, np.zeros(sr // 2)]).astype(np.float32)
    for y in (clip, clip.astype(np.float64)):
        for kind in features.FEATURE_KINDS:
            features.compute(y, kind)
        speech_part(y)
        check_speech(y)
        librosa.effects.trim(y, top_db=30)
        librosa.yin(y, fmin=65.0, fmax=500.0, sr=sr)
        S = np.abs(librosa.stft(y, n_fft=512))
        librosa.estimate_tuning(S=S, sr=sr, n_fft=512)
        librosa.feature.chroma_stft(S=S, sr=sr, n_fft=512)
        mel = librosa.feature.melspectrogram(y=y, sr=sr)
        librosa.feature.delta(librosa.feature.mfcc(S=librosa.power_to_db(mel), sr=sr))
        librosa.feature.rms(y=y)
        librosa.feature.zero_crossing_rate(y)
        librosa.feature.spectral_centroid(y=y, sr=sr)
        librosa.feature.spectral_flatness(y=y)
        librosa.effects.time_stretch(y, rate=1.1)
        librosa.effects.pitch_shift(y, sr=sr, n_steps=1)
    librosa.hz_to_note([220.0, 440.0])
    librosa.note_to_hz(["A3", "C4"])


def warm_up(*, force: bool = False) -> float:
    """Fill librosa's numba cache in this process (once per process unless ``force``).

    Returns the seconds it took: 22-25 s the first time after installing librosa on
    2 cores, about 2.5 s in a new process once the cache is there.
    """
    global _DONE
    if _DONE and not force:
        return 0.0
    start = time.perf_counter()
    _exercise()
    _DONE = True
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m serlib.warmup",
        description="Compile librosa's numba code once, serially, so that parallel work "
                    "(feature workers, test workers, notebook kernels) never compiles it at "
                    "the same time (that race can leave a damaged cache: numba issue 10128).")
    parser.add_argument("--clear", action="store_true",
                        help="delete librosa's numba cache first (after a crash on import)")
    args = parser.parse_args(argv)
    if args.clear:
        print(f"serlib warmup: deleted {clear_cache()} numba cache files of librosa")
    before = len(cache_files())
    seconds = warm_up()
    after = len(cache_files())
    print(f"serlib warmup: librosa's numba cache holds {after} files ({after - before} new), "
          f"{seconds:.1f} s")
    from serlib.speech import load_detector

    print(f"serlib warmup: voice-activity detector {load_detector()} ready")
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through `python -m`
    sys.exit(main())
