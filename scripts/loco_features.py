#!/usr/bin/env python
"""Leave one corpus out: do the voice parameters carry to a corpus never trained on?

The protocol of issue 18 (and of the eGeMAPS reference it quotes):

* the demo's four emotions (neutral, happy, sad, angry) of RAVDESS (speech), TESS and
  EMO-DB;
* every clip z-normalised with the statistics of all clips of its own speaker
  (:func:`serlib.evaluation.splits.speaker_normalize`; no labels needed);
* train on two corpora, score unweighted average recall (UAR) on the third;
* two fixed classifiers, no model selection: standardised logistic regression (C = 0.1)
  and an RBF support vector machine (C = 1, gamma "scale");
* feature sets ``stats`` (234), ``voice`` (89, :mod:`serlib.voice`) and ``stats+voice``.

It also scores every voice parameter alone (logistic regression on that one value, same
protocol) and how well its emotion profile agrees between corpora (the per-corpus means
per emotion after speaker normalisation, correlated between each pair of corpora), the
evidence behind "where and why" in the note. With ``--egemaps`` (openSMILE importable,
e.g. from ``--opensmile-path``) the eGeMAPSv02 functionals are scored the same way.

Writes ``results/voice/loco.json`` and prints the table::

    SERLIB_DATA=/path/to/corpora python scripts/loco_features.py

Notebook: 05_voice.ipynb
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OUT = Path(__file__).resolve().parents[1] / "results" / "voice" / "loco.json"
CORPORA = ("ravdess", "tess", "emodb")
EMOTIONS = ("neutral", "happy", "sad", "angry")
#: The eGeMAPS reference quoted in issue 18 (openSMILE 2.6, eGeMAPSv02 functionals, same
#: protocol), UAR in % for -> RAVDESS, -> TESS, -> EMO-DB.
REFERENCE = {"egemaps (issue 18)": {"logreg": [57.0, 65.3, 46.5], "svm": [55.3, 69.3, 56.7]},
             "stats (issue 18)": {"logreg": [47.0, 57.1, 41.2]}}


def classifiers():
    """The two fixed classifiers of the protocol, by name."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    return {"logreg": lambda: make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000)),
            "svm": lambda: make_pipeline(StandardScaler(), SVC(C=1.0, gamma="scale"))}


def load_table(data_root=None):
    """The four emotions of the three corpora, one table (path, corpus, speaker, emotion)."""
    import pandas as pd

    from serlib.datasets import load_corpus

    table = pd.concat([load_corpus(c, data_root).assign(corpus=c) for c in CORPORA],
                      ignore_index=True)
    return table[table["emotion"].isin(EMOTIONS)].reset_index(drop=True)


def loco(X, y, corpus, build) -> dict[str, float]:
    """UAR (%) on each corpus left out, training on the other two."""
    from sklearn.metrics import balanced_accuracy_score

    out = {}
    for c in CORPORA:
        test = corpus == c
        model = build()
        model.fit(X[~test], y[~test])
        out[c] = round(100 * balanced_accuracy_score(y[test], model.predict(X[test])), 1)
    out["mean"] = round(float(np.mean([out[c] for c in CORPORA])), 1)
    return out


def profile_agreement(Z, y, corpus) -> np.ndarray:
    """Per feature: mean over corpus pairs of the correlation of the per-emotion means."""
    means = {c: np.stack([Z[(corpus == c) & (y == e)].mean(axis=0) for e in EMOTIONS])
             for c in CORPORA}
    pairs = [(a, b) for i, a in enumerate(CORPORA) for b in CORPORA[i + 1:]]
    out = np.zeros(Z.shape[1])
    for a, b in pairs:
        A, B = means[a] - means[a].mean(0), means[b] - means[b].mean(0)
        den = np.sqrt((A ** 2).sum(0) * (B ** 2).sum(0))
        out += np.where(den > 1e-12, (A * B).sum(0) / np.where(den > 0, den, 1), 0.0)
    return out / len(pairs)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-root", default=None)
    p.add_argument("--out", default=str(OUT))
    p.add_argument("--jobs", type=int, default=None)
    p.add_argument("--egemaps", action="store_true",
                   help="also score openSMILE's eGeMAPSv02 functionals (openSMILE must be importable)")
    p.add_argument("--opensmile-path", default=None,
                   help="a folder holding openSMILE's Python package (appended to sys.path)")
    p.add_argument("--no-parameters", action="store_true", help="skip the one-parameter scores")
    args = p.parse_args(argv)

    from serlib.evaluation.splits import speaker_normalize
    from serlib.extract import extract
    from serlib.features import feature_names

    t0 = time.perf_counter()
    table = load_table(args.data_root)
    print(f"{len(table)} clips of {', '.join(CORPORA)}; features (stats+voice) ...", flush=True)
    both = np.asarray(extract(table, kind="stats+voice", n_jobs=args.jobs), dtype=np.float64)
    n_stats = len(feature_names("stats"))
    sets = {"stats": both[:, :n_stats], "voice": both[:, n_stats:], "stats+voice": both}
    if args.egemaps:
        if args.opensmile_path:
            sys.path.append(args.opensmile_path)
        from probe_voice_egemaps import egemaps_matrix  # noqa: E402 - scripts/ is on sys.path

        E, enames = egemaps_matrix(table["path"].astype(str).tolist())
        sets["egemaps"] = np.nan_to_num(E)
    groups = (table["speaker"].astype(str) + "@" + table["corpus"]).to_numpy()
    y = table["emotion"].astype(str).to_numpy()
    corpus = table["corpus"].to_numpy()
    results: dict = {}
    builders = classifiers()
    print(f"\n{'features':<13} {'model':<7} " + " ".join(f"{'→ ' + c:>10}" for c in CORPORA)
          + f" {'mean':>6}")
    for name, X in sets.items():
        Z = speaker_normalize(X, groups)
        for model, build in builders.items():
            r = loco(Z, y, corpus, build)
            results.setdefault(name, {})[model] = r
            print(f"{name:<13} {model:<7} " + " ".join(f"{r[c]:>10.1f}" for c in CORPORA)
                  + f" {r['mean']:>6.1f}", flush=True)
    per_param = {}
    if not args.no_parameters:
        Zv = speaker_normalize(sets["voice"], groups)
        agree = profile_agreement(Zv, y, corpus)
        for j, nm in enumerate(feature_names("voice")):
            r = loco(Zv[:, [j]], y, corpus, builders["logreg"])
            means = {c: {e: round(float(Zv[(corpus == c) & (y == e), j].mean()), 2) for e in EMOTIONS}
                     for c in CORPORA}
            per_param[nm] = {"uar_logreg": r, "profile_agreement": round(float(agree[j]), 2),
                             "means_znorm": means}
        if "egemaps" in sets:
            # each counterpart alone, the same way: where does a voice parameter fall short?
            from probe_voice_egemaps import COUNTERPARTS

            Ze = speaker_normalize(sets["egemaps"], groups)
            for nm, theirs in COUNTERPARTS.items():
                r = loco(Ze[:, [enames.index(theirs)]], y, corpus, builders["logreg"])
                per_param[nm]["egemaps"] = {"name": theirs, "uar_logreg": r}
        ranked = sorted(per_param, key=lambda k: -per_param[k]["uar_logreg"]["mean"])
        if "egemaps" in sets:
            gaps = sorted((per_param[k]["uar_logreg"]["mean"] - per_param[k]["egemaps"]["uar_logreg"]["mean"], k)
                          for k in per_param if "egemaps" in per_param[k])
            print("\nvoice parameters furthest below their eGeMAPS counterpart (alone, logreg, "
                  "LOCO mean UAR):")
            for gap, k in gaps[:12]:
                print(f"  {k:<28} {per_param[k]['uar_logreg']['mean']:5.1f} vs "
                      f"{per_param[k]['egemaps']['uar_logreg']['mean']:5.1f} "
                      f"({per_param[k]['egemaps']['name']})")
        print("\nbest single voice parameters (logreg, LOCO mean UAR; emotion-profile agreement "
              "between corpora):")
        for nm in ranked[:15]:
            print(f"  {nm:<28} {per_param[nm]['uar_logreg']['mean']:5.1f}  "
                  f"{per_param[nm]['profile_agreement']:+.2f}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "protocol": "4 emotions (neutral, happy, sad, angry); train on two of RAVDESS, TESS, "
                    "EMO-DB, UAR (%) on the third; every speaker z-normalised with all of their "
                    "own clips; StandardScaler + LogisticRegression(C=0.1) and "
                    "StandardScaler + SVC(C=1, gamma='scale'); no model selection",
        "n_clips": int(len(y)), "counts": {c: int((corpus == c).sum()) for c in CORPORA},
        "results": results, "reference": REFERENCE, "per_parameter": per_param,
        "seconds": round(time.perf_counter() - t0, 1),
        "command": "python scripts/loco_features.py" + (" --egemaps" if args.egemaps else "")},
        indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
