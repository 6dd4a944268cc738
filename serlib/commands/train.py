"""``serlib train``: train a registered classical model on whole corpora and save it.

The shipped model in ``models/`` (the live demo's) is made by exactly this command::

    serlib train --recipe robust --data-root DATA_ROOT

``--recipe robust`` (:mod:`serlib.models.robust`) trains the demo's four emotions on every
corpus in the data root, with channel augmentation and speaker normalisation; the default
``--recipe plain`` fits a registered model on raw features, as notebook 06 teaches.
Both write ``NAME.skops``, ``NAME.json`` and, for an exportable MLP, ``NAME.npz``
(:mod:`serlib.models.portable`).

Notebook: 06_mlp_grid_search.ipynb
"""
from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser("train", help="train a model on whole corpora and save it",
                              description="Train a registered classical model on every clip "
                                          "of the given corpora (grid search on speaker-grouped "
                                          "folds) and save it as .skops plus a .json sidecar "
                                          "(and, for an MLP, a .npz export that `serlib "
                                          "predict` loads without scikit-learn).")
    p.add_argument("--recipe", choices=("plain", "robust"), default="plain",
                   help="plain: the registered model on raw features (default); robust: the "
                        "live demo's model - neutral/happy/sad/angry from every corpus in the "
                        "data root, each clip also through random microphone/room/noise "
                        "channels, features normalised per speaker (takes about 10 minutes)")
    p.add_argument("--model", default="mlp", metavar="NAME",
                   help="registered classical model (default mlp)")
    p.add_argument("--train", default=None, metavar="CORPUS[,CORPUS...]",
                   help="training corpora (default: ravdess,tess; with --recipe robust every "
                        "corpus in the data root)")
    p.add_argument("--emotions", default=None, metavar="E1,E2,...",
                   help="emotions to learn (default: every emotion in the training corpora)")
    p.add_argument("--out", default=None, metavar="PATH",
                   help="model file to write (default: models/ser-mlp.skops, the shipped model)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    p.add_argument("--data-root", default=None, metavar="DIR",
                   help="folder with one sub-folder per corpus (default $SERLIB_DATA or data/)")
    p.set_defaults(func=run)


def run(args) -> int:
    if args.recipe == "robust":
        from serlib.models.robust import DEMO_EMOTIONS, train_shipped

        emotions = tuple(args.emotions.split(",")) if args.emotions else DEMO_EMOTIONS
        path, meta = train_shipped(args.data_root, corpora=args.train, emotions=emotions,
                                   seed=args.seed, out=args.out, progress=True)
    else:
        from serlib.models.train import train_and_save

        path, meta = train_and_save(args.model, train=args.train or "ravdess,tess",
                                    emotions=args.emotions, out=args.out, seed=args.seed,
                                    data_root=args.data_root, progress=True)
    print(f"saved {path.name} ({path.stat().st_size / 1e6:.2f} MB) and "
          f"{path.with_suffix('.json').name}: {len(meta['emotions'])} emotions "
          f"({', '.join(meta['emotions'])}), {meta['training_data']['n_clips']} clips from "
          f"{', '.join(meta['training_data']['corpora'])}")
    calib = meta.get("calibration")
    if calib:
        print(f"calibrated: temperature {calib['temperature']:.3f} (out-of-fold verdicts of the "
              f"training speakers; their ECE {100 * calib['oof_ece_before']:.1f} % → "
              f"{100 * calib['oof_ece_after']:.1f} %)")
    export = (meta.get("portable") or {}).get("file")
    if export:
        size = (path.parent / export).stat().st_size / 1e6
        print(f"saved {export} ({size:.2f} MB): the portable export `serlib predict` loads "
              "without scikit-learn")
    return 0
