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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_page_files(tmp_path, chromium: str, server_module: str):
    """What a browser test of a demo page needs: pictures (angry, sad, happy), the fake
    microphone's WAV and the sessions folder; skips with the reason when Chromium,
    Playwright, the page's server package (``server_module``) or the shipped model is missing.

    Only the clip's speech part is looped: with the clip's second of room noise around it,
    a 2-s take could catch mostly that and be judged silent (it happened in a run).
    """
    import shutil
    from pathlib import Path

    import pytest

    from serlib import config, demo
    from serlib.audio import load, resample, save
    from serlib.speech import check_speech

    pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    pytest.importorskip(server_module, reason=f"needs {server_module} (pip install -r requirements.txt)")
    if not Path(chromium).exists():
        pytest.skip(f"needs Chromium at {chromium} (sudo apt install chromium, or set $CHROMIUM)")
    if not config.default_model_path().is_file():
        pytest.skip("the shipped model is not built yet (models/ser-mlp.skops)")
    images = tmp_path / "images"
    for prompt in demo.find_prompts(emotions=["angry", "sad", "happy"], per_emotion=1):
        (images / prompt.emotion).mkdir(parents=True, exist_ok=True)
        shutil.copy(prompt.path, images / prompt.emotion / prompt.path.name)
    speech = check_speech(load(demo.sample_clips_for(["angry"])[0])).part
    wav = save(tmp_path / "microphone.wav", resample(speech, 16000, 48000), 48000)
    return images, wav, tmp_path / "sessions"
