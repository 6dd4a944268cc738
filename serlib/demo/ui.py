"""The session's user interface: a thin ipywidgets layer over :class:`~serlib.demo.session.Session`.

A Start button; then, for each picture, the picture, a progress bar that counts the
recording down, and the detected emotion; at the end the grid of all pictures with
their probabilities. The session runs in a worker thread so the kernel stays free to
receive the browser microphone's sound and the page stays responsive (a Stop button
ends the session after the current picture).

Notebook: 10_live_demo.ipynb
"""
from __future__ import annotations

import html
import io
import threading
import time

from serlib.demo.session import NOTHING_HEARD, Session
from serlib.errors import RecorderError, SerlibError


def figure_png(fig, dpi: int = 80) -> bytes:
    """A matplotlib figure as PNG bytes (closed afterwards)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


#: Whose judgement a verdict is: "your voice sounded *angry* to a model trained on actors",
#: never "you are angry" (notebook 09 says why).
TRAINED_ON = "to a model trained on actors"
#: What the page says instead of a verdict after the calibration prompt.
CALIBRATION_THANKS = "Thanks - your normal voice is noted. Now the pictures."
#: Styles for a projector: large pictures and type (``SessionUI(projector=True)``).
PROJECTOR_CSS = """
<style>
.serlib-session { font-size: 22px; }
.serlib-session .widget-button, .serlib-session .jupyter-button { font-size: 22px; height: 48px;
  padding: 0 24px; }
.serlib-status { font-size: 26px; line-height: 1.3; }
.serlib-countdown { font-size: 34px; font-weight: bold; color: #1864ab; }
.serlib-verdict { font-size: 30px; line-height: 1.35; }
.serlib-verdict .serlib-heard { font-size: 46px; }
.serlib-verdict .serlib-small { font-size: 20px; color: #495057; }
.serlib-sentence { font-size: 40px; line-height: 1.3; font-style: italic; color: #212529; }
.serlib-summary { font-size: 24px; }
.serlib-warning { font-size: 22px; color: #e8590c; }
.serlib-mic { font-size: 18px; }
.serlib-consent-text { font-size: 20px; line-height: 1.4; max-width: 60em; }
.serlib-consent-text dd { margin: 0 0 6px 1.2em; }
.serlib-consent .widget-button { font-size: 20px; height: 44px; }
</style>
"""


def _probabilities(probs: dict) -> list[tuple[str, float]]:
    return sorted(probs.items(), key=lambda kv: -kv[1])


def result_html(take) -> str:
    """The verdict shown under the picture after each recording.

    The wording says what a verdict is: how the voice *sounded to a model trained on
    actors* (:data:`TRAINED_ON`), not how the student feels.
    With speaker adaptation the adapted verdict (``take.shown``) is the big one, and the
    verdict without adaptation is shown small beside it; a calibration take gets thanks
    instead of a verdict.

    Notebook: 10_live_demo.ipynb
    """
    if take.status == "calibration":
        return f"<span class='serlib-heard'>{html.escape(CALIBRATION_THANKS)}</span>"
    if take.status != "ok":
        return (f"<b style='color:#868e96'>{NOTHING_HEARD.capitalize()}</b> "
                f"(level {take.level_dbfs:.0f} dBFS): speak louder or closer to the microphone.")
    shown = getattr(take, "shown", None) or take.detected
    adapted = getattr(take, "detected_adapted", None)
    probs = (getattr(take, "probabilities_adapted", None) or take.probabilities) if adapted \
        else take.probabilities
    top = _probabilities(probs)[:3]
    matched = getattr(take, "matched_adapted", take.matched) if adapted else take.matched
    colour = "#2b8a3e" if matched else "#c92a2a"
    others = ", ".join(f"{html.escape(k)} {v:.0%}" for k, v in top[1:])
    text = (f"Your voice sounded <b class='serlib-heard' style='color:{colour}'>{html.escape(shown)}"
            f"</b> {TRAINED_ON} ({top[0][1]:.0%}; then {others}) - expected "
            f"{html.escape(take.expected)}")
    if adapted:
        n = getattr(take, "adapt_takes", 0) or 0
        if n:
            text += (f"<br><span class='serlib-small'>adapted to your voice from {n} earlier "
                     f"take{'s' if n != 1 else ''}; without adaptation: {html.escape(take.detected)}"
                     f" ({take.probabilities.get(take.detected, 0):.0%})</span>")
        else:
            text += ("<br><span class='serlib-small'>first take: judged against the training "
                     "voices; from the next take on, against your own voice</span>")
    return text


def calibration_html(text: str) -> str:
    """The calibration prompt: the sentence to read, in large type."""
    return ("Read this sentence aloud in your normal voice:<br>"
            f"<span class='serlib-sentence'>&ldquo;{html.escape(text)}&rdquo;</span>")


def consent_html(*, seconds: float, pictures: int, where: str, keep_days: float | None) -> str:
    """What the page says before the first recording: what is recorded, where it is kept
    and for how long, who sees it, and what a verdict means; then it asks for consent.

    Notebook: 10_live_demo.ipynb
    """
    how_long = (f"{keep_days:g} days; then the folder is deleted (serlib demo --keep-days)."
                if keep_days else "until you or the teacher delete the folder.")
    rows = [("What is recorded", f"Your voice, {seconds:g} seconds for each of {pictures} "
                                 "pictures, and what the model heard in it."),
            ("Where it is kept", f"On this computer, in a session folder inside {where} "
                                 "(named by the time it started, not by you)."),
            ("For how long", how_long),
            ("What the verdict means", "Which emotion your voice sounded like to a model "
                                       "trained on actors; it does not say how you feel.")]
    body = "".join(f"<dt><b>{html.escape(k)}</b></dt><dd>{html.escape(v)}</dd>" for k, v in rows)
    return (f"<div class='serlib-consent-text'><b>Before you record</b><dl>{body}</dl>"
            "If you do not agree, close this page: nothing has been recorded.</div>")


def session_options(**options) -> dict:
    """The keyword arguments of ``options`` that this serlib's :class:`Session` accepts
    (``adapt`` and ``calibration`` arrived with speaker adaptation)."""
    import inspect

    accepted = inspect.signature(Session).parameters
    return {k: v for k, v in options.items() if k in accepted}


class SessionUI:
    """The interactive session. Display it in a notebook cell and press Start.

    Args:
        prompts: the pictures (default: all in ``data/images/categories``).
        recorder: a recorder from :mod:`serlib.demo.recorders` (default:
            :func:`~serlib.demo.recorders.choose_recorder`).
        model: the model (default: the shipped one).
        seconds: recording length per picture.
        folder: session folder (default: a new one in ``sessions_dir()``).
        pause: seconds the verdict stays on screen before the next picture.
        image_width: width of the picture in pixels.
        calibration: start with a calibration prompt (a sentence read in a normal voice)
            that speaker adaptation uses as its reference; no verdict is shown for it.
        adapt: judge each take adapted to the student's voice (speaker adaptation).
        projector: large type and pictures for a projector (``serlib demo`` uses it).
        consent: before the first recording, say what is recorded, where it is kept and
            for how long (``keep_days``), and ask: two buttons start the session, keeping
            the recordings or only the verdicts (``serlib demo``'s page does this).
        keep_recordings: keep the WAVs (without ``consent``; with it, the student chooses).

    After the run, ``ui.session`` holds the :class:`Session` (results, folder).

    Notebook: 10_live_demo.ipynb
    """

    def __init__(self, prompts=None, *, recorder=None, model=None, seconds: float = 7.0,
                 folder=None, pause: float = 1.5, image_width: int = 300,
                 calibration: bool = False, adapt: bool = True, projector: bool = False,
                 consent: bool = False, keep_days: float | None = None,
                 keep_recordings: bool = True):
        import ipywidgets as w

        from serlib.demo.images import find_prompts
        from serlib.demo.recorders import choose_recorder

        self.prompts = list(prompts) if prompts is not None else find_prompts()
        self.recorder = recorder if recorder is not None else choose_recorder(prompts=self.prompts)
        if model is None:
            from serlib.predict import load_model

            model = load_model()
        self.model = model
        self.seconds = float(seconds)
        self.folder = folder
        self.pause = float(pause)
        self.calibration = bool(calibration)
        self.adapt = bool(adapt)
        self.keep_recordings = bool(keep_recordings)
        self.session: Session | None = None
        self.latencies_ms: list[float] = []
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

        self.start_button = w.Button(description="Start", icon="play", button_style="success",
                                     tooltip="Show the pictures and record a reaction to each")
        self.start_button.add_class("serlib-start")
        self.stop_button = w.Button(description="Stop", icon="stop", disabled=True,
                                    tooltip="End the session after the current picture")
        self.stop_button.add_class("serlib-stop")
        self.status = w.HTML(f"Recorder: {html.escape(self.recorder.describe())}. "
                             f"{html.escape(self._pictures_line())} Press Start.")
        self.status.add_class("serlib-status")
        self.projector = bool(projector)
        self.picture = w.Image(format="png", width=image_width, layout=w.Layout(display="none"))
        self.picture.add_class("serlib-picture")
        self.progress = w.FloatProgress(value=0.0, min=0.0, max=self.seconds, description="",
                                        bar_style="info",
                                        layout=w.Layout(width="520px" if projector else "320px",
                                                        height="36px" if projector else "auto"))
        self.countdown = w.HTML("")
        self.countdown.add_class("serlib-countdown")
        self.verdict = w.HTML("")
        self.verdict.add_class("serlib-verdict")
        self.grid = w.Image(format="png", layout=w.Layout(max_width="100%", display="none"))
        self.summary = w.HTML("")
        self.summary.add_class("serlib-summary")
        self.warning = w.HTML("")
        self.warning.add_class("serlib-warning")
        self.start_button.on_click(lambda _b: self.start())
        self.stop_button.on_click(lambda _b: self._stop.set())
        top = [w.HTML(PROJECTOR_CSS)] if projector else []
        self.consent = None
        if consent:
            from serlib.demo.session import sessions_dir, split_prompts

            try:
                count = len(split_prompts(self.prompts, self.model)[0])
            except SerlibError:
                count = len(self.prompts)
            where = str(self.folder.parent if self.folder is not None else sessions_dir())
            keep = w.Button(description="I agree: record, and keep my recordings",
                            button_style="success", layout=w.Layout(width="auto"))
            keep.add_class("serlib-agree-keep")
            verdicts = w.Button(description="I agree: record, but keep only the verdicts",
                                layout=w.Layout(width="auto"))
            verdicts.add_class("serlib-agree-verdicts")
            keep.on_click(lambda _b: self._agree(True))
            verdicts.on_click(lambda _b: self._agree(False))
            self.consent = w.VBox([w.HTML(consent_html(seconds=self.seconds, pictures=count,
                                                       where=where, keep_days=keep_days)),
                                   w.HBox([keep, verdicts])])
            self.consent.add_class("serlib-consent")
            top.append(self.consent)
            self.start_button.layout.display = "none"
            self.stop_button.layout.display = "none"
        top.append(w.HBox([self.start_button, self.stop_button]))
        if hasattr(self.recorder, "widget"):  # the browser microphone must be on the page
            top.append(self.recorder.widget)
        self.widget = w.VBox(top + [
            self.status,
            w.HBox([self.picture, w.VBox([self.progress, self.countdown, self.verdict],
                                         layout=w.Layout(padding="0 0 0 24px", flex="1"))]),
            self.summary, self.warning, self.grid])
        self.widget.add_class("serlib-session")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _agree(self, keep: bool) -> None:
        """A consent button: hide the question, remember the choice, start."""
        self.keep_recordings = bool(keep)
        self.consent.layout.display = "none"
        self.start_button.layout.display = ""
        self.stop_button.layout.display = ""
        self.start()

    # ------------------------------------------------------------------ callbacks
    def _on_progress(self, elapsed: float, total: float) -> None:
        self.progress.value = float(elapsed)
        left = max(0.0, total - elapsed)
        self.countdown.value = f"Recording: {left:.0f} s left" if left > 0.05 else "Listening..."

    def _show_prompt(self, prompt) -> None:
        n = self.session.position + 1
        if prompt.path.is_file():
            self.picture.value = prompt.path.read_bytes()
            self.picture.format = prompt.path.suffix.lstrip(".").lower().replace("jpg", "jpeg")
            self.picture.layout.display = ""
        self.progress.value = 0.0
        self.progress.bar_style = "info"
        self.verdict.value = ""
        if prompt.emotion == "calibration":
            from serlib.demo import images

            self.verdict.value = calibration_html(getattr(images, "CALIBRATION_TEXT", ""))
            self.status.value = (f"Picture {n} of {len(self.session.prompts)}: first, your normal "
                                 "voice, so the model can tell your emotions apart from your voice.")
            return
        self.status.value = (f"Picture {n} of {len(self.session.prompts)}: react aloud - "
                             "say anything, the way this picture makes you feel.")

    def _show_take(self, take) -> float:
        self.progress.bar_style = "success"
        self.countdown.value = ""
        self.verdict.value = result_html(take)
        return time.perf_counter()

    def _pictures_line(self) -> str:
        """What the session will show, counted as the :class:`Session` will: only pictures
        of emotions the model knows (the others are named as skipped)."""
        from serlib.demo.session import split_prompts

        try:
            shown, skipped = split_prompts(self.prompts, self.model)
        except SerlibError as exc:
            return str(exc)
        line = f"{len(shown)} pictures, {self.seconds:g} s each"
        emotions = sorted({p.emotion for p in skipped})
        if emotions:
            line += (f" (pictures of {', '.join(emotions)} are skipped: the model does not "
                     "know these emotions)")
        return line + "."

    # ------------------------------------------------------------------ running
    def _new_session(self) -> Session:
        return Session(self.prompts, self.model, folder=self.folder, seconds=self.seconds,
                       recorder_name=self.recorder.describe(),
                       **session_options(calibration=self.calibration, adapt=self.adapt,
                                         keep_recordings=self.keep_recordings))

    def start(self) -> None:
        """Start a new session in a worker thread (what the Start button does)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self.session = self._new_session()
        self.start_button.disabled = True
        self.stop_button.disabled = False
        self.grid.value = b""
        self.grid.layout.display = "none"
        self.summary.value = ""
        self.warning.value = ""
        self.summary.remove_class("serlib-done")
        self._thread = threading.Thread(target=self.run, name="serlib-session", daemon=True)
        self._thread.start()

    def run(self) -> Session:
        """Go through the pictures in the calling thread (``start()`` uses a worker thread).

        Fine for the kernel microphone and the file recorder; the browser microphone
        needs ``start()``, because the main thread must stay free for its messages.
        """
        if self.session is None or self.session.finished:
            self.session = self._new_session()
        session = self.session
        try:
            while (prompt := session.next_prompt()) is not None:
                if self._stop.is_set():
                    session.stop("stopped by the teacher")
                    break
                self._show_prompt(prompt)
                try:
                    y = self.recorder.record(session.seconds, progress=self._on_progress)
                except RecorderError as exc:
                    session.stop(str(exc))
                    self.status.value = f"<b style='color:#c92a2a'>Stopped:</b> {html.escape(str(exc))}"
                    break
                t0 = time.perf_counter()
                take = session.submit(y, getattr(self.recorder, "sample_rate", 16000))
                shown = self._show_take(take)
                self.latencies_ms.append((shown - t0) * 1000)
                if session.next_prompt() is not None and self.pause > 0:
                    self._stop.wait(self.pause)
        except Exception as exc:  # keep what was recorded, say what happened
            session.stop(f"unexpected error: {exc!r}")
            self.status.value = f"<b style='color:#c92a2a'>Stopped by an error:</b> {html.escape(repr(exc))}"
            raise
        finally:
            self._finish()
        return session

    def _finish(self) -> None:
        session = self.session
        self.start_button.disabled = False
        self.stop_button.disabled = True
        self.countdown.value = ""
        if session.stopped is None:
            self.status.value = "Done: the grid below shows every picture. Press Start to go again."
        if session.takes:
            fig, _ = session.plot_grid()
            self.grid.value = figure_png(fig, dpi=110 if self.projector else 80)
            self.grid.layout.display = ""
            if self.projector:  # the grid takes the picture's place on the screen
                self.picture.layout.display = "none"
                self.verdict.value = ""
        try:
            hindsight = getattr(session, "looking_back", lambda: None)()
        except (SerlibError, OSError) as exc:  # a WAV removed meanwhile; the session is saved
            hindsight = f"(Looking back was not possible: {exc})"
        self.summary.value = (f"<b>{html.escape(session.summary())}</b><br>"
                              + (f"{html.escape(hindsight)}<br>" if hindsight else "")
                              + ("Recordings and results.csv are saved"
                                 if getattr(session, "keep_recordings", True) else
                                 "No recording was kept; the verdicts (results.csv) are saved")
                              + f" in the session folder <code>{html.escape(session.folder.name)}</code>.")
        warning = getattr(session, "monotone_warning", lambda: None)()
        if warning:
            self.warning.value = f"&#9888; {html.escape(warning)}"
        self.summary.add_class("serlib-done")

    def wait(self, timeout: float | None = None) -> Session | None:
        """Block until the worker thread finishes (scripts and tests; not with the
        browser microphone in the kernel's main thread)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.session


# --------------------------------------------------------------------------- the page
#: Environment variable naming the JSON settings file of ``serlib demo``'s page.
SETTINGS_ENV = "SERLIB_DEMO_SETTINGS"
#: What the page uses when a setting is not given.
PAGE_DEFAULTS = {"recorder": "browser", "seconds": 7.0, "model": None, "images": None,
                 "sessions": None, "calibrate": True, "adapt": True, "pause": 2.0,
                 "image_width": 560, "keep_days": None}


def page_settings(path=None) -> dict:
    """The page's settings: :data:`PAGE_DEFAULTS` updated from the JSON file named by
    ``path`` or ``$SERLIB_DEMO_SETTINGS`` (written by ``serlib demo``)."""
    import json
    import os

    settings = dict(PAGE_DEFAULTS)
    path = path or os.environ.get(SETTINGS_ENV)
    if path:
        from pathlib import Path

        settings.update(json.loads(Path(path).read_text()))
    return settings


def _page_recorder(kind: str, prompts):
    from serlib.demo.recorders import FileRecorder, KernelMicrophone

    if kind == "browser":
        from serlib.demo.browser import BrowserMicrophone

        return BrowserMicrophone()
    if kind == "kernel":
        return KernelMicrophone()
    if kind == "files":
        return FileRecorder.for_prompts(prompts, realtime=True)
    raise RecorderError(f"unknown recorder {kind!r}: use kernel, browser or files")


def demo_page(settings: dict | None = None):
    """The standalone page of ``serlib demo``: a title and a projector-sized
    :class:`SessionUI`, configured by :func:`page_settings`. A problem (no pictures, no
    model, no microphone) is shown on the page as one large sentence instead of a
    traceback.

    Notebook: 10_live_demo.ipynb
    """
    import os

    import ipywidgets as w

    from serlib.demo.images import find_prompts
    from serlib.demo.session import SESSIONS_ENV
    from serlib.errors import SerlibError

    settings = page_settings() if settings is None else {**PAGE_DEFAULTS, **settings}
    title = w.HTML("<h1 style='font-size:44px;margin:0.2em 0'>React to the pictures</h1>"
                   "<p style='font-size:22px;margin:0'>A picture appears; say aloud whatever it "
                   "makes you feel. A model guesses which emotion your voice sounded like."
                   "</p>")
    if settings["sessions"]:
        os.environ[SESSIONS_ENV] = str(settings["sessions"])
    try:
        from serlib.adaptation import prior_of
        from serlib.demo.images import calibration_prompt
        from serlib.predict import load_model

        model = load_model(settings["model"])
        # Only pictures of emotions the model knows (as the Session keeps them); the file
        # recorder replays one clip per picture the session will show, calibration first.
        prompts = find_prompts(settings["images"], emotions=[str(c) for c in model.classes_])
        calibrating = settings["calibrate"] and settings["adapt"] and prior_of(model) is not None
        replayed = ([calibration_prompt()] if calibrating else []) + list(prompts)
        recorder = _page_recorder(settings["recorder"], replayed)
        reason = recorder.why_unavailable()
        if reason:
            raise RecorderError(reason)
    except SerlibError as exc:  # RecorderError and ModelError are SerlibErrors
        problem = w.HTML(f"<p style='font-size:26px;color:#c92a2a'>{html.escape(str(exc))}</p>")
        problem.add_class("serlib-page-error")
        return w.VBox([title, problem])
    ui = SessionUI(prompts, recorder=recorder, model=model, seconds=settings["seconds"],
                   pause=settings["pause"], image_width=settings["image_width"],
                   calibration=settings["calibrate"], adapt=settings["adapt"], projector=True,
                   consent=True, keep_days=settings["keep_days"])
    page = w.VBox([title, ui.widget], layout=w.Layout(padding="12px 28px"))
    page.session_ui = ui
    return page
