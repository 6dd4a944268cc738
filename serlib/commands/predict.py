"""``serlib predict FILE...``: the emotion of each clip, with the shipped model or ``--model``.

Imports only scikit-learn and the feature code (never TensorFlow for a scikit-learn
model), so a cold start stays within a few seconds.

Notebook: 05_mlp_grid_search.ipynb
"""
from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser("predict", help="predict the emotion of audio files",
                              description="Predict the emotion of each audio file "
                                          "(WAV, FLAC, OGG; any rate; mono or stereo).")
    p.add_argument("files", nargs="+", metavar="FILE", help="audio files")
    p.add_argument("--model", default=None, metavar="PATH",
                   help="a model saved by `serlib train` (default: the shipped model in models/)")
    p.add_argument("--json", action="store_true",
                   help='one JSON object per line: {"file", "emotion", "probabilities"}')
    p.set_defaults(func=run)


def run(args) -> int:
    import json
    import sys

    from serlib.errors import AudioError
    from serlib.predict import load_model, predict_file

    model = load_model(args.model)
    failed = 0
    for path in args.files:
        try:
            pred = predict_file(model, path)
        except AudioError as exc:
            failed += 1
            print(f"serlib predict: {exc}", file=sys.stderr)
            continue
        if args.json:
            print(json.dumps(pred.to_dict()), flush=True)
        else:
            top = ", ".join(f"{e} {p:.2f}" for e, p in pred.top(3))
            print(f"{path}: {pred.emotion}  ({top})", flush=True)
    return 2 if failed else 0
