"""``serlib features``: extract one feature kind for a whole corpus into a ``.npz`` file.

    serlib features [ROOT] --corpus NAME [--corpus NAME ...] --out FILE.npz
                    [--kind seed180|stats|voice|stats+voice|mfcc40|logmel|mfcc_seq]
                    [--jobs N]
                    [--no-cache] [--no-progress] [--on-error raise|skip]

The file holds ``X`` (clips x features, float32) and, row for row, ``emotion``,
``speaker``, ``gender``, ``label``, ``corpus`` and ``path`` (string arrays, readable
with ``np.load(file)``, no pickle), plus ``kind``, ``config`` (the FeatureConfig as
JSON), ``config_key`` and, for ``stats``, ``voice`` and ``stats+voice``, ``feature_names``.

Notebook: 06_mlp_grid_search.ipynb
"""
from __future__ import annotations

KINDS = ("seed180", "stats", "voice", "stats+voice", "mfcc40", "logmel", "mfcc_seq")
#: Choices of ``--on-error``.
ON_ERROR = ("raise", "skip")
#: The advice under the list of unreadable clips, in command-line terms.
CLI_ADVICE = "Fix or remove these files, or add --on-error skip to leave them out of the .npz."


def register(subparsers) -> None:
    """Add the ``features`` command to the ``serlib`` parser.

    Notebook: 06_mlp_grid_search.ipynb
    """
    p = subparsers.add_parser(
        "features", help="extract features of a corpus into an .npz file",
        description="Compute one feature kind for every clip of one or more corpora (in "
                    "parallel, cached) and save them with labels and speakers.")
    p.add_argument("root", nargs="?", default=None, metavar="ROOT",
                   help="data root (default: --data-root, $SERLIB_DATA, else the repo's data/)")
    p.add_argument("--data-root", dest="data_root", default=None, metavar="DIR",
                   help="data root (same as ROOT)")
    p.add_argument("--corpus", action="append", required=True, metavar="NAME",
                   help="corpus folder name: ravdess, tess, savee, cremad, iemocap, emodb "
                        "(repeat to combine corpora)")
    p.add_argument("--out", required=True, metavar="FILE.npz", help="output file")
    p.add_argument("--kind", default="seed180", choices=KINDS,
                   help="feature kind (default seed180: 40 MFCC + 12 chroma + 128 mel means; "
                        "voice: 89 pitch, loudness and voice-quality values, eGeMAPS-like)")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="worker processes (default: one per core)")
    p.add_argument("--no-cache", action="store_true", help="neither read nor write the feature cache")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--on-error", choices=ON_ERROR, default="raise",
                   help="unreadable clips: stop with a list of them (raise, default) or leave "
                        "them out and list them (skip)")
    p.set_defaults(func=run)


def run(args) -> int:
    """Extract the features and write the ``.npz``; returns the exit code.

    Notebook: 06_mlp_grid_search.ipynb
    """
    import json
    import sys
    import time
    from dataclasses import asdict
    from pathlib import Path

    import numpy as np

    from serlib import config
    from serlib.cli import CommandError
    from serlib.datasets import load_corpora
    from serlib.errors import AudioError
    from serlib.extract import extract_report
    from serlib.features import FeatureConfig, feature_names

    if args.root and args.data_root and Path(args.root) != Path(args.data_root):
        raise CommandError(f"two different data roots given ({args.root} and {args.data_root}); pass one.")
    root = config.data_root(args.root or args.data_root)
    out = Path(args.out)
    if out.suffix != ".npz":
        raise CommandError(f"--out {out}: the output file must end in .npz.")
    names = [n.strip().lower() for item in args.corpus for n in item.split(",") if n.strip()]
    df = load_corpora(names, root=root)
    if len(df) == 0:
        raise CommandError(f"no clips found for {', '.join(names)} in {root}. "
                           "Run `serlib datasets check` to see what the data root holds.")
    cfg = FeatureConfig()
    t0 = time.perf_counter()
    try:
        res = extract_report(df, kind=args.kind, cfg=cfg, n_jobs=args.jobs,
                             progress=not args.no_progress, cache=not args.no_cache)
    except KeyboardInterrupt:
        kept = ("the clips finished so far are kept in the feature cache, so the same command "
                "goes on from there" if not args.no_cache else "nothing was kept (--no-cache)")
        print(f"serlib features: interrupted; nothing was written to {out}; {kept}.", file=sys.stderr)
        return 130
    seconds = time.perf_counter() - t0
    if res.errors:
        if args.on_error == "raise":
            raise AudioError(res.error_message(CLI_ADVICE) + "\nNothing was written to " + str(out) + ".")
        print(res.error_message("They were left out (--on-error skip)."), file=sys.stderr)
    keep = df[res.ok]

    def strings(col):
        return np.asarray(keep[col].astype(str).tolist() if col in keep else [""] * len(keep), dtype=str)

    arrays = {
        "X": res.X[res.ok],
        "emotion": strings("emotion"), "speaker": strings("speaker"), "gender": strings("gender"),
        "label": strings("label"), "corpus": strings("corpus"), "path": strings("path"),
        "kind": np.asarray(args.kind), "config": np.asarray(json.dumps(asdict(cfg), sort_keys=True)),
        "config_key": np.asarray(cfg.key()),
    }
    names = feature_names(args.kind, cfg)
    if names is not None:
        arrays["feature_names"] = np.asarray(names, dtype=str)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(out)
    X = arrays["X"]
    print(f"wrote {out}: X {X.shape} ({args.kind}), {len(keep)} clips of "
          f"{', '.join(sorted(set(arrays['corpus'])))}, {len(set(arrays['speaker']))} speakers, "
          f"{len(set(arrays['emotion']))} emotions; {res.cached} from the cache, "
          f"{seconds:.1f} s" + (f"; {len(res.errors)} clips skipped" if res.errors else ""))
    return 0
