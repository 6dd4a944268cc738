"""Write the "Open in Colab" badge and the hosted-runtime install lines into every notebook.

The GitHub location comes from one place, ``serlib.notebook.GITHUB_REPOSITORY`` (and
``GITHUB_BRANCH``), the pinned tag from serlib's version. A fork (or a release that
bumps the version) changes those and runs::

    .venv/bin/python scripts/colab_links.py            # rewrite badges and install lines
    .venv/bin/python scripts/colab_links.py --check    # only report notebooks out of date

Only two sources change: cell 0 gets the badge on its own line right after the
navigation line, and the first code cell starts with ``serlib.notebook.bootstrap_lines()``
(which print nothing where serlib is installed, so committed outputs stay valid).
Outputs, cell ids and metadata stay as they are and nothing is executed. Existing
badges and install lines are replaced, so running the script twice changes nothing the
second time.

Notebook: every notebook (cell 0); checked by tests/test_notebook_lint.py.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from serlib.notebook import bootstrap_lines, colab_badge  # noqa: E402

COLAB_MARK = "colab.research.google.com/github/"


def with_badge(source: str, badge: str) -> str:
    """``source`` (cell 0) with ``badge`` replacing an old badge line or after the nav line."""
    lines = source.split("\n")
    for i, line in enumerate(lines):
        if COLAB_MARK in line:
            lines[i] = badge
            return "\n".join(lines)
    for i, line in enumerate(lines):
        if "](README.md)" in line:  # the navigation line links the contents page
            return "\n".join(lines[: i + 1] + ["", badge] + lines[i + 1:])
    raise SystemExit("cell 0 has no navigation line '[Contents](README.md)'; add it first")


def with_bootstrap(source: str, lines: list[str]) -> str:
    """``source`` (first code cell) opening with ``lines``, replacing an older version."""
    old = source.split("\n")
    if old[:2] == lines[:2]:  # an earlier bootstrap: it runs up to the first blank line
        end = old.index("") if "" in old else len(old)
        old = old[end + 1:]
    return "\n".join(lines + [""] + old)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to update (default: notebooks/[0-9][0-9]_*.ipynb)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a notebook's link is missing or stale")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    stale = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        code = next(c for c in nb.cells if c.cell_type == "code")
        new = {0: with_badge(nb.cells[0].source, colab_badge(path.name)),
               nb.cells.index(code): with_bootstrap(code.source, bootstrap_lines())}
        if all(nb.cells[i].source == text for i, text in new.items()):
            continue
        stale.append(path.name)
        if not args.check:
            for i, text in new.items():
                nb.cells[i].source = text
            nbformat.write(nb, path)
    verb = "out of date" if args.check else "updated"
    print(f"{len(stale)} notebook(s) {verb}" + (": " + ", ".join(stale) if stale else ""))
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
