#!/usr/bin/env python
"""Do the shipped recipe's percentages mean what they say on voices it never heard?

The recipe of the shipped model (:mod:`serlib.models.robust`, the demo's four emotions)
is trained on each fold's training speakers exactly as the new-voice benchmark does
(``scripts/benchmark_new_voice.py``: same tables, features, folds and adaptation takes),
and its temperature is fitted *inside* each fold on out-of-fold verdicts of those
training speakers (:func:`serlib.models.robust.fit_calibration`, as ``serlib train
--recipe robust`` does for the shipped model). The test speakers are then judged with and
without the temperature. Protocols:

* ``ravdess4``: RAVDESS unseen actors, the 6 gender-balanced speaker folds; training =
  the other RAVDESS actors plus all of TESS and EMO-DB.
* ``loco``: leave one corpus out (RAVDESS, TESS, EMO-DB in turn): train on the two other
  corpora, test on the held-out one.

Every test clip first goes through the speech test (:func:`serlib.speech.check_speech`) as
in the demo: a clip it refuses is kept with ``heard=False`` and empty probabilities, and
counts as a miss in accuracy and UAR; calibration (ECE, NLL) is measured on the verdicts
that were shown, i.e. the heard clips. Each clip is judged without adaptation (``takes``
0: the demo's first verdict) and against 8 other takes of the same speaker (``takes`` 8,
the adapted verdict of a session's 9th picture), one CSV row each.

    python scripts/benchmark_calibration.py --data-root DATA_ROOT          # both protocols
    python scripts/benchmark_calibration.py --protocols ravdess4            # one

Writes ``results/calibration/unseen.csv`` (one row per judged test clip and number of
takes: protocol, fold, corpus, speaker, gender, emotion, takes, heard, ``p_<emotion>``
uncalibrated, ``cal_<emotion>`` calibrated, temperature) and
``results/calibration/summary.json`` (per protocol and number of takes: the folds'
temperatures, n, accuracy, UAR, ECE and NLL before and after). ``--table`` prints the
summary table again from the saved files.

Reference: Guo et al. (2017), On Calibration of Modern Neural Networks, ICML.
Notebook: 09_claims.ipynb
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import benchmark_new_voice as nv  # noqa: E402

from serlib import calibration as cal  # noqa: E402
from serlib.datasets.vocabulary import EMOTIONS  # noqa: E402
from serlib.evaluation import metrics  # noqa: E402
from serlib.models import robust  # noqa: E402

OUT = ROOT / "results" / "calibration"
PROTOCOLS = {"ravdess4": ("ravdess4",), "loco": ("loco-ravdess", "loco-tess", "loco-emodb")}
DESCRIPTION = {"ravdess4": "RAVDESS unseen actors, 6 gender-balanced speaker folds; training: "
                           "the other RAVDESS actors + TESS + EMO-DB",
               "loco": "leave one corpus out (RAVDESS, TESS, EMO-DB in turn): train on the "
                       "two other corpora, test the held-out one"}
#: Adaptation takes the test clips are judged with (0: the demo's first verdict; 8: the
#: adapted verdict of a session's 9th picture).
TAKES = (0, 8)
N_BINS = 10


def speech_heard(table) -> np.ndarray:
    """The demo's speech test on every clip of ``table`` (True: heard, judged)."""
    from serlib import audio
    from serlib.speech import check_speech

    return np.array([check_speech(audio.load(p)).heard for p in table["path"]], dtype=bool)


def run_fold(table, feats, train, test, seed: int, fold_seed: int):
    """Fit the recipe and its temperature on ``train``; probabilities of ``test`` per
    number of takes (columns: ``labels``), uncalibrated. Returns ``(T, {takes: P}, info)``."""
    labels = [e for e in EMOTIONS if e in set(table["emotion"])]
    Xtr, ytr, gtr = robust.training_rows(table, feats, train)
    model, prior = robust.fit_robust(Xtr, ytr, gtr, seed=seed)
    calib = robust.fit_calibration(table, feats, train, alpha=model.selection_["alpha"],
                                   seed=seed)
    cols = robust._columns(model, labels)
    judged = robust.judge_takes(model, prior, feats["clean"][test].astype(np.float64),
                                nv.speaker_ids(table)[test], takes=TAKES, seed=fold_seed)
    out = {}
    for n, Q in judged.items():
        full = np.where(cols >= 0, Q[:, np.maximum(cols, 0)], 0.0)
        out[n] = full / full.sum(axis=1, keepdims=True)
    return calib["temperature"], out, {"alpha": model.selection_["alpha"], **calib}


def figures(y, heard, P, C, labels) -> dict:
    """n, accuracy and UAR (a refused clip is a miss), ECE and NLL before/after (heard)."""
    pred = np.where(heard, np.asarray(labels)[np.argmax(np.nan_to_num(P), axis=1)], "(refused)")
    s = metrics.scores(y, pred, labels)
    h = heard
    idx = np.array([labels.index(e) for e in y[h]])

    def nll(Q):
        return float(-np.log(np.clip(Q[np.arange(len(idx)), idx], 1e-12, None)).mean())

    return {"n": int(len(y)), "heard": int(h.sum()),
            "accuracy": round(100 * s["accuracy"], 1), "uar": round(100 * s["uar"], 1),
            "ece_before": round(100 * cal.expected_calibration_error(P[h], y[h], N_BINS,
                                                                     classes=labels), 1),
            "ece_after": round(100 * cal.expected_calibration_error(C[h], y[h], N_BINS,
                                                                    classes=labels), 1),
            "nll_before": round(nll(P[h]), 3), "nll_after": round(nll(C[h]), 3),
            "mean_confidence_before": round(100 * float(P[h].max(axis=1).mean()), 1),
            "mean_confidence_after": round(100 * float(C[h].max(axis=1).mean()), 1)}


def run_protocol(name, table, feats, heard, args):
    import pandas as pd

    labels = [e for e in EMOTIONS if e in set(table["emotion"])]
    rows, temps, infos = [], {}, {}
    t0 = time.perf_counter()
    for row in PROTOCOLS[name]:
        for k, (train, test) in enumerate(nv.row_folds(row, table, args.seed)):
            fold = row if name == "loco" else f"{row}/{k}"
            T, probas, info = run_fold(table, feats, train, test, args.seed,
                                       args.seed + 1000 * k)
            temps[fold], infos[fold] = T, info
            for n, P in probas.items():
                C = cal.apply_temperature(P, T)
                h = heard[test]
                part = table.iloc[test][["corpus", "speaker", "gender", "emotion"]].copy()
                part.insert(1, "clip", np.asarray(clip_names(table))[test])
                part.insert(0, "fold", fold)
                part.insert(0, "protocol", name)
                part["takes"] = n
                part["heard"] = h
                for j, e in enumerate(labels):
                    part[f"p_{e}"] = np.round(P[:, j], 5)
                for j, e in enumerate(labels):
                    part[f"cal_{e}"] = np.round(C[:, j], 5)
                part["temperature"] = T
                rows.append(part)
            print(f"  {name}: fold {fold} done, T = {T:.3f} "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
    frame = pd.concat(rows, ignore_index=True)
    return frame, summarise(name, frame, temps, infos, time.perf_counter() - t0)


def summarise(name, frame, temps, infos, seconds) -> dict:
    """The summary of one protocol from its rows of ``unseen.csv``."""
    labels = [c[2:] for c in frame.columns if c.startswith("p_")]
    summary = {"description": DESCRIPTION[name], "labels": labels,
               "temperature": temps,
               "temperature_mean": round(float(np.mean(list(temps.values()))), 3),
               "folds": {f: {k: v for k, v in i.items() if k != "temperature"}
                         for f, i in infos.items()},
               "by_takes": {}, "seconds": round(seconds, 1)}
    for n in TAKES:
        sub = frame[frame["takes"] == n]
        P = sub[[f"p_{e}" for e in labels]].to_numpy()
        C = sub[[f"cal_{e}" for e in labels]].to_numpy()
        summary["by_takes"][str(n)] = figures(sub["emotion"].to_numpy(),
                                              sub["heard"].to_numpy(bool), P, C, labels)
    return summary


def rescore_speech(out: Path, data_root) -> int:
    """Only the speech test again (after it changed): the saved probabilities stay (the
    fits do not depend on the speech test), ``heard`` and the summary are recomputed."""
    import pandas as pd

    summary = json.loads((out / "summary.json").read_text())
    frame = pd.read_csv(out / "unseen.csv")
    table = nv.load_tables(data_root, robust.DEMO_EMOTIONS)
    heard = dict(zip(zip(table["corpus"].astype(str), clip_names(table)), speech_heard(table)))
    frame["heard"] = [heard[(c, n)] for c, n in zip(frame["corpus"].astype(str), frame["clip"])]
    for name, s in summary["protocols"].items():
        summary["protocols"][name] = summarise(
            name, frame[frame["protocol"] == name], s["temperature"],
            {f: {**i, "temperature": s["temperature"][f]} for f, i in s["folds"].items()},
            s["seconds"])
    summary["speech_test_rescored"] = True
    frame.to_csv(out / "unseen.csv", index=False)
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(table_text(summary), flush=True)
    return 0


def clip_names(table) -> list[str]:
    """The file name of each clip (unique within a corpus; no machine's paths)."""
    return [Path(p).name for p in table["path"].astype(str)]


def table_text(summary: dict) -> str:
    """Markdown: one line per protocol and number of takes."""
    lines = ["| protocol | takes | T (folds) | n (heard) | accuracy / UAR | ECE before → after "
             "| mean confidence before → after |", "|---|---|---|---|---|---|---|"]
    for name, s in summary["protocols"].items():
        Ts = list(s["temperature"].values())
        for n, f in s["by_takes"].items():
            lines.append(f"| {name} | {n} | {min(Ts):.2f}–{max(Ts):.2f} | {f['n']} ({f['heard']}) "
                         f"| {f['accuracy']:.1f} / {f['uar']:.1f} | {f['ece_before']:.1f} → "
                         f"{f['ece_after']:.1f} % | {f['mean_confidence_before']:.1f} → "
                         f"{f['mean_confidence_after']:.1f} % |")
    return "\n".join(lines)


def main(argv=None) -> int:
    import pandas as pd

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-root", default=None)
    p.add_argument("--protocols", default=",".join(PROTOCOLS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(OUT))
    p.add_argument("--table", action="store_true",
                   help="only print the table of the summary saved in --out")
    p.add_argument("--rescore-speech", action="store_true",
                   help="only run the speech test again and recompute heard and the summary "
                        "from the saved probabilities (after a change of the speech test)")
    args = p.parse_args(argv)
    out = Path(args.out)
    if args.table:
        print(table_text(json.loads((out / "summary.json").read_text())))
        return 0
    if args.rescore_speech:
        return rescore_speech(out, args.data_root)
    names = [n for n in args.protocols.split(",") if n]
    unknown = sorted(set(names) - set(PROTOCOLS))
    if unknown:
        p.error(f"unknown protocol(s) {', '.join(unknown)}; choose from {', '.join(PROTOCOLS)}")
    table = nv.load_tables(args.data_root, robust.DEMO_EMOTIONS)
    print(f"{len(table)} clips; features ...", flush=True)
    babble = robust.babble_for(table, seed=args.seed)
    feats = robust.corpus_features(table, copies=robust.COPIES, seed=args.seed,
                                   babble=babble, progress=True)
    t0 = time.perf_counter()
    heard = speech_heard(table)
    print(f"speech test: {heard.sum()} of {len(heard)} clips heard "
          f"({time.perf_counter() - t0:.0f} s)", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    frames, summary = [], {"protocols": {}}
    old = out / "summary.json"
    if old.is_file() and set(names) != set(PROTOCOLS):  # keep the other protocols' results
        summary = json.loads(old.read_text())
        prev = pd.read_csv(out / "unseen.csv")
        frames.append(prev[~prev["protocol"].isin(names)])
    for name in names:
        frame, s = run_protocol(name, table, feats, heard, args)
        frames.append(frame)
        summary["protocols"][name] = s
    summary.update(n_bins=N_BINS, takes=list(TAKES), seed=args.seed,
                   calibration_folds=robust.CALIBRATION_FOLDS,
                   calibration_takes=list(robust.CALIBRATION_TAKES),
                   command="python scripts/benchmark_calibration.py --data-root DATA_ROOT")
    summary["protocols"] = {k: summary["protocols"][k] for k in PROTOCOLS
                            if k in summary["protocols"]}
    frame = pd.concat(frames, ignore_index=True)
    frame.to_csv(out / "unseen.csv", index=False)
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    print(table_text(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
