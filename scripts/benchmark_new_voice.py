#!/usr/bin/env python
"""A new voice through a new microphone: how the shipped recipe does where the demo lives.

Rows (speaker-independent throughout; the test speakers and corpora never choose anything):

* ``ravdess8`` / ``ravdess4``: RAVDESS unseen actors, the 6 gender-balanced speaker folds of
  ``serlib evaluate --protocol speaker --folds 6``; training = the other RAVDESS actors plus
  all of TESS and EMO-DB (their clips of the row's emotions: RAVDESS's eight for
  ``ravdess8``, so EMO-DB's *boredom* is left out - a class the test can never ask for
  would only take verdicts away). ``ravdess4`` also passes the
  test clips (and the adaptation takes) through every degraded channel of
  :data:`serlib.channels.CONDITIONS`.
* ``loco-ravdess``, ``loco-tess``, ``loco-emodb``: leave one corpus out, the demo's four
  emotions: train on the two other corpora, test on the held-out one.

Each row is scored without adaptation and with session adaptation from 1, 3 and 8 *other*
takes of the test speaker (drawn from the speaker's other clips under the same channel,
their labels never used; never the judged clip itself), as in a live session, and with
all of the speaker's clips (the judged one included), as ``Session.rescore`` judges a
finished session in hindsight. ``--baseline``
adds the recipe shipped before (MLP on raw clip statistics, no augmentation, no
adaptation) trained on the same clips, for comparison.

    python scripts/benchmark_new_voice.py --data-root DATA_ROOT            # every row
    python scripts/benchmark_new_voice.py --rows ravdess4 --baseline       # one row

Writes ``results/new_voice/<row>.json`` and prints the table the README shows
(``--table`` prints it again from the saved files).
Notebook: 10_live_demo.ipynb
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

from serlib.datasets.vocabulary import EMOTIONS, LABEL_MAP  # noqa: E402
from serlib.evaluation import metrics, splits  # noqa: E402
from serlib.models import robust  # noqa: E402

OUT = ROOT / "results" / "new_voice"
TAKES = robust.BENCHMARK_TAKES
ROWS = ("ravdess8", "ravdess4", "loco-ravdess", "loco-tess", "loco-emodb")
CORPORA = ("ravdess", "tess", "emodb")


#: The eight emotions RAVDESS was acted in (``ravdess8``).
RAVDESS_EMOTIONS = tuple(LABEL_MAP["ravdess"].values())


def load_tables(data_root, emotions):
    import pandas as pd

    from serlib.datasets import load_corpus

    table = pd.concat([load_corpus(c, data_root) for c in CORPORA], ignore_index=True)
    return table[table["emotion"].isin(emotions)].reset_index(drop=True)


def speaker_ids(table) -> np.ndarray:
    return (table["speaker"].astype(str) + "@" + table["corpus"].astype(str)).to_numpy()


def row_folds(name: str, table, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(train, test)`` row indices of ``table`` for each fold of row ``name``: the 6
    gender-balanced RAVDESS speaker folds (``ravdess*``; training adds every other corpus)
    or one leave-one-corpus-out fold (``loco-<corpus>``)."""
    corpus = table["corpus"].to_numpy()
    if name.startswith("ravdess"):
        rav = np.flatnonzero(corpus == "ravdess")
        speakers = table["speaker"].astype(str).to_numpy()
        genders = table["gender"].astype(str).to_numpy()
        return [(np.concatenate([np.flatnonzero(corpus != "ravdess"), rav[tr]]), rav[te])
                for tr, te in splits.speaker_folds(speakers[rav], genders[rav], k=6, seed=seed)]
    if name.startswith("loco-"):
        held = name.split("-", 1)[1]
        return [(np.flatnonzero(corpus != held), np.flatnonzero(corpus == held))]
    raise ValueError(f"unknown row {name!r}; rows: {', '.join(ROWS)}")


def score(y_true, proba, classes, labels) -> dict:
    pred = np.asarray(classes)[np.argmax(proba, axis=1)]
    s = metrics.scores(y_true, pred, labels)
    return {"accuracy": round(100 * s["accuracy"], 1), "uar": round(100 * s["uar"], 1),
            "f1": round(100 * s["macro_f1"], 1), "n": int(len(y_true))}


def judge(model, prior, X, groups, seed) -> dict[int, np.ndarray]:
    """Probabilities of every test row for each number of adaptation takes
    (:func:`serlib.models.robust.judge_takes`)."""
    return robust.judge_takes(model, prior, X, groups, takes=TAKES, seed=seed)


def run_row(name, table, feats, folds, test_corpus_babble, conditions, args):
    labels = [e for e in EMOTIONS if e in set(table["emotion"])]
    y = table["emotion"].to_numpy()
    groups = speaker_ids(table)
    recipes = ["robust"] + (["baseline"] if args.baseline else [])
    probas = {(r, c, n): np.full((len(table), len(labels)), np.nan)
              for r in recipes for c in conditions for n in TAKES}
    tested = np.zeros(len(table), bool)
    t0 = time.perf_counter()
    for k, (train, test) in enumerate(folds):
        tested[test] = True
        for recipe in recipes:
            if recipe == "robust":
                Xtr, ytr, gtr = robust.training_rows(table, feats, train)
                model, prior = robust.fit_robust(Xtr, ytr, gtr, seed=args.seed)
            else:
                Xtr, ytr = feats["clean"][train].astype(np.float64), y[train]
                model, prior = robust.fit_robust(Xtr, ytr, groups[train], seed=args.seed,
                                                 adapt=False)
            classes = [str(c) for c in model.classes_]
            cols = [classes.index(e) if e in classes else None for e in labels]
            for c in conditions:
                Xte = (feats["clean"] if c == "clean" else test_corpus_babble[c])[test]
                for n, P in judge(model, prior, Xte.astype(np.float64), groups[test],
                                  args.seed + 1000 * k).items():
                    full = np.zeros((len(test), len(labels)))
                    for j, col in enumerate(cols):
                        if col is not None:
                            full[:, j] = P[:, col]
                    probas[(recipe, c, n)][test] = full
        print(f"  {name}: fold {k + 1}/{len(folds)} done ({time.perf_counter() - t0:.0f} s)",
              flush=True)
    result = {"row": name, "labels": labels, "n_clips": int(tested.sum()),
              "n_speakers": int(len(set(groups[tested].tolist()))), "scores": {},
              "seconds": round(time.perf_counter() - t0, 1)}
    for (recipe, c, n), P in probas.items():
        if recipe == "baseline" and n:
            continue
        result["scores"].setdefault(recipe, {}).setdefault(c, {})[str(n)] = score(
            y[tested], P[tested], labels, labels)
    return result


def main(argv=None) -> int:
    from serlib import channels

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-root", default=None)
    p.add_argument("--rows", default=",".join(ROWS))
    p.add_argument("--baseline", action="store_true", help="also the recipe shipped before")
    p.add_argument("--copies", type=int, default=robust.COPIES,
                   help="channel-augmented copies of each training clip")
    p.add_argument("--conditions", default=",".join(channels.CONDITIONS),
                   help="degraded channels for ravdess4 (default: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(OUT))
    p.add_argument("--table", action="store_true",
                   help="only print the table of the results saved in --out (as in the README)")
    args = p.parse_args(argv)
    out = Path(args.out)
    if args.table:
        order = {name: i for i, name in enumerate(ROWS)}
        saved = sorted((json.loads(f.read_text()) for f in out.glob("*.json")),
                       key=lambda r: order.get(r["row"], len(ROWS)))
        print(table_text(saved))
        return 0
    out.mkdir(parents=True, exist_ok=True)
    for name in args.rows.split(","):
        emotions = RAVDESS_EMOTIONS if name == "ravdess8" else robust.DEMO_EMOTIONS
        table = load_tables(args.data_root, emotions)
        print(f"{name}: {len(table)} clips; features ...", flush=True)
        babble = robust.babble_for(table, seed=args.seed)
        feats = robust.corpus_features(table, copies=args.copies, seed=args.seed,
                                       babble=babble, progress=True)
        corpus = table["corpus"].to_numpy()
        conditions = ["clean"]
        degraded = {}
        folds = row_folds(name, table, args.seed)
        if name.startswith("ravdess"):
            rav = np.flatnonzero(corpus == "ravdess")
            if name == "ravdess4":
                conditions = [c for c in args.conditions.split(",") if c]
                # test babble from the other corpora's voices, never the test speakers'
                test_babble = robust.babble_for(table[corpus != "ravdess"], seed=args.seed + 1)
                for c in conditions:
                    if c != "clean":
                        X = np.full_like(feats["clean"], np.nan)
                        X[rav] = robust.degraded_features(table.iloc[rav], c, seed=args.seed,
                                                          babble=test_babble, progress=True)
                        degraded[c] = X
        result = run_row(name, table, feats, folds, degraded, conditions, args)
        result.update(protocol=("speaker-independent 6-fold (RAVDESS actors)"
                                if name.startswith("ravdess") else
                                f"leave-one-corpus-out: train on the other corpora, test {name[5:]}"),
                      copies=args.copies, seed=args.seed,
                      command=f"python scripts/benchmark_new_voice.py --rows {name}"
                              + (" --baseline" if args.baseline else ""))
        (out / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
        print(table_text([result]), flush=True)
    return 0


def table_text(results) -> str:
    """Markdown table: accuracy / UAR per row, channel, recipe and number of takes."""
    acc = robust.new_voice_table(results, metric="accuracy")
    uar = robust.new_voice_table(results, metric="uar")
    takes = [c for c in acc.columns if c not in ("row", "channel", "recipe")]
    lines = ["| row | channel | recipe | " + " | ".join(takes) + " |", "|---" * (3 + len(takes)) + "|"]
    for (_, a), (_, u) in zip(acc.iterrows(), uar.iterrows()):
        cells = ["" if np.isnan(a[t]) else f"{a[t]:.1f} / {u[t]:.1f}" for t in takes]
        lines.append(f"| {a['row']} | {a['channel']} | {a['recipe']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
