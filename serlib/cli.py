"""The ``serlib`` command line: one sub-command per module in :mod:`serlib.commands`.

Each command module defines ``register(subparsers)`` (building its parser, cheaply:
no heavy imports at that point) and sets ``func`` on its parser with ``set_defaults``.
The heavy work (librosa, scikit-learn, TensorFlow) is imported inside that function
only, so ``serlib predict`` starts fast and never loads TensorFlow for a
scikit-learn model.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from serlib.errors import SerlibError

#: Sub-command modules, in the order ``serlib --help`` lists them.
COMMANDS = ("datasets", "features", "evaluate", "predict", "record", "train", "demo")


class CommandError(Exception):
    """A failure the user can fix; printed as one clear message, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    from serlib import __version__

    parser = argparse.ArgumentParser(
        prog="serlib",
        description="Speech emotion recognition, taught in notebooks.",
    )
    parser.add_argument("--version", action="version", version=f"serlib {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"serlib.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"serlib.commands.{name}":
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        result = args.func(args)
    except CommandError as exc:
        print(f"serlib {args.command}: {exc}", file=sys.stderr)
        return 2
    except SerlibError as exc:
        print(f"serlib {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
