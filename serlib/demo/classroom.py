"""The class server: one process serves the page to every student, judges their takes,
and shows the class's board on the projector.

``serlib demo --https`` (or ``--class``) runs it. Why one process: a Voilà kernel per
student costs about 400 MB and seconds of CPU to start, while judging a take costs
20-30 ms; on a 2-core, 8 GB laptop that is the difference between 8 students and a whole
class (README, "A class on its own devices"). The students' pages record in their own
browsers (the same capture code as the notebook's browser microphone:
``static/capture.js``) and send each take as raw samples; the server judges it with
the session logic of the notebook demo (:meth:`serlib.demo.session.Session.submit`, in
a small thread pool) and saves it in that student's session folder before answering.

Pages (all from the package, nothing from the sessions folder)::

    /            the student's page: consent, then pictures, recording, verdicts
    /board       the projector's board: students in, takes judged, expected x heard
                 (plain and adapted), the pictures heard most differently
    /api/...     JSON: info, join, take, leave, board, status
    /picture/N   the N-th prompt picture; /qr.svg the page's address as a QR code

What a visitor can and cannot do: the server runs no code a browser sends (there is no
kernel: requests carry only raw samples and a few numbers); no request names a file -
pictures are addressed by their number in the server's own list, static files come from
the package's ``static/`` folder (tornado refuses paths outside it), and no handler reads
from the sessions folder at all, so recordings cannot be downloaded. A student is known
by a random 128-bit token the server gave on joining (``X-Serlib-Student``); another
student's folder name or a guessed token gets "session ended", never data. The board
shows counts only: no folder names, no recordings.

Resources: a student's session object lives from joining until the session ends, the
page leaves (``navigator.sendBeacon``) or it idles (``idle_seconds``); at most
``max_students`` at a time (the next one is told "the class is full, try again in a
minute"). Old session folders are deleted after ``keep_days`` (at start and every hour).

Notebook: 10_live_demo.ipynb
"""
from __future__ import annotations

import json
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from serlib.demo.session import KEEP_DAYS, Session, new_session_folder, purge_sessions, sessions_dir
from serlib.errors import RecorderError, SerlibError

STATIC = Path(__file__).with_name("static")
#: Students recording at once, by default.
MAX_STUDENTS = 40
#: A student who sends nothing for this long is let go (their session is saved as it is).
IDLE_SECONDS = 600.0
#: Longest browser sample rate accepted (a take is at most seconds x rate samples).
MAX_RATE = 192_000
#: What a student is told when the cap is reached.
FULL = "The class is full ({n} students are recording): try again in a minute."
#: What a student is told when their token is unknown.
ENDED = ("This session has ended (the page left, or was idle for {minutes:g} minutes). "
         "Reload the page to start a new one.")
#: The page's answer when it came over plain http and the browser refuses the microphone.
INSECURE = ("This page came over http://, and browsers give the microphone only to https:// "
            "pages (or to localhost). Ask the teacher for the https:// address "
            "(serlib demo --https) and open that one.")


class ClassFull(SerlibError):
    """Raised by :meth:`Classroom.join` when ``max_students`` are recording."""


class SessionEnded(SerlibError):
    """Raised for a student token the server does not know (left, idle, or never given)."""


@dataclass
class Student:
    """One student's live session on the server."""

    token: str
    session: Session
    keep: bool
    last_seen: float = field(default_factory=time.monotonic)
    lock: threading.RLock = field(default_factory=threading.RLock)  # release() inside submit()
    recorder: object = None  # server-side recorder (files / kernel), None for the browser


def warm_up(model) -> None:
    """Judge one short synthetic sound, so the first student's verdict comes as fast as
    the others (:meth:`Session.warm_up` needs nothing of a session but its model)."""
    from types import SimpleNamespace

    Session.warm_up(SimpleNamespace(model=model))


class Classroom:
    """Everything the class server knows, without the web part (tests use it directly).

    Args:
        model: the model (loaded once, shared by every student).
        prompts: the pictures (default: the bundled ones).
        seconds: recording length per picture.
        sessions: where session folders go (default :func:`sessions_dir`).
        adapt, calibration: as :class:`~serlib.demo.session.Session`.
        recorder: ``"browser"`` (the students' microphones), ``"files"`` (the server
            replays sample clips: a class without microphones) or ``"kernel"`` (this
            machine's microphone: one speaker at a time, for a demonstration).
        max_students, idle_seconds, keep_days: see the module docstring.
        workers: threads judging takes (one per core).

    Notebook: 10_live_demo.ipynb
    """

    def __init__(self, model, prompts=None, *, seconds: float = 7.0, sessions=None,
                 adapt: bool = True, calibration: bool = True, recorder: str = "browser",
                 max_students: int = MAX_STUDENTS, idle_seconds: float = IDLE_SECONDS,
                 keep_days: float = KEEP_DAYS, workers: int = 2, pause: float = 2.0):
        from serlib.adaptation import prior_of
        from serlib.demo.images import calibration_prompt, find_prompts
        from serlib.demo.session import split_prompts

        if recorder not in ("browser", "files", "kernel"):
            raise SerlibError(f"unknown recorder {recorder!r}: use browser, files or kernel")
        self.model = model
        given = list(prompts) if prompts is not None else find_prompts()
        self.prompts, _ = split_prompts(given, model)
        self.calibration = bool(calibration) and bool(adapt) and prior_of(model) is not None
        self.calibration_prompt = calibration_prompt() if self.calibration else None
        self.seconds = float(seconds)
        self.sessions = Path(sessions) if sessions is not None else sessions_dir()
        self.sessions.mkdir(parents=True, exist_ok=True)
        self.adapt = bool(adapt)
        self.recorder = recorder
        self.max_students = int(max_students)
        self.idle_seconds = float(idle_seconds)
        self.keep_days = float(keep_days)
        self.pause = float(pause)
        self.students: dict[str, Student] = {}
        self.folders: list[Path] = []  # this class's session folders, in order of joining
        self.started = 0
        self.takes = 0
        self.released = 0
        self._lock = threading.Lock()
        self._kernel_lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=max(1, int(workers)), thread_name_prefix="judge")
        self.recording_pool = ThreadPoolExecutor(max_workers=max(1, self.max_students),
                                                 thread_name_prefix="record")
        self._board: dict | None = None
        self._board_at = (-1, 0.0)  # (takes, time) when the board was last computed
        self._board_lock = threading.Lock()
        self.url = ""  # the address students open (set by serve())

    # ------------------------------------------------------------------ pictures
    def picture_list(self) -> list:
        """Every picture a page may show, numbered: the calibration prompt first."""
        return ([self.calibration_prompt] if self.calibration_prompt else []) + list(self.prompts)

    def picture_number(self, prompt) -> int:
        return next(i for i, p in enumerate(self.picture_list()) if p.path == prompt.path)

    # ------------------------------------------------------------------ students
    def join(self, keep: bool = True) -> Student:
        """A new student (after consent): a session folder and a token. Raises
        :class:`ClassFull` when ``max_students`` are recording."""
        with self._lock:
            if len(self.students) >= self.max_students:
                raise ClassFull(FULL.format(n=len(self.students)))
            token = secrets.token_urlsafe(16)
            while token in self.students:
                token = secrets.token_urlsafe(16)
            folder = new_session_folder(self.sessions)
            session = Session(self.prompts, self.model, folder=folder, seconds=self.seconds,
                              recorder_name=f"class page ({self.recorder} microphone)",
                              adapt=self.adapt, calibration=self.calibration,
                              keep_recordings=keep)
            student = Student(token, session, bool(keep))
            if self.recorder == "files":
                from serlib.demo.recorders import FileRecorder

                student.recorder = FileRecorder.for_prompts(session.prompts, realtime=True)
            elif self.recorder == "kernel":
                from serlib.demo.recorders import KernelMicrophone

                student.recorder = KernelMicrophone()
            self.students[token] = student
            self.folders.append(folder)
            self.started += 1
            session.save()
            return student

    def student(self, token: str | None) -> Student:
        student = self.students.get(token or "")
        if student is None:
            raise SessionEnded(ENDED.format(minutes=self.idle_seconds / 60))
        student.last_seen = time.monotonic()
        return student

    def release(self, token: str, reason: str | None = None) -> bool:
        """Let a student go (left, idle, or finished); the session stays on disk."""
        with self._lock:
            student = self.students.pop(token, None)
        if student is None:
            return False
        with student.lock:
            if reason and not student.session.finished:
                student.session.stop(reason)
        self.released += 1
        return True

    def reap(self, now: float | None = None) -> int:
        """Release the students idle for more than ``idle_seconds``; returns how many."""
        now = time.monotonic() if now is None else now
        idle = [t for t, s in list(self.students.items()) if now - s.last_seen > self.idle_seconds]
        for token in idle:
            self.release(token, f"the page was idle for {self.idle_seconds / 60:g} minutes")
        return len(idle)

    def purge(self) -> list[Path]:
        """Delete session folders older than ``keep_days`` (never one of this class's live ones)."""
        return purge_sessions(self.sessions, self.keep_days)

    # ------------------------------------------------------------------ takes
    def prompt_state(self, student: Student) -> dict:
        """What the page shows next: the picture, or the end of the session."""
        session = student.session
        prompt = session.next_prompt()
        pictures = [p for p in session.prompts if p.emotion != "calibration"]
        if prompt is None:
            warning = session.monotone_warning()
            return {"done": True, "summary": session.summary(), "warning": warning,
                    "kept": student.keep, "folder_note": self._kept_note(student)}
        calibrating = prompt.emotion == "calibration"
        sentence = ""
        if calibrating:
            from serlib.demo import images

            sentence = images.CALIBRATION_TEXT
            text = ("First, your normal voice, so the model can tell your emotions apart "
                    "from your voice. Read aloud:")
        else:
            n = session.position + (0 if session.calibration else 1)
            text = f"Picture {n} of {len(pictures)}: react aloud, the way it makes you feel."
        return {"done": False, "position": session.position, "calibration": calibrating,
                "sentence": sentence, "text": text,
                "picture": f"/picture/{self.picture_number(prompt)}",
                "seconds": session.seconds}

    def _kept_note(self, student: Student) -> str:
        if student.keep:
            return (f"Your recordings and verdicts are kept on the teacher's computer for "
                    f"{self.keep_days:g} days, then deleted.")
        return "Your recordings were not kept: only the verdicts are saved."

    def submit(self, token: str, position: int, pcm: np.ndarray | None, rate: int) -> dict:
        """Judge and save one take of ``token``'s student for picture ``position`` (the
        page says which picture it recorded, so a take sent twice is not saved twice).
        ``pcm`` is ``None`` for a server-side recorder (files, kernel), which records
        here. Returns the verdict and the next picture as JSON-ready data."""
        from serlib.demo.ui import result_html

        student = self.student(token)
        with student.lock:
            session = student.session
            if session.finished or position != session.position:
                return {"stale": True, "next": self.prompt_state(student)}
            if pcm is None:
                try:
                    pcm, rate = self._record_here(student)
                except RecorderError as exc:
                    session.stop(str(exc))
                    self.release(token)
                    return {"error": str(exc), "next": self.prompt_state(student)}
            start = time.perf_counter()
            take = session.submit(pcm, rate)
            judged_ms = (time.perf_counter() - start) * 1000
            with self._lock:
                self.takes += 1
            state = self.prompt_state(student)
        if state["done"]:
            self.release(token)
        return {"take": {"index": take.index, "status": take.status, "expected": take.expected,
                         "shown": take.shown, "calibration": take.status == "calibration"},
                "verdict_html": result_html(take), "judged_ms": round(judged_ms, 1),
                "next": state, "pause": self.pause}

    def _record_here(self, student: Student):
        recorder = student.recorder
        if self.recorder == "kernel":
            with self._kernel_lock:  # one microphone: one student at a time
                return recorder.record(self.seconds), recorder.sample_rate
        return recorder.record(self.seconds), recorder.sample_rate

    # ------------------------------------------------------------------ board
    def board(self, *, max_age: float = 1.0) -> dict:
        """The class board as JSON-ready data: computed with :func:`class_report` over
        this class's session folders (so it equals ``serlib demo report`` over them),
        again only when takes arrived and at most every ``max_age`` seconds."""
        with self._board_lock:
            now = time.monotonic()
            takes, when = self._board_at
            if self._board is not None and (takes == self.takes or now - when < max_age):
                board = dict(self._board)
            else:
                board = self._compute_board()
                self._board, self._board_at = board, (self.takes, now)
        board["students_in"] = len(self.students)
        board["sessions"] = self.started
        return board

    def _compute_board(self) -> dict:
        from collections import Counter

        from serlib.demo.report import class_report
        from serlib.demo.session import NOTHING_HEARD

        folders = [f for f in self.folders if (f / "results.csv").is_file()]
        report = class_report(folders) if folders else None
        out = {"takes": 0, "judged": 0, "nothing_heard": 0, "confusion": None, "adapted": None,
               "accuracy": None, "accuracy_adapted": None, "differently": [], "summary": ""}
        if report is None or not len(report.takes):
            return out
        data = report.to_dict()
        takes = report.takes
        judged = takes[takes["status"] == "ok"]
        out.update(takes=int(len(takes)), judged=int(len(judged)),
                   nothing_heard=int(len(takes) - len(judged)), confusion=data["confusion"],
                   adapted=data["adapted"], accuracy=data["accuracy"],
                   accuracy_adapted=(data["adapted"] or {}).get("accuracy"))
        numbers = {p.name: i for i, p in enumerate(self.picture_list())}
        rows = []
        column = "heard_adapted" if report.has_adaptation else "heard"
        for name, group in takes.groupby("prompt"):
            heard = group[column].where(group[column].notna(), group["heard"])
            judged_here = heard[heard != NOTHING_HEARD]
            if not len(judged_here):
                continue
            expected = str(group["expected"].iloc[0])
            other = judged_here[judged_here != expected]
            counts = Counter(judged_here)
            rows.append({"picture": f"/picture/{numbers[name]}" if name in numbers else None,
                         "expected": expected, "takes": int(len(judged_here)),
                         "other_share": float(len(other) / len(judged_here)),
                         "heard": [[k, int(v)] for k, v in counts.most_common()]})
        rows = [r for r in rows if r["other_share"] > 0]
        rows.sort(key=lambda r: (-r["other_share"], -r["takes"]))
        out["differently"] = rows[:3]
        return out

    def status(self) -> dict:
        """Counts for the benchmark and the tests: students live, sessions, takes."""
        return {"students": len(self.students), "sessions": self.started, "takes": self.takes,
                "released": self.released, "max_students": self.max_students}

    def close(self) -> None:
        for token in list(self.students):
            self.release(token, "the server stopped")
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.recording_pool.shutdown(wait=False, cancel_futures=True)


# ---------------------------------------------------------------------------- web


def _application(room: Classroom, *, info: dict):
    """The tornado application of the class server."""
    import tornado.web
    from tornado.ioloop import IOLoop

    class Base(tornado.web.RequestHandler):
        def set_default_headers(self):
            self.set_header("X-Content-Type-Options", "nosniff")
            self.set_header("Referrer-Policy", "no-referrer")
            self.set_header("Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; "
                            "style-src 'self' 'unsafe-inline'; "
                            "script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
            self.set_header("Permissions-Policy", "microphone=(self)")

        def write_json(self, data, status: int = 200):
            self.set_status(status)
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish(json.dumps(data))

        def write_error(self, status_code, **kwargs):
            self.write_json({"error": f"{status_code} {self._reason}"}, status_code)

        def token(self):
            return self.request.headers.get("X-Serlib-Student", "")

    class Page(Base):
        def initialize(self, name):
            self.name = name

        def get(self):
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish((STATIC / self.name).read_bytes())

    class Info(Base):
        def get(self):
            self.write_json(info)

    class Join(Base):
        def post(self):
            try:
                body = json.loads(self.request.body or b"{}")
            except ValueError:
                body = {}
            if body.get("consent") is not True:
                return self.write_json({"error": "No consent given: nothing is recorded."}, 400)
            try:
                student = room.join(keep=bool(body.get("keep", True)))
            except ClassFull as exc:
                self.set_header("Retry-After", "60")
                return self.write_json({"error": str(exc), "full": True}, 503)
            self.write_json({"student": student.token, "next": room.prompt_state(student),
                             "kept": student.keep})

    class Take(Base):
        async def post(self):
            received = time.perf_counter()  # the whole take has arrived
            headers = self.request.headers
            try:
                position = int(headers.get("X-Serlib-Picture", "-1"))
                rate = int(headers.get("X-Serlib-Rate", "0"))
            except ValueError:
                return self.write_json({"error": "bad take headers"}, 400)
            try:
                room.student(self.token())
            except SessionEnded as exc:
                return self.write_json({"error": str(exc), "ended": True}, 410)
            body = self.request.body
            pcm = None
            if room.recorder == "browser":
                most = int((room.seconds + 2) * MAX_RATE) * 4
                if not 8000 <= rate <= MAX_RATE or not 0 < len(body) <= most or len(body) % 4:
                    return self.write_json({"error": "The take was not raw float32 samples of "
                                                     "the right length."}, 400)
                pcm = np.frombuffer(body, dtype="<f4").astype(np.float32)
                if not np.all(np.isfinite(pcm)):
                    return self.write_json({"error": "The take holds invalid samples."}, 400)
            pool = room.pool if pcm is not None else room.recording_pool
            try:
                result = await IOLoop.current().run_in_executor(
                    pool, room.submit, self.token(), position, pcm, rate)
            except SessionEnded as exc:
                return self.write_json({"error": str(exc), "ended": True}, 410)
            # what the server adds to the wait: from the last byte of the take to the answer
            # (request_ms: from its first byte, the upload included)
            result["server_ms"] = round((time.perf_counter() - received) * 1000, 1)
            result["request_ms"] = round(self.request.request_time() * 1000, 1)
            self.write_json(result)

    class Leave(Base):
        def post(self):
            token = self.token() or (self.request.body or b"").decode("ascii", "replace").strip()
            self.write_json({"released": room.release(token, "the student left the page")})

    class Board(Base):
        async def get(self):
            board = await IOLoop.current().run_in_executor(room.pool, room.board)
            self.write_json(board)

    class Status(Base):
        def get(self):
            self.write_json(room.status())

    class Picture(Base):
        def get(self, number):
            pictures = room.picture_list()
            k = int(number)
            if not 0 <= k < len(pictures) or not pictures[k].path.is_file():
                raise tornado.web.HTTPError(404)
            path = pictures[k].path
            kind = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                    ".gif": "image/gif", ".webp": "image/webp"}.get(path.suffix.lower(),
                                                                    "application/octet-stream")
            self.set_header("Content-Type", kind)
            self.set_header("Cache-Control", "max-age=3600")
            self.finish(path.read_bytes())

    class QR(Base):
        def get(self):
            from serlib.demo.tls import qr_svg

            self.set_header("Content-Type", "image/svg+xml")
            self.finish(qr_svg(room.url or info.get("url", "")))

    class Static(tornado.web.StaticFileHandler):
        def set_default_headers(self):
            self.set_header("X-Content-Type-Options", "nosniff")

    class Missing(Base):
        def prepare(self):
            raise tornado.web.HTTPError(404)

    return tornado.web.Application([
        (r"/", Page, {"name": "classroom.html"}),
        (r"/board", Page, {"name": "board.html"}),
        (r"/api/info", Info),
        (r"/api/join", Join),
        (r"/api/take", Take),
        (r"/api/leave", Leave),
        (r"/api/board", Board),
        (r"/api/status", Status),
        (r"/picture/([0-9]{1,4})", Picture),
        (r"/qr\.svg", QR),
        (r"/static/(capture\.js|classroom\.js|board\.js|classroom\.css)", Static,
         {"path": str(STATIC)}),
    ], default_handler_class=Missing, compress_response=True,
        websocket_max_message_size=0)


def page_info(room: Classroom, url: str) -> dict:
    """What the page says before the first recording (consent), and its settings."""
    from serlib.demo.browser import ADVICE

    where = ("On the teacher's computer, in one folder per session (named by the time it "
             "started, not by you)")
    pictures = len(room.prompts)
    what = (f"Your voice, {room.seconds:g} seconds for each of {pictures} pictures"
            + (" and one sentence read in your normal voice first" if room.calibration else "")
            + ", and what the model heard in it.")
    from serlib.demo.tls import WARNING_ADVICE

    return {"url": url, "seconds": room.seconds, "pictures": pictures, "recorder": room.recorder,
            "certificate_note": WARNING_ADVICE if url.startswith("https://") else "",
            "calibration": room.calibration, "keep_days": room.keep_days,
            "consent": {"what": what, "where": where,
                        "how_long": f"{room.keep_days:g} days; then they are deleted.",
                        "who": ("Only the teacher. The class board on the projector shows counts "
                                "only: no names, no voices."),
                        "verdict": ("The verdict says which emotion your voice sounded like to a "
                                    "model trained on actors; it does not say how you feel.")},
            "advice": {**ADVICE, "InsecureContextError": INSECURE},
            "pause": room.pause}


def keep_purging(purge, every: float = 3600.0) -> threading.Event:
    """Call ``purge()`` every ``every`` seconds in a daemon thread (``serlib demo
    --keep-days``); set the returned event to stop."""
    stop = threading.Event()

    def loop():
        while not stop.wait(every):
            try:
                purge()
            except OSError:
                pass

    threading.Thread(target=loop, name="serlib-purge", daemon=True).start()
    return stop


def serve(room: Classroom, *, ip: str = "127.0.0.1", port: int = 8866, ssl_context=None,
          url: str = "", ready=None) -> None:
    """Serve ``room`` until interrupted (Ctrl-C / SIGTERM). ``ready()`` is called once
    the port listens.

    Notebook: 10_live_demo.ipynb
    """
    import asyncio
    import signal

    import tornado.httpserver
    from tornado.ioloop import PeriodicCallback

    room.url = url
    app = _application(room, info=page_info(room, url))

    async def main():
        most = int((room.seconds + 2) * MAX_RATE) * 4 + 65536
        server = tornado.httpserver.HTTPServer(app, ssl_options=ssl_context, max_body_size=most,
                                               idle_connection_timeout=120)
        server.listen(port, address=ip)
        reaper = PeriodicCallback(room.reap, min(30.0, room.idle_seconds / 4) * 1000)
        reaper.start()
        purger = PeriodicCallback(room.purge, 3600 * 1000)
        purger.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
                pass
        if ready is not None:
            ready()
        await stop.wait()
        reaper.stop()
        purger.stop()
        server.stop()

    try:
        asyncio.run(main())
    finally:
        room.close()
