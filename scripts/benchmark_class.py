"""A class on one server: N headless students record a whole session each against one
``serlib demo --https`` (the class server), arriving spread over one minute.

    python scripts/benchmark_class.py                 # 1, 10 and 30 students
    python scripts/benchmark_class.py --students 30 --seconds 7

Each student is a Chromium context (one Chromium, N contexts: Playwright) whose
microphone is classroom audio made here: speech from the bundled RAVDESS sample with
pauses, mixed with fan noise and the chatter of other voices. A student opens the page
through a name that is not localhost (``classroom.test`` mapped to 127.0.0.1: loopback
only), gives consent, and records every picture. Reported per run: sessions completed,
takes saved / expected (rows in results.csv and WAVs on disk), the wait from "take
sent" to "verdict on screen" (median, p95, max, measured in the page), page load time,
the server's memory (resident set: before the students, peak, per student) and CPU
time, and the session objects left on the server after the pages closed. Results go to
``results/class/`` (one JSON per run and ``README.md``).

The students' browsers run on the same machine as the server, so on 2 cores the
server shares them with N Chromium pages: the latencies are an upper bound for a class
whose pages run on their own phones.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from serlib import demo  # noqa: E402
from serlib.audio import load, resample, save  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
NAME = "classroom.test"
RATE = 48_000


def classroom_audio(path: Path, seconds: float = 90.0, seed: int = 0) -> Path:
    """Speech (sample clips, one after another with pauses) over fan noise and chatter."""
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    clips = sorted(demo.sample_clips_for(["angry", "happy", "sad", "neutral"]))
    from serlib.datasets import load_sample

    table = load_sample()
    every = [load(p) for p in table["path"]]
    n = int(seconds * 16000)
    speech = np.zeros(n, np.float32)
    t = 0
    voices = [load(c) for c in clips] + every
    while t < n:
        clip = voices[int(rng.integers(len(voices)))]
        clip = clip / (np.abs(clip).max() + 1e-9) * 0.5
        end = min(n, t + clip.size)
        speech[t:end] += clip[: end - t]
        t = end + int(rng.uniform(0.3, 1.2) * 16000)
    # fan: brown-ish noise, steady; chatter: other voices, shuffled and quiet
    fan = lfilter([1.0], [1.0, -0.97], rng.standard_normal(n)).astype(np.float32)
    fan *= 10 ** (-40 / 20) / (np.sqrt(np.mean(fan**2)) + 1e-12)
    chatter = np.zeros(n, np.float32)
    for _ in range(3):
        t = int(rng.integers(0, 16000))
        while t < n:
            clip = every[int(rng.integers(len(every)))]
            end = min(n, t + clip.size)
            chatter[t:end] += clip[: end - t]
            t = end + int(rng.uniform(0, 0.5) * 16000)
    chatter *= 10 ** (-32 / 20) / (np.sqrt(np.mean(chatter**2)) + 1e-12)
    mix = speech + fan + chatter
    mix = mix / max(1.0, float(np.abs(mix).max()) / 0.9)
    return save(path, resample(mix.astype(np.float32), 16000, RATE), RATE)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0.0, threading.Event()

    def run(self):
        while not self.stop.wait(0.25):
            try:
                self.peak = max(self.peak, _rss_mb(self.pid))
            except OSError:
                return


class Yield(threading.Thread):
    """Keeps the simulated students' Chromium at nice 19, every thread of it (Chromium
    raises its own audio threads' priority): on a real class the pages run on the
    students' phones, not beside the server, so here they take only what the server
    leaves. ``--browsers-nice 0`` turns this off."""

    def __init__(self, nice: int):
        super().__init__(daemon=True)
        self.nice, self.stop = nice, threading.Event()

    def _ours(self) -> list[int]:
        parents = {}
        for proc in Path("/proc").iterdir():
            if proc.name.isdigit():
                try:
                    fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                    parents[int(proc.name)] = int(fields[1])
                except (OSError, IndexError, ValueError):
                    pass
        me, out = os.getpid(), []
        for pid in parents:
            up, seen = pid, 0
            while up in parents and up != me and seen < 64:
                up, seen = parents[up], seen + 1
            if up == me and pid != me:
                out.append(pid)
        return out

    def run(self):
        while not self.stop.wait(0.5):
            for pid in self._ours():
                try:
                    if "chrom" not in Path(f"/proc/{pid}/comm").read_text():
                        continue
                    for task in Path(f"/proc/{pid}/task").iterdir():
                        os.setpriority(os.PRIO_PROCESS, int(task.name), self.nice)
                except (OSError, ValueError):
                    pass


async def student(browser, url: str, delay: float, timeout: float) -> dict:
    await asyncio.sleep(delay)
    context = await browser.new_context(viewport={"width": 390, "height": 844},
                                        ignore_https_errors=True)
    page = await context.new_page()
    out = {"arrived": delay, "completed": False, "latencies_ms": [], "error": None,
           "kind": "chromium"}
    start = time.perf_counter()
    try:
        await page.goto(url, wait_until="domcontentloaded", timeout=60_000)
        await page.wait_for_selector("#consent", state="visible", timeout=60_000)
        out["page_ready_s"] = round(time.perf_counter() - start, 2)
        await page.click("#agree-keep")
        await page.wait_for_function(
            "() => ['done', 'problem'].includes(window.serlibClass.view)", timeout=timeout * 1000)
        state = await page.evaluate("() => window.serlibClass")
        out["latencies_ms"] = state["latencies"]
        out["server_ms"] = state["serverMs"]
        out["takes"] = state["takes"]
        if state["view"] == "done":
            summary = await page.inner_text("#summary")
            out["summary"] = summary
            out["completed"] = "pictures recorded" in summary and summary.split(" of ")[0] == \
                summary.split(" of ")[1].split(" ")[0]
        else:
            out["error"] = await page.inner_text("#problem-text")
    except Exception as exc:  # a timeout or a crashed page: reported, not fatal
        out["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    out["session_s"] = round(time.perf_counter() - start, 1)
    await context.close()
    return out


def http_student(base: str, delay: float, audio: np.ndarray, seconds: float, seed: int) -> dict:
    """A student without a browser: the same requests as the page, paced in real time
    (the page, its scripts, consent, then per picture: the picture, ``seconds`` of
    waiting while "recording", the take as float32 samples at 48 kHz)."""
    import ssl
    import urllib.request

    ctx = ssl._create_unverified_context()
    time.sleep(delay)
    out = {"arrived": delay, "completed": False, "latencies_ms": [], "server_ms": [],
           "error": None, "kind": "http"}
    token = None

    def ask(path, data=None, headers=None, parse=True):
        request = urllib.request.Request(base + path, data=data, headers=headers or {},
                                         method="POST" if data is not None else "GET")
        with urllib.request.urlopen(request, context=ctx, timeout=60) as r:
            body = r.read()
        return json.loads(body) if parse else body

    start = time.perf_counter()
    try:
        for path in ("/", "/static/classroom.css", "/static/capture.js", "/static/classroom.js"):
            ask(path, parse=False)
        info = ask("/api/info")
        out["page_ready_s"] = round(time.perf_counter() - start, 2)
        joined = ask("/api/join", json.dumps({"consent": True, "keep": True}).encode(),
                     {"Content-Type": "application/json"})
        token, state = joined["student"], joined["next"]
        offset = int(np.random.default_rng(seed).integers(0, audio.size // 2))
        want = int(seconds * RATE)
        while not state["done"]:
            ask(state["picture"], parse=False)
            time.sleep(seconds)  # recording, in real time
            if offset + want > audio.size:
                offset = 0
            take = audio[offset: offset + want].astype("<f4").tobytes()
            offset += want
            sent = time.perf_counter()
            answer = ask("/api/take", take, {"X-Serlib-Student": token, "Content-Type":
                                             "application/octet-stream",
                                             "X-Serlib-Picture": str(state["position"]),
                                             "X-Serlib-Rate": str(RATE)})
            out["latencies_ms"].append((time.perf_counter() - sent) * 1000)
            out["server_ms"].append(answer.get("server_ms"))
            state = answer["next"]
            if not state["done"]:
                time.sleep(info["pause"])
        summary = state["summary"]
        out["summary"] = summary
        out["completed"] = summary.split(" of ")[0] == summary.split(" of ")[1].split(" ")[0]
        token = None
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    out["session_s"] = round(time.perf_counter() - start, 1)
    return out


async def drive(n: int, url: str, wav: Path, window: float, timeout: float, *, browsers: int,
                base: str, seconds: float) -> list[dict]:
    from concurrent.futures import ThreadPoolExecutor

    from playwright.async_api import async_playwright

    delays = [window * k / n for k in range(n)] if n > 1 else [0.0]
    # which students are Chromium pages: spread evenly over the arrivals
    in_browser = set(np.linspace(0, n - 1, min(browsers, n)).round().astype(int)) if browsers else set()
    audio = load(wav, sr=RATE)
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=max(1, n - len(in_browser)))
    http = [loop.run_in_executor(pool, http_student, base, delays[k], audio, seconds, k)
            for k in range(n) if k not in in_browser]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync", "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream", f"--use-file-for-fake-audio-capture={wav}",
            f"--host-resolver-rules=MAP {NAME} 127.0.0.1", "--ignore-certificate-errors",
            "--autoplay-policy=no-user-gesture-required"])
        pages = [student(browser, url, delays[k], timeout) for k in sorted(in_browser)]
        results = await asyncio.gather(*pages, *http)
        await browser.close()
    pool.shutdown()
    return list(results)


def _get(url: str) -> dict:
    import ssl
    import urllib.request

    ctx = ssl._create_unverified_context()
    with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
        return json.loads(r.read())


def run(n: int, args, wav: Path) -> dict:
    import pandas as pd

    work = Path(tempfile.mkdtemp(prefix=f"serlib-class-{n}-"))
    sessions = work / "sessions"
    port = _free_port()
    log = work / "server.log"
    env = dict(os.environ, XDG_CONFIG_HOME=str(work / "config"))
    serlib = Path(sys.executable).with_name("serlib")
    server = subprocess.Popen(
        [str(serlib), "demo", "--https", "--ip", "127.0.0.1", "--port", str(port), "--sessions",
         str(sessions), "--seconds", str(args.seconds), "--max-students", str(args.max_students)],
        stdout=log.open("w"), stderr=subprocess.STDOUT, env=env, start_new_session=True,
        cwd=REPO)
    try:
        for _ in range(1200):
            if "Press Ctrl-C" in log.read_text():
                break
            if server.poll() is not None:
                raise SystemExit(f"the server exited: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        for task in Path(f"/proc/{server.pid}/task").iterdir():  # every thread of the server
            os.setpriority(os.PRIO_PROCESS, int(task.name), args.server_nice)
        # the simulated students (this process's threads, Playwright and its Chromium, all
        # started from here on) run below the server, as on their own phones they would not
        # compete with it at all
        os.setpriority(os.PRIO_PROCESS, 0, args.browsers_nice)
        base = f"https://127.0.0.1:{port}"
        info = _get(base + "/api/info")
        per_student = info["pictures"] + (1 if info["calibration"] else 0)
        time.sleep(1.0)
        rss_before = _rss_mb(server.pid)
        cpu_before = _cpu_seconds(server.pid)
        sampler = Sampler(server.pid)
        sampler.start()
        load_before = os.getloadavg()
        started = time.perf_counter()
        timeout = per_student * (args.seconds + 2 + 10) + 120
        yielding = Yield(args.browsers_nice)
        if args.browsers_nice:
            yielding.start()
        results = asyncio.run(drive(n, f"https://{NAME}:{port}/", wav, args.window if n > 1 else 0,
                                    timeout, browsers=args.browsers, base=base, seconds=args.seconds))
        yielding.stop.set()
        wall = time.perf_counter() - started
        time.sleep(2.0)  # the pages' leave beacons
        left_now = _get(base + "/api/status")
        sampler.stop.set()
        rss_after = _rss_mb(server.pid)
        cpu = _cpu_seconds(server.pid) - cpu_before
        load_after = os.getloadavg()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    rows = wavs = judged = 0
    for folder in sessions.iterdir():
        csv = folder / "results.csv"
        if csv.is_file():
            table = pd.read_csv(csv)
            rows += len(table)
            judged += int((table["status"] == "ok").sum())
        wavs += len(list(folder.glob("*.wav")))
    latencies = sorted(ms for r in results for ms in r["latencies_ms"])
    server_ms = sorted(ms for r in results for ms in r.get("server_ms", []) if ms is not None)
    kinds = {}
    for kind in ("chromium", "http"):
        mine = [r for r in results if r["kind"] == kind]
        lat = sorted(ms for r in mine for ms in r["latencies_ms"])
        kinds[kind] = {"students": len(mine), "completed": sum(r["completed"] for r in mine),
                       "latency_ms_median": round(statistics.median(lat), 1) if lat else None,
                       "latency_ms_p95": round(float(np.percentile(lat, 95)), 1) if lat else None}
    p95 = float(np.percentile(latencies, 95)) if latencies else float("nan")
    peak = max(sampler.peak, rss_after)
    out = {
        "students": n, "arrival_window_s": args.window if n > 1 else 0, "seconds": args.seconds,
        "takes_per_session": per_student,
        "completed": sum(r["completed"] for r in results),
        "takes_expected": n * per_student, "takes_saved_rows": rows, "takes_saved_wavs": wavs,
        "takes_judged": judged,
        "latency_ms": {"median": round(statistics.median(latencies), 1) if latencies else None,
                       "p95": round(p95, 1), "max": round(latencies[-1], 1) if latencies else None,
                       "takes": len(latencies)},
        "server_ms": {"median": round(statistics.median(server_ms), 1) if server_ms else None,
                      "p95": round(float(np.percentile(server_ms, 95)), 1) if server_ms else None,
                      "max": server_ms[-1] if server_ms else None},
        "by_client": kinds,
        "page_ready_s": {"median": statistics.median([r.get("page_ready_s", 0) for r in results]),
                         "max": max(r.get("page_ready_s", 0) for r in results)},
        "server_memory_mb": {"before_students": round(rss_before, 1), "peak": round(peak, 1),
                             "per_student": round((peak - rss_before) / n, 2)},
        "server_cpu_s": round(cpu, 1), "wall_s": round(wall, 1),
        "left_after_close": {"session_objects": left_now["students"],
                             "sessions_started": left_now["sessions"]},
        "errors": [r["error"] for r in results if r["error"]],
        "load_average": {"before": [round(x, 2) for x in load_before],
                         "after": [round(x, 2) for x in load_after]},
        "cores": os.cpu_count(), "server_nice": args.server_nice,
        "browsers_nice": args.browsers_nice,
    }
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, nargs="+", default=[1, 10, 30])
    parser.add_argument("--seconds", type=float, default=7.0, help="recording length (default 7)")
    parser.add_argument("--window", type=float, default=60.0,
                        help="students arrive spread over this many seconds (default 60)")
    parser.add_argument("--max-students", type=int, default=40)
    parser.add_argument("--out", default=str(REPO / "results" / "class"))
    parser.add_argument("--browsers", type=int, default=10,
                        help="how many students are Chromium pages (default 10; the others send "
                             "the page's requests from Python threads: 30 Chromium pages do not "
                             "fit beside the server on 2 cores)")
    parser.add_argument("--server-nice", type=int, default=0,
                        help="niceness of the server (default 0: a laptop serving a class runs "
                             "the server in the foreground; it needs a few percent of a core)")
    parser.add_argument("--browsers-nice", type=int, default=19,
                        help="niceness of the students' Chromium (default 19: below the server)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    wav = classroom_audio(Path(tempfile.mkdtemp(prefix="serlib-class-audio-")) / "classroom.wav")
    rows = []
    for n in args.students:
        print(f"benchmark_class: {n} student(s) ...", flush=True)
        result = run(n, args, wav)
        (out / f"students_{n}.json").write_text(json.dumps(result, indent=1) + "\n")
        lat, mem = result["latency_ms"], result["server_memory_mb"]
        by = result["by_client"]
        line = (f"| {n} ({by['chromium']['students']} Chromium, {by['http']['students']} HTTP) | "
                f"{result['completed']}/{n} | {result['takes_saved_rows']}/"
                f"{result['takes_expected']} ({result['takes_saved_wavs']} WAVs) | {lat['median']} / "
                f"{lat['p95']} / {lat['max']} | {result['server_ms']['median']} / "
                f"{result['server_ms']['p95']} | {result['page_ready_s']['max']} | "
                f"{mem['before_students']:.0f} → {mem['peak']:.0f} ({mem['per_student']:.1f}/student) | "
                f"{result['server_cpu_s']} | {result['left_after_close']['session_objects']} | "
                f"{result['load_average']['before'][0]} → {result['load_average']['after'][0]} |")
        rows.append(line)
        print(json.dumps(result, indent=1), flush=True)
    header = ("| students | sessions completed | takes saved / expected | take sent → verdict, ms "
              "(median / p95 / max) | of which the server's work, ms (median / p95) | page ready, max s | server memory, MB (before → peak) | "
              "server CPU s | session objects left after the pages closed | load average "
              "(1 min, before → after) |\n|---|---|---|---|---|---|---|---|---|---|")
    (out / "README.md").write_text(
        "# The class server under a class (`python scripts/benchmark_class.py`)\n\n"
        f"One `serlib demo --https` server, {args.seconds:g}-s recordings, students arriving spread "
        f"over {args.window:g} s; up to {args.browsers} of them are Chromium pages (one Chromium, a "
        "context each, the page's own recording code) and the others send the same requests "
        "from Python threads, paced in real time; all on the same "
        f"{os.cpu_count()}-core machine (classroom audio: sample speech, fan noise, chatter); "
        f"the server at nice {args.server_nice}, the simulated students (Chromium and the HTTP "
        f"threads) at nice "
        f"{args.browsers_nice}. Load average before and after each run in the last column: the "
        "machine was shared with other jobs.\n\n"
        + header + "\n" + "\n".join(rows) + "\n")
    print("\n".join([header] + rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
