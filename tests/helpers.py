"""Plain helpers shared by several test files (fixtures live in conftest.py)."""
from __future__ import annotations

import ast
import subprocess
import sys

from serlib.config import REPO_DIR


def sample_clips(root, n: int) -> list[str]:
    """``n`` clips of the bundled sample, spread over its actors and emotions (as strings)."""
    clips = sorted((root / "ravdess").glob("Actor_*/*.flac"))
    return [str(p) for p in clips[:: max(1, len(clips) // n)][:n]]


def modules_loaded_by(code: str, watch) -> list[str]:
    """Run ``code`` in a fresh Python; which of the top-level modules ``watch`` it loaded."""
    probe = (f"{code}\nimport sys\n"
             f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(watch)!r}))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         cwd=REPO_DIR, timeout=120)
    assert out.returncode == 0, out.stderr
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])
