#!/usr/bin/env python
"""Probe: do openSMILE's eGeMAPS features carry to new corpora better than serlib's ``stats``?

Not part of the shipped recipe, and its numbers are not in the README: this script is the
evidence for a proposed next step, kept so that the figures in the project's notes can be
reproduced. It needs openSMILE's Python package, which serlib does not install (its
licence, the audEERING Research License, allows teaching and research but not commercial
use - one reason it is a proposal and not a dependency)::

    pip install opensmile==2.6.0
    python scripts/probe_egemaps.py --data-root DATA_ROOT

eGeMAPS (Eyben et al., 2016) is a small set of 88 voice parameters (pitch, jitter, shimmer,
loudness, formants, spectral slope, their means and spreads) chosen by the
affective-computing community to travel across corpora. The probe compares, on the demo's
four emotions of RAVDESS, TESS and EMO-DB:

* feature sets ``stats`` (serlib's 234 values), ``egemaps`` (88) and both side by side;
* every clip z-normalised with the statistics of **all** its speaker's clips
  (``serlib.evaluation.splits.speaker_normalize``, the hindsight normalisation of notebook 06;
  the benchmark's "all (rescored)" column shrinks it towards the training voices);
* the shipped recipe's MLP, its L2 penalty chosen on speaker-grouped folds of the training
  clips only (``serlib.models.robust.fit_robust``), no channel augmentation;
* protocols: leave one corpus out (train on two, test the third) and RAVDESS's 6
  gender-balanced speaker folds (training: the other actors plus TESS and EMO-DB).

Nothing here chose the shipped model. If eGeMAPS is adopted because of these figures, say
so: the test corpora would then have chosen the feature set, and the fair way is to choose
it by leave-one-corpus-out *within* each benchmark row's training corpora.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from serlib.evaluation import metrics, splits  # noqa: E402
from serlib.models import robust  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "results" / "probes" / "egemaps.json"
CORPORA = ("ravdess", "tess", "emodb")


def egemaps_matrix(paths) -> np.ndarray:
    """eGeMAPS v02 functionals (88 values) of every file, cached beside serlib's features."""
    import hashlib

    import opensmile

    from serlib.audio import load
    from serlib.config import cache_dir

    key = hashlib.blake2b("\n".join(map(str, paths)).encode(), digest_size=10).hexdigest()
    cache = cache_dir() / "probes" / f"egemaps-{opensmile.__version__}-{key}.npy"
    if cache.is_file():
        return np.load(cache)
    smile = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                            feature_level=opensmile.FeatureLevel.Functionals)
    X = np.stack([smile.process_signal(load(p), 16000).to_numpy()[0] for p in paths])
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, X)
    return X


def main(argv=None) -> int:
    import pandas as pd

    from serlib.datasets import load_corpus
    from serlib.extract import extract

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-root", default=None)
    p.add_argument("--out", default=str(OUT))
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    table = pd.concat([load_corpus(c, args.data_root).assign(corpus=c) for c in CORPORA],
                      ignore_index=True)
    table = table[table["emotion"].isin(robust.DEMO_EMOTIONS)].reset_index(drop=True)
    print(f"{len(table)} clips; features ...", flush=True)
    stats = np.asarray(extract(table, kind="stats"), dtype=np.float64)
    ege = egemaps_matrix(table["path"].astype(str).tolist())
    groups = (table["speaker"].astype(str) + "@" + table["corpus"]).to_numpy()
    y = table["emotion"].to_numpy()
    corpus = table["corpus"].to_numpy()
    rav = np.flatnonzero(corpus == "ravdess")
    folds = {f"loco-{c}": [(np.flatnonzero(corpus != c), np.flatnonzero(corpus == c))]
             for c in CORPORA}
    folds["ravdess4"] = [
        (np.concatenate([np.flatnonzero(corpus != "ravdess"), rav[tr]]), rav[te])
        for tr, te in splits.speaker_folds(groups[rav], table["gender"].astype(str).to_numpy()[rav],
                                           k=6, seed=0)]
    sets = {"stats": stats, "egemaps": ege, "stats+egemaps": np.hstack([stats, ege])}
    results = {}
    for name, X in sets.items():
        Z = splits.speaker_normalize(X, groups)
        for row, row_folds in folds.items():
            pred = np.empty(len(y), dtype=object)
            tested = np.zeros(len(y), bool)
            for train, test in row_folds:
                model, _ = robust.fit_robust(Z[train], y[train], groups[train], adapt=False)
                pred[test] = model.predict(Z[test])
                tested[test] = True
            s = metrics.scores(y[tested], pred[tested].astype(str))
            results.setdefault(row, {})[name] = {"accuracy": round(100 * s["accuracy"], 1),
                                                 "uar": round(100 * s["uar"], 1)}
            print(f"{row:13s} {name:14s} accuracy {100 * s['accuracy']:5.1f}  "
                  f"UAR {100 * s['uar']:5.1f}", flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "protocol": "per-speaker z-normalisation with all of the speaker's clips; "
                    "leave-one-corpus-out and RAVDESS 6 speaker folds; 4 emotions",
        "n_clips": int(len(y)), "results": results,
        "seconds": round(time.perf_counter() - t0, 1),
        "command": "python scripts/probe_egemaps.py"}, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
