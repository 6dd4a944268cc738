"""``serlib datasets``: check a data root, list what is there, download corpora, show the labels.

    serlib datasets check [ROOT] [--json] [--strict] [--data-root DIR]
    serlib datasets list [--data-root DIR]
    serlib datasets download NAME [--data-root DIR] [--song] [--force] [--keep-archive] [--yes]
    serlib datasets labels

``check`` exits with :data:`CHECK_EXIT` (listed in ``serlib datasets check --help``), so
scripts and CI see a corpus that lost clips without reading the report.

Notebook: 04_datasets.ipynb
"""
from __future__ import annotations

import sys

NAMES = ("ravdess", "tess", "savee", "cremad", "iemocap", "emodb")

#: Exit statuses of ``serlib datasets check``.
CHECK_OK, CHECK_NO_CORPUS, CHECK_ERROR, CHECK_PROBLEMS = 0, 1, 2, 3
CHECK_EXIT = (f"exit status: {CHECK_OK} every corpus checked is usable and lost no clip; "
              f"{CHECK_NO_CORPUS} no corpus found in the data root; {CHECK_ERROR} a named corpus "
              f"is absent (or another error); {CHECK_PROBLEMS} a corpus has no usable clip, or "
              "problems left clips out (with --strict: any problem at all, even one that kept "
              "the clip)")


def register(subparsers) -> None:
    """Add the ``datasets`` command and its sub-commands to the ``serlib`` parser.

    Notebook: 04_datasets.ipynb
    """
    parser = subparsers.add_parser(
        "datasets", help="check, list and download emotional speech corpora",
        description="Check a data root, list its corpora, download the public ones, "
                    "or print the label mapping.")
    parser.set_defaults(func=run, action=None)
    sub = parser.add_subparsers(dest="action", metavar="ACTION")

    check = sub.add_parser("check", help="clips, speakers, duration, emotions and problems per corpus",
                           description="Count clips, speakers, minutes and emotions per corpus "
                                       "and list every problem found.", epilog=CHECK_EXIT)
    check.add_argument("root", nargs="?", default=None, metavar="ROOT",
                       help="data root (default: --data-root, $SERLIB_DATA, else the repo's data/)")
    check.add_argument("--data-root", dest="data_root", default=None, metavar="DIR",
                       help="data root (same as ROOT)")
    check.add_argument("--corpus", action="append", choices=NAMES, default=None,
                       help="check only this corpus (repeatable)")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument("--strict", action="store_true",
                       help=f"exit {CHECK_PROBLEMS} on any problem, also those that kept the clip")
    check.add_argument("--max-problems", type=int, default=20, metavar="N",
                       help="problems printed per corpus (text output; default 20, 0 = all)")

    lst = sub.add_parser("list", help="which corpora the data root holds, and where to get the others")
    lst.add_argument("--data-root", dest="data_root", default=None, metavar="DIR")

    dl = sub.add_parser(
        "download", help="fetch a corpus from its official source into the data root",
        description="Fetch a corpus from its official source into the data root (with pooch: "
                    "progress bar, checksum, unzipping). A dropped connection leaves a .part "
                    "file; run the same command again to resume it. The corpus folder appears "
                    "only when complete.")
    dl.add_argument("name", choices=NAMES, metavar="NAME", help=" | ".join(NAMES))
    dl.add_argument("--data-root", dest="data_root", default=None, metavar="DIR",
                    help="where to put it (default: $SERLIB_DATA, else the repo's data/)")
    dl.add_argument("--song", action="store_true", help="RAVDESS: also fetch the song part")
    dl.add_argument("--force", action="store_true", help="fetch again even if present")
    dl.add_argument("--keep-archive", action="store_true", help="keep the downloaded zip")
    dl.add_argument("--yes", "-y", action="store_true", help="do not ask before large downloads")
    dl.add_argument("--quiet", action="store_true", help="no progress bars")

    sub.add_parser("labels", help="print the label mapping table (Markdown)")


def _print_check(report: dict, root, max_problems: int) -> None:
    if not report:
        print(f"no corpus found in {root}. Run `serlib datasets list` to see how to get one.")
        return
    for name, r in report.items():
        minutes = r["seconds"] / 60
        print(f"{name}: {r['clips']} clips, {r['speakers']} speakers, {minutes:.1f} min")
        for emotion, n in r["emotions"].items():
            print(f"  {emotion:<11} {n:>6}")
        probs = r["problems"]
        if probs:
            shown = probs if max_problems <= 0 else probs[:max_problems]
            print(f"  problems: {len(probs)}")
            for p in shown:
                print(f"    - {p}")
            if len(shown) < len(probs):
                print(f"    ... and {len(probs) - len(shown)} more (--max-problems 0 or --json shows all)")
        else:
            print("  problems: none")


def _check_status(report: dict, *, strict: bool = False) -> int:
    """The exit status of ``datasets check`` (see :data:`CHECK_EXIT`); says why on stderr."""
    if not report:
        return CHECK_NO_CORPUS
    failing = []
    for name, r in report.items():
        if r["clips"] == 0:
            failing.append(f"{name} has no usable clip")
        elif r["left_out"]:
            failing.append(f"{name}: {r['left_out']} problem(s) left clips out")
        elif strict and r["problems"]:
            failing.append(f"{name}: {len(r['problems'])} problem(s) (--strict)")
    if not failing:
        return CHECK_OK
    print(f"serlib datasets check: {'; '.join(failing)}. Fix the files listed under problems "
          "(rename, move or copy them again), then check again.", file=sys.stderr)
    return CHECK_PROBLEMS


def run(args) -> int:
    """Run ``serlib datasets ACTION``; returns the exit code.

    Notebook: 04_datasets.ipynb
    """
    from serlib import config

    action = getattr(args, "action", None)
    if action is None:
        print("usage: serlib datasets {check,list,download,labels} ... (see --help)", file=sys.stderr)
        return 1
    if action == "labels":
        from serlib.datasets import label_mapping_table

        print(label_mapping_table())
        return 0
    if action == "check":
        import json

        from serlib.datasets import check

        root = config.data_root(args.root or args.data_root)
        report = check(root, args.corpus)
        if args.json:
            print(json.dumps(report, indent=2, ensure_ascii=False))
        else:
            print(f"data root: {root}")
            _print_check(report, root, args.max_problems)
        return _check_status(report, strict=args.strict)
    if action == "list":
        from serlib.datasets import CORPORA, available_corpora

        root = config.data_root(args.data_root)
        here = set(available_corpora(root))
        print(f"data root: {root}")
        for name, meta in CORPORA.items():
            state = "present" if name in here else (
                "absent: `serlib datasets download " + name + "`" if meta["download"] == "auto"
                else "absent: needs registration, see `serlib datasets download " + name + "`")
            print(f"  {name:<8} {meta['full_name']} - {state}")
        return 0
    if action == "download":
        from serlib.datasets import download as dl
        from serlib.errors import DownloadError

        root = config.data_root(args.data_root)
        src = dl.SOURCES[args.name]
        if src.kind == "manual":
            print(dl.instructions(args.name, root))
            return 1
        if args.name == "cremad" and not args.yes:
            print(f"CREMA-D: {src.size_note}.", file=sys.stderr)
            if not sys.stdin.isatty():
                raise DownloadError("CREMA-D is a large download; add --yes to go ahead")
            if input("Go ahead? [y/N] ").strip().lower() not in ("y", "yes"):
                return 1
        parts = ("speech", "song") if args.song else None
        if args.name == "ravdess" and args.song:
            print(f"RAVDESS: {src.size_note}", file=sys.stderr)
        folder = dl.download(args.name, root, parts=parts, force=args.force,
                             keep_archive=args.keep_archive, progress=not args.quiet,
                             quiet=args.quiet)
        print(f"{args.name} is in {folder}; check it with `serlib datasets check {root}`")
        return 0
    return 1
