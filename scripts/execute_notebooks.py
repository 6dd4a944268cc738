#!/usr/bin/env python
"""Execute notebooks top to bottom in a fresh kernel and save them in place.

This is how the committed notebooks get their outputs: full mode, on the full corpora::

    SERLIB_DATA=/path/to/datasets .venv/bin/python scripts/execute_notebooks.py            # all
    SERLIB_DATA=/path/to/datasets .venv/bin/python scripts/execute_notebooks.py notebooks/02_mfcc.ipynb
    .venv/bin/python scripts/execute_notebooks.py --quick notebooks/01_mel_scale.ipynb     # try out

The kernel runs with ``notebooks/`` as its working directory. A notebook is written
back only when every cell ran without error AND no output shows a machine-specific path
(``/work/``, ``/root/``, ``/tmp/``, ``../shared``, ``/home/<user>/``); otherwise the file is
left untouched and the script exits with status 1. ``--quick`` (or ``SERLIB_QUICK=1``)
runs the small variant and, unless ``--write`` is given, does not save: quick outputs
are for tests, committed outputs are full runs. Wall time per notebook is reported.

Notebook: all of them.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NB_DIR = REPO / "notebooks"
MACHINE_PATH_RE = re.compile(r"(/work/|/root/|/tmp/|\.\./shared|/home/[^/\s]+/|/Users/[^/\s]+/"
                             r"|[A-Za-z]:\\Users\\)")


def output_text(output) -> str:
    """The text of one output (images and embedded audio excluded)."""
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") == "error":
        return "\n".join(output.get("traceback", []))
    parts = []
    for mime, value in output.get("data", {}).items():
        if mime.startswith("image/") and mime != "image/svg+xml":
            continue
        value = value if isinstance(value, str) else str(value)
        if mime == "text/html" and "<audio" in value:
            continue
        parts.append(value)
    return "\n".join(parts)


def machine_paths(nb) -> list[str]:
    """'cell N: /work/' for every output that shows a machine-specific path."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            m = MACHINE_PATH_RE.search(output_text(out))
            if m:
                text = output_text(out)
                start = max(0, m.start() - 60)
                found.append(f"cell {i}: ...{text[start:m.end() + 60]!r}...")
    return found


def execute(path: Path, timeout: int, kernel: str, write: bool) -> tuple[bool, float, str]:
    """Run one notebook; return (ok, seconds, message)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel,
                            resources={"metadata": {"path": str(path.parent)}},
                            record_timing=False, store_widget_state=True,
                            allow_errors=False)
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as exc:
        seconds = time.perf_counter() - start
        lines = str(exc).strip().splitlines()
        return False, seconds, "error:\n    " + "\n    ".join(lines[-25:])
    except Exception as exc:  # timeout, dead kernel
        seconds = time.perf_counter() - start
        return False, seconds, f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - start
    bad = machine_paths(nb)
    if bad:
        return False, seconds, "machine-specific paths in outputs:\n    " + "\n    ".join(bad)
    for cell in nb.cells:  # keep diffs quiet
        cell.get("metadata", {}).pop("execution", None)
    if write:
        nbformat.write(nb, path)
    size = path.stat().st_size / 1e6
    return True, seconds, f"ok ({size:.2f} MB)" + ("" if write else ", not saved")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to run (default: every notebooks/NN_*.ipynb)")
    parser.add_argument("--quick", action="store_true", help="set SERLIB_QUICK=1 (tests' mode)")
    parser.add_argument("--write", action="store_true",
                        help="save the notebook even in quick mode")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell (default 900)")
    parser.add_argument("--kernel", default="python3", help="kernel name (default python3)")
    args = parser.parse_args(argv)

    if args.quick:
        os.environ["SERLIB_QUICK"] = "1"
    quick = os.environ.get("SERLIB_QUICK", "").strip().lower() in {"1", "true", "yes", "on"}
    # The kernel must use the inline backend so figures are embedded in the notebook.
    if os.environ.get("MPLBACKEND", "").lower() == "agg":
        os.environ.pop("MPLBACKEND")
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    # The kernel must import this checkout's serlib whatever is installed.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(REPO)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])

    paths = [(p if p.exists() or not (NB_DIR / p.name).exists() else NB_DIR / p.name).resolve()
             for p in args.notebooks] or sorted(NB_DIR.glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        print("no notebooks found", file=sys.stderr)
        return 1
    root = "$SERLIB_DATA" if os.environ.get("SERLIB_DATA") else "bundled data/"
    print(f"executing {len(paths)} notebook(s), mode {'quick' if quick else 'full'}, "
          f"data root {root}")
    failures = 0
    total = 0.0
    for path in paths:
        if not path.exists():
            print(f"{path.name}: no such notebook")
            failures += 1
            continue
        ok, seconds, message = execute(path, args.timeout, args.kernel,
                                       write=args.write or not quick)
        total += seconds
        print(f"{path.name:32s} {seconds:7.1f} s  {message}", flush=True)
        failures += not ok
    print(f"total {total:.1f} s, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
