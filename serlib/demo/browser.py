"""The browser microphone: record in the student's browser, analyse in the kernel.

When the kernel runs on a server (JupyterHub, Colab, a remote machine), the kernel's
machine has no microphone, but the browser showing the notebook has one. This
recorder is a small widget (built with `anywidget <https://anywidget.dev>`_): the
kernel asks it to record N seconds; the browser opens the microphone with
``getUserMedia``, captures the raw samples with the Web Audio API and sends them back
to the kernel as one binary message.

How the pieces talk::

    kernel (worker thread)          kernel (main thread)          browser
    record(7) ── send {"cmd": "record"} ─────────────────────────▶ getUserMedia,
       waits                         ◀── {"event": "progress"} ──  capture 7 s
       │                             ◀── {"event": "audio"} + PCM ─┘
       └──── wakes up, resamples to 16 kHz, returns the signal

The kernel's main thread must be free to receive those messages, so
:meth:`BrowserMicrophone.record` runs in a worker thread - the session user interface
(:mod:`serlib.demo.ui`) does exactly that. A refusal in the browser (permission
denied, no microphone, page not served over https/localhost) is shown in the widget
and raised in the kernel as a :class:`~serlib.errors.RecorderError`.

Notebook: 10_live_demo.ipynb
"""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from serlib.config import SAMPLE_RATE
from serlib.demo.recorders import Recorder, _tick
from serlib.errors import RecorderError

#: The recording itself (open the microphone, capture N seconds), shared with the class
#: page (:mod:`serlib.demo.classroom`), which serves the same file.
CAPTURE_JS = (Path(__file__).with_name("static") / "capture.js").read_text()

_ESM = CAPTURE_JS + r"""
function render({ model, el }) {
  el.classList.add("serlib-mic");
  const button = document.createElement("button");
  button.className = "serlib-mic-enable jupyter-button";
  button.textContent = "Enable microphone";
  const status = document.createElement("span");
  status.className = "serlib-mic-status";
  status.style.marginLeft = "0.6em";
  status.textContent = "Browser microphone: not opened yet.";
  el.append(button, status);
  const show = (text, bad = false) => {
    status.textContent = text;
    status.style.color = bad ? "#c92a2a" : "";
    status.dataset.state = bad ? "error" : "ok";
  };
  let held = null;

  async function open() {
    held = await serlibOpenMicrophone(held);
    return held;
  }

  function fail(id, err) {
    const name = (err && err.name) || "Error";
    const message = (err && err.message) || String(err);
    show(`Microphone unavailable (${name}): ${message}`, true);
    model.send({ event: "error", id, name, message });
  }

  button.addEventListener("click", async () => {
    try {
      await open();
      show(`Microphone ready (${held.ctx.sampleRate} Hz).`);
      model.send({ event: "enabled", rate: held.ctx.sampleRate });
    } catch (err) {
      fail(null, err);
    }
  });

  async function record(id, seconds) {
    try {
      await open();
    } catch (err) {
      fail(id, err);
      return;
    }
    show("Recording\u2026");
    const { pcm, rate, ended } = await serlibCapture(
      held.ctx, held.stream, seconds, (elapsed) => model.send({ event: "progress", id, elapsed }));
    const got = pcm.length;
    model.send({ event: "audio", id, rate, samples: got, ended }, undefined, [pcm.buffer]);
    show(ended ? "The microphone stopped (unplugged?)." : `Sent ${(got / rate).toFixed(1)} s to the kernel.`, ended);
  }

  model.on("msg:custom", (msg) => {
    if (msg && msg.cmd === "record") record(msg.id, msg.seconds);
  });
  model.set("views", model.get("views") + 1);
  model.save_changes();
}
export default { render };
"""

#: What to tell the user for each getUserMedia refusal (DOMException names).
ADVICE = {
    "NotAllowedError": (
        "The browser refused the microphone (permission denied). Click the microphone or lock "
        "icon in the address bar, allow the microphone for this page, then press Start again."),
    "NotFoundError": (
        "The browser found no microphone. Plug one in (or pick one in the browser's settings), "
        "then press Start again."),
    "NotReadableError": (
        "The browser could not open the microphone: another program or tab is using it. Close "
        "it, then press Start again."),
    "InsecureContextError": (
        "The browser allows the microphone only on https:// pages or on http://localhost. Open "
        "JupyterLab through https (or localhost), or use the kernel microphone / file recorder."),
}


def _kernel():
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    ip = get_ipython()
    return getattr(ip, "kernel", None) if ip is not None else None


def _widget_class():
    import anywidget
    import traitlets

    class MicrophoneWidget(anywidget.AnyWidget):
        """The browser side: a button, a status line and the recording code."""

        _esm = _ESM
        views = traitlets.Int(0).tag(sync=True)

    return MicrophoneWidget


class _Pending:
    def __init__(self, progress, seconds):
        self.progress = progress
        self.seconds = seconds
        self.done = threading.Event()
        self.content: dict = {}
        self.buffer = None


class BrowserMicrophone(Recorder):
    """Records in the browser that shows the notebook and sends the sound to the kernel.

    Display it (``display(mic)``, or put it in the session UI, which does so) before
    recording. :meth:`record` must be called from a worker thread, because the
    kernel's main thread has to receive the browser's messages.

    Args:
        timeout: seconds to wait beyond the recording length (the first time the browser
            asks the user for permission, which takes a moment).

    Notebook: 10_live_demo.ipynb
    """

    name = "browser microphone"

    def __init__(self, *, timeout: float = 30.0):
        try:
            self.widget = _widget_class()()
        except ImportError as exc:
            raise RecorderError(
                f"The browser microphone needs the packages anywidget and ipywidgets ({exc}): "
                "pip install anywidget ipywidgets") from exc
        self.timeout = float(timeout)
        self.browser_rate: int | None = None
        self._counter = 0
        self._pending: dict[int, _Pending] = {}
        self.last_error: str | None = None
        self.widget.on_msg(self._on_msg)

    @classmethod
    def if_possible(cls):
        """A BrowserMicrophone, or a string saying why none can be made here."""
        if _kernel() is None:
            return "the browser microphone works only inside a Jupyter notebook (an IPython kernel)"
        try:
            return cls()
        except RecorderError as exc:
            return str(exc)

    # -- Jupyter display: showing the recorder shows its widget
    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def _check(self) -> None:
        if _kernel() is None:
            raise RecorderError("The browser microphone works only inside a Jupyter notebook: use "
                                "the kernel microphone or the file recorder here.")

    def _on_msg(self, widget, content, buffers):
        event = content.get("event")
        if event == "enabled":
            self.browser_rate = int(content.get("rate") or 0) or None
            return
        pending = self._pending.get(content.get("id"))
        if event == "error" and pending is None:
            self.last_error = self._advice(content)
            for waiting in list(self._pending.values()):  # a refusal ends every wait
                waiting.content = content
                waiting.done.set()
            return
        if pending is None or pending.done.is_set():
            return  # late message, or a second view of the same widget answering
        if event == "progress":
            _tick(pending.progress, float(content.get("elapsed", 0.0)), pending.seconds)
        elif event in ("audio", "error"):
            pending.content = content
            pending.buffer = bytes(buffers[0]) if buffers else b""
            pending.done.set()

    @staticmethod
    def _advice(content: dict) -> str:
        name = content.get("name", "Error")
        detail = content.get("message", "")
        advice = ADVICE.get(name, "The browser could not record. Reload the page and press Start "
                                  "again, or use the file recorder.")
        return f"{advice} (browser said: {name}: {detail})"

    def record(self, seconds: float, progress=None) -> np.ndarray:
        """Record ``seconds`` in the browser; float32 mono at 16 kHz.

        Raises :class:`RecorderError` when the widget is not shown anywhere, when the
        browser refuses the microphone, when it does not answer in time, or when the
        microphone stops part-way.

        Notebook: 10_live_demo.ipynb
        """
        self._check()
        if threading.current_thread() is threading.main_thread():
            raise RecorderError(
                "BrowserMicrophone.record() cannot run in the kernel's main thread: the kernel "
                "would be too busy to receive the browser's sound. Use the session UI "
                "(serlib.demo.SessionUI), which records in a worker thread.")
        if self.widget.views < 1:
            raise RecorderError(
                "The browser microphone widget is not shown in any browser tab: display it "
                "(the session UI shows it) in an open JupyterLab/Notebook page first.")
        self._counter += 1
        rid = self._counter
        pending = _Pending(progress, float(seconds))
        self._pending[rid] = pending
        try:
            _tick(progress, 0.0, seconds)
            self.widget.send({"cmd": "record", "id": rid, "seconds": float(seconds)})
            if not pending.done.wait(seconds + self.timeout):
                raise RecorderError(
                    f"The browser microphone did not answer within {seconds + self.timeout:.0f} s. "
                    "Is the notebook open in a browser tab, and was the microphone allowed? "
                    "Reload the page and press Start again.")
        finally:
            self._pending.pop(rid, None)
        content = pending.content
        if content.get("event") == "error":
            self.last_error = self._advice(content)
            raise RecorderError(self.last_error)
        rate = int(content.get("rate") or 0)
        y = np.frombuffer(pending.buffer or b"", dtype=np.float32)
        self.browser_rate = rate or self.browser_rate
        if content.get("ended"):
            raise RecorderError(
                f"The browser's microphone stopped after {y.size / max(rate, 1):.1f} s of "
                f"{seconds:g} s (unplugged?). Reconnect it and press Start again.")
        if rate <= 0 or y.size == 0:
            raise RecorderError("The browser sent no sound. Reload the page and press Start again.")
        if rate != SAMPLE_RATE:
            from serlib.audio import resample

            y = resample(y, rate, SAMPLE_RATE)
        _tick(progress, seconds, seconds)
        return np.ascontiguousarray(y, dtype=np.float32)
