"""The session's user interface: a thin ipywidgets layer over :class:`~serlib.demo.session.Session`.

A Start button; then, for each picture, the picture, a progress bar that counts the
recording down, and the detected emotion; at the end the grid of all pictures with
their probabilities. The session runs in a worker thread so the kernel stays free to
receive the browser microphone's sound and the page stays responsive (a Stop button
ends the session after the current picture).

Notebook: 08_live_demo.ipynb
"""
from __future__ import annotations

import html
import io
import threading
import time

from serlib.demo.session import NOTHING_HEARD, Session
from serlib.errors import RecorderError


def figure_png(fig, dpi: int = 80) -> bytes:
    """A matplotlib figure as PNG bytes (closed afterwards)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def result_html(take) -> str:
    """The one-line verdict shown under the picture after each recording."""
    if take.status != "ok":
        return (f"<b style='color:#868e96'>{NOTHING_HEARD.capitalize()}</b> "
                f"(level {take.level_dbfs:.0f} dBFS): speak louder or closer to the microphone.")
    top = sorted(take.probabilities.items(), key=lambda kv: -kv[1])[:3]
    others = ", ".join(f"{html.escape(k)} {v:.0%}" for k, v in top[1:])
    colour = "#2b8a3e" if take.matched else "#c92a2a"
    return (f"Heard: <b style='color:{colour}'>{html.escape(take.detected)}</b> "
            f"({top[0][1]:.0%}; then {others}) - expected {html.escape(take.expected)}")


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

    After the run, ``ui.session`` holds the :class:`Session` (results, folder).

    Notebook: 08_live_demo.ipynb
    """

    def __init__(self, prompts=None, *, recorder=None, model=None, seconds: float = 7.0,
                 folder=None, pause: float = 1.5, image_width: int = 300):
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
                             f"{len(self.prompts)} pictures, {self.seconds:g} s each. Press Start.")
        self.status.add_class("serlib-status")
        self.picture = w.Image(format="png", width=image_width)
        self.progress = w.FloatProgress(value=0.0, min=0.0, max=self.seconds, description="",
                                        bar_style="info", layout=w.Layout(width="320px"))
        self.countdown = w.Label("")
        self.verdict = w.HTML("")
        self.verdict.add_class("serlib-verdict")
        self.grid = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.summary = w.HTML("")
        self.summary.add_class("serlib-summary")
        self.start_button.on_click(lambda _b: self.start())
        self.stop_button.on_click(lambda _b: self._stop.set())
        top = [w.HBox([self.start_button, self.stop_button])]
        if hasattr(self.recorder, "widget"):  # the browser microphone must be on the page
            top.append(self.recorder.widget)
        self.widget = w.VBox(top + [
            self.status,
            w.HBox([self.picture, w.VBox([self.progress, self.countdown, self.verdict])]),
            self.summary, self.grid])
        self.widget.add_class("serlib-session")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    # ------------------------------------------------------------------ callbacks
    def _on_progress(self, elapsed: float, total: float) -> None:
        self.progress.value = float(elapsed)
        left = max(0.0, total - elapsed)
        self.countdown.value = f"Recording: {left:.0f} s left" if left > 0.05 else "Thinking..."

    def _show_prompt(self, prompt) -> None:
        n = self.session.position + 1
        self.picture.value = prompt.path.read_bytes()
        self.picture.format = prompt.path.suffix.lstrip(".").lower().replace("jpg", "jpeg")
        self.progress.value = 0.0
        self.progress.bar_style = "info"
        self.verdict.value = ""
        self.status.value = (f"Picture {n} of {len(self.session.prompts)}: react aloud - "
                             "say anything, the way this picture makes you feel.")

    def _show_take(self, take) -> float:
        self.progress.bar_style = "success"
        self.countdown.value = ""
        self.verdict.value = result_html(take)
        return time.perf_counter()

    # ------------------------------------------------------------------ running
    def start(self) -> None:
        """Start a new session in a worker thread (what the Start button does)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self.session = Session(self.prompts, self.model, folder=self.folder, seconds=self.seconds,
                               recorder_name=self.recorder.describe())
        self.start_button.disabled = True
        self.stop_button.disabled = False
        self.grid.value = b""
        self.summary.value = ""
        self.summary.remove_class("serlib-done")
        self._thread = threading.Thread(target=self.run, name="serlib-session", daemon=True)
        self._thread.start()

    def run(self) -> Session:
        """Go through the pictures in the calling thread (``start()`` uses a worker thread).

        Fine for the kernel microphone and the file recorder; the browser microphone
        needs ``start()``, because the main thread must stay free for its messages.
        """
        if self.session is None or self.session.finished:
            self.session = Session(self.prompts, self.model, folder=self.folder,
                                   seconds=self.seconds, recorder_name=self.recorder.describe())
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
        if session.takes:
            fig, _ = session.plot_grid()
            self.grid.value = figure_png(fig)
        self.summary.value = (f"<b>{html.escape(session.summary())}</b><br>Recordings and "
                              f"results.csv are saved in the session folder "
                              f"<code>{html.escape(session.folder.name)}</code>.")
        self.summary.add_class("serlib-done")

    def wait(self, timeout: float | None = None) -> Session | None:
        """Block until the worker thread finishes (scripts and tests; not with the
        browser microphone in the kernel's main thread)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.session
