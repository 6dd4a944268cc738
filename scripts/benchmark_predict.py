#!/usr/bin/env python
"""Measure how fast `serlib predict` is: warm per-clip latency and the cold command.

Targets (issue 4, tightened by issue 12): one 7-second clip in <= 50 ms in a warm
process, including the speech test (``serlib.speech.check_speech``, also timed alone);
the whole `serlib predict FILE` command from a cold start in <= 5 s, without TensorFlow
(and, for the shipped model, without scikit-learn: it loads the portable export
``ser-mlp.npz``).

    python scripts/benchmark_predict.py [--model PATH] [--repeat 20] [--cold 3]

The cold command is timed as users run it (``python -m serlib predict FILE``), and, for
comparison, the same prediction through the full scikit-learn model
(``load_model(path, portable=False)``, the path every model took before the export).
Prints one line per measurement and a JSON summary on the last line.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def seven_second_clip(folder: Path) -> Path:
    """A 7 s WAV made of real sample speech (looped), 16 kHz mono."""
    import numpy as np

    from serlib import audio

    clips = sorted((REPO / "data" / "ravdess").glob("Actor_*/*.flac"))[:4]
    y = np.concatenate([audio.load(p) for p in clips]) if clips else audio.tone(220, 7.0)
    y = np.resize(y, 7 * 16000).astype(np.float32)
    path = folder / "clip7s.wav"
    audio.save(path, y)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model file (default: shipped model)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--cold", type=int, default=3, help="cold runs of each command")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clip = seven_second_clip(Path(tmp))
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        cmd = [sys.executable, "-m", "serlib", "predict", str(clip)]
        if args.model:
            cmd += ["--model", args.model]

        def cold(command):
            times = []
            for _ in range(args.cold):
                t0 = time.perf_counter()
                out = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO)
                times.append(time.perf_counter() - t0)
                if out.returncode != 0:
                    print(out.stderr, file=sys.stderr)
                    raise SystemExit(1)
            return times

        load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        colds = cold(cmd)
        print(f"cold command ({args.cold} runs): {', '.join(f'{c:.2f} s' for c in colds)}")
        full_code = ("import sys; from serlib.predict import load_model, predict_file; "
                     "m = load_model(sys.argv[1] if sys.argv[1] != '-' else None, portable=False); "
                     "print(predict_file(m, sys.argv[2]).emotion)")
        colds_full = cold([sys.executable, "-c", full_code, args.model or "-", str(clip)])
        print(f"cold, full scikit-learn model ({args.cold} runs): "
              f"{', '.join(f'{c:.2f} s' for c in colds_full)}")

        code = ("import sys; from serlib.cli import main; main(sys.argv[1:]); "
                "print(sorted({m.split('.')[0] for m in sys.modules} & "
                "{'tensorflow', 'sklearn', 'skops', 'scipy'}))")
        heavy = subprocess.run([sys.executable, "-c", code, *cmd[3:]], capture_output=True,
                               text=True, cwd=REPO).stdout.strip().splitlines()[-1]
        print(f"heavy modules imported by serlib predict: {heavy}")
        tf = "tensorflow" in heavy

        from serlib.predict import load_model, predict_file

        t0 = time.perf_counter()
        model = load_model(args.model)
        load_s = time.perf_counter() - t0
        print(f"model: {model!r}")
        predict_file(model, clip)  # warm-up: first call compiles/caches
        warm = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            predict_file(model, clip)
            warm.append(time.perf_counter() - t0)
        print(f"load_model: {load_s * 1000:.0f} ms; warm predict_file on a 7 s clip "
              f"(median of {args.repeat}): {statistics.median(warm) * 1000:.0f} ms "
              f"(min {min(warm) * 1000:.0f}, max {max(warm) * 1000:.0f}; target <= 50 ms)")
        import numpy as np

        from serlib import audio
        from serlib.speech import check_speech

        y = audio.load(clip)
        check = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            check_speech(y)
            check.append(time.perf_counter() - t0)
        silent = audio.save(Path(tmp) / "silent7s.wav", np.zeros(7 * 16000, np.float32))
        quiet = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            assert predict_file(model, silent).emotion is None
            quiet.append(time.perf_counter() - t0)
        print(f"of which the speech test: {statistics.median(check) * 1000:.1f} ms; predict_file "
              f"on 7 s of silence (not judged): {statistics.median(quiet) * 1000:.1f} ms")
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        print(json.dumps({"cold_command_s": round(min(colds), 2),
                          "cold_command_median_s": round(statistics.median(colds), 2),
                          "cold_full_sklearn_s": round(min(colds_full), 2),
                          "warm_predict_ms": round(statistics.median(warm) * 1000, 1),
                          "speech_check_ms": round(statistics.median(check) * 1000, 2),
                          "warm_predict_silence_ms": round(statistics.median(quiet) * 1000, 1),
                          "load_model_ms": round(load_s * 1000), "model": type(model).__name__,
                          "tensorflow_imported": tf, "heavy_imported": heavy,
                          "cpus": os.cpu_count(), "load_average_1min_before": load_before,
                          "load_average_1min": load}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
