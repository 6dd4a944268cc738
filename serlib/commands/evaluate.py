"""``serlib evaluate``: run a registered model under an evaluation protocol.

Example, the seed's protocol::

    serlib evaluate --model seed-mlp --train ravdess --protocol random \
        --emotions angry,sad,disgust,happy --test-size 0.25 --seed 7 --json

Notebook: 06_mlp_grid_search.ipynb
"""
from __future__ import annotations

import argparse



def register(subparsers) -> None:
    from serlib.models.registry import MODELS

    lines = "\n".join(f"  {n:<9} {s.description} [{s.feature_kind}]" for n, s in MODELS.items())
    p = subparsers.add_parser(
        "evaluate", help="train and test a model under an evaluation protocol",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train and test a model under one protocol and print the scores "
                    "(means over folds).",
        epilog=f"models:\n{lines}\n\nexample (the seed's protocol):\n  serlib evaluate --model "
               "seed-mlp --train ravdess --protocol random --emotions angry,sad,disgust,happy "
               "--test-size 0.25 --seed 7")
    p.add_argument("--model", default="svm", choices=list(MODELS), metavar="NAME",
                   help=f"registered model ({', '.join(MODELS)}); default svm")
    p.add_argument("--features", default=None, metavar="KIND",
                   help="feature kind for a classical model instead of its own (e.g. voice, "
                        "stats+voice: pitch, loudness and voice quality, notebook 05)")
    p.add_argument("--train", default="ravdess", metavar="CORPUS[,CORPUS...]",
                   help="training corpora (default ravdess)")
    p.add_argument("--test", default=None, metavar="CORPUS",
                   help="test corpus for a cross-corpus run; omit to evaluate within --train")
    p.add_argument("--protocol", default="speaker", choices=["random", "speaker", "loso"],
                   help="within-corpus protocol (default speaker)")
    p.add_argument("--emotions", default=None, metavar="E1,E2,...",
                   help="emotions to use (shared vocabulary); default all the corpora share")
    p.add_argument("--test-size", type=float, default=0.25, metavar="F",
                   help="test share for --protocol random (default 0.25)")
    p.add_argument("--folds", type=int, default=6, metavar="K",
                   help="speaker folds for --protocol speaker (default 6)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    p.add_argument("--speaker-norm", action="store_true",
                   help="z-normalise features per speaker with that speaker's own clips")
    p.add_argument("--data-root", default=None, metavar="DIR",
                   help="folder with one sub-folder per corpus (default $SERLIB_DATA or data/)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def format_table(result: dict) -> str:
    """Human-readable summary of an :func:`serlib.evaluation.evaluate` result."""
    head = (f"model {result['model']} ({result['features']} features), protocol "
            f"{result['protocol']}, train {'+'.join(result['train'])}"
            + (f", test {result['test']}" if result.get("test") else "")
            + f"\nemotions ({len(result['emotions'])}): {', '.join(result['emotions'])}"
            + (", speaker-normalised features" if result.get("speaker_norm") else ""))
    lines = [head, "", f"{'fold':>4}  {'test speakers':<40} {'n':>5} {'acc':>6} {'UAR':>6} {'F1':>6}"]
    for f in result["folds"]:
        spk = ",".join(s.split("-", 1)[-1] for s in f["test_speakers"])
        if len(spk) > 40:
            spk = spk[:37] + "..."
        lines.append(f"{f['fold'] + 1:>4}  {spk:<40} {f['n_test']:>5} {f['accuracy']:>6.3f} "
                     f"{f['uar']:>6.3f} {f['macro_f1']:>6.3f}")
    lines += ["", f"{'mean':>4}  {'':<40} {result['n_test']:>5} {result['accuracy']:>6.3f} "
                  f"{result['uar']:>6.3f} {result['macro_f1']:>6.3f}",
              f"kappa {result['kappa']:.3f}, MCC {result['mcc']:.3f}; "
              f"accuracy {100 * result['accuracy']:.1f} % ± {100 * result['accuracy_std']:.1f} "
              f"over {result['n_folds']} fold(s) ({result['seconds']:.0f} s)"]
    return "\n".join(lines)


def run(args) -> int:
    import json

    from serlib.evaluation import evaluate

    result = evaluate(args.model, train=args.train, test=args.test, protocol=args.protocol,
                      emotions=args.emotions, test_size=args.test_size, folds=args.folds,
                      seed=args.seed, data_root=args.data_root, speaker_norm=args.speaker_norm,
                      progress=not args.json, features=args.features)
    if args.json:
        print(json.dumps(result))
    else:
        print(format_table(result))
    return 0
