"""The image-prompt session, without any user interface.

A session shows pictures one after another; for each it records the student's spoken
reaction, judges whether anything was said, and asks a model which emotion it hears.
Everything lands in a session folder, so nothing said in class is lost::

    <folder>/
        session.json            # settings: seconds, recorder, model, pictures, stop reason
        results.csv             # one row per picture: expected, detected, probabilities
        01_neutral.wav          # every recording, 16 kHz mono
        pictures/01_neutral.png # a copy of each picture, so the folder stands alone

``Session.load(folder)`` reopens it; ``session.rescore(model)`` judges the same
recordings with another model (written to ``results_<name>.csv`` beside the original).

The user interface (:mod:`serlib.demo.ui`) is a thin layer over :meth:`Session.record_next`;
tests and the command line use this module directly.

Notebook: 08_live_demo.ipynb
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import numpy as np

from serlib.config import SAMPLE_RATE
from serlib.demo.images import Prompt, find_prompts
from serlib.errors import RecorderError, SerlibError

# The speech test lives in serlib.speech (shared with `serlib predict`); these names stay
# importable from here for existing code and notebooks.
from serlib.speech import (  # noqa: E402,F401
    MARGIN_SECONDS, MIN_CONTRAST_DB, MIN_SPEECH_SECONDS, NOTHING_HEARD, QUIET_DBFS, TRIM_TOP_DB,
    check_speech, frame_levels, speech_part)

#: Environment variable naming the folder that holds session folders.
SESSIONS_ENV = "SERLIB_SESSIONS"


def sessions_dir() -> Path:
    """Where new session folders go: ``$SERLIB_SESSIONS``, else the user's data folder
    (e.g. ``~/.local/share/serlib/sessions`` on Linux). Never inside the data root.

    Notebook: 08_live_demo.ipynb
    """
    env = os.environ.get(SESSIONS_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("serlib")) / "sessions"


def new_session_folder(parent: str | os.PathLike | None = None) -> Path:
    """Create and return a fresh, time-stamped folder inside ``parent`` (or :func:`sessions_dir`)."""
    parent = Path(parent) if parent is not None else sessions_dir()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for k in range(1000):
        folder = parent / (stamp if k == 0 else f"{stamp}-{k}")
        try:
            folder.mkdir(parents=True, exist_ok=False)
            return folder
        except FileExistsError:
            continue
    raise SerlibError(f"Could not create a new session folder in {parent}: too many sessions "
                      "started in the same second.")


@dataclass
class Take:
    """The result for one picture.

    ``status`` is ``"ok"`` (an emotion was detected), ``"silent"`` (nothing to judge:
    :data:`NOTHING_HEARD`). ``detected`` is ``None`` when silent.
    """

    index: int
    prompt: str
    expected: str
    detected: str | None
    status: str
    probabilities: dict = field(default_factory=dict)
    level_dbfs: float = float("-inf")
    contrast_db: float = 0.0
    speech_seconds: float = 0.0
    seconds: float = 0.0
    wav: str = ""
    picture: str = ""
    latency_ms: float = 0.0

    @classmethod
    def from_judgement(cls, judgement, **fields) -> "Take":
        """A take from :func:`analyse`'s verdict plus the picture's and file's fields."""
        pred, level, contrast, speech = judgement
        return cls(detected=pred.emotion if pred else None, status="ok" if pred else "silent",
                   probabilities=dict(pred.probabilities) if pred else {},
                   level_dbfs=round(float(level), 2) if math.isfinite(level) else float("-inf"),
                   contrast_db=round(contrast, 2), speech_seconds=round(speech, 3), **fields)

    @property
    def matched(self) -> bool:
        """True when the detected emotion is the expected one."""
        return self.detected is not None and self.detected == self.expected

    @property
    def label(self) -> str:
        """The detected emotion, or :data:`NOTHING_HEARD`."""
        return self.detected if self.detected is not None else NOTHING_HEARD


class Judgement(NamedTuple):
    """What :func:`analyse` found in one recording."""

    prediction: object  # serlib.predict.Prediction, or None when nothing was heard
    level_dbfs: float  # level of the loudest tenth of the recording
    contrast_db: float  # loudest tenth minus quietest tenth: speech comes and goes
    speech_seconds: float  # length of the part that was judged


def analyse(model, y: np.ndarray, sr: int = SAMPLE_RATE, *, quiet_dbfs: float = QUIET_DBFS,
            min_contrast_db: float = MIN_CONTRAST_DB) -> Judgement:
    """Judge one recording; returns a :class:`Judgement`.

    Nothing is predicted (``prediction`` is ``None``, the session says "we heard
    nothing") when the loudest tenth of the recording is quieter than ``quiet_dbfs``,
    when the level hardly changes (less than ``min_contrast_db`` between loud and quiet
    moments: steady hum or fan noise, not speech), or when the speech part is shorter
    than :data:`MIN_SPEECH_SECONDS` (one test for every entry point:
    :func:`serlib.speech.check_speech`). Otherwise the model judges the speech part
    (:func:`speech_part`).

    Notebook: 08_live_demo.ipynb
    """
    from serlib.audio import resample
    from serlib.predict import predict_signal

    y = np.asarray(y, dtype=np.float32).reshape(-1)
    if sr != SAMPLE_RATE:
        y = resample(y, sr, SAMPLE_RATE)
    check = check_speech(y, quiet_dbfs=quiet_dbfs, min_contrast_db=min_contrast_db)
    if not check.heard:
        return Judgement(None, check.level_dbfs, check.contrast_db, check.speech_seconds)
    # check=False: the speech test has just run, so predict_signal does not repeat it
    prediction = predict_signal(model, check.part, SAMPLE_RATE, check=False)
    return Judgement(prediction, check.level_dbfs, check.contrast_db, check.speech_seconds)


def _model_name(model, fallback: str = "model") -> str:
    path = getattr(model, "path", None)
    if isinstance(path, Path):
        return path.name
    meta = getattr(model, "metadata", None)
    if isinstance(meta, dict) and meta.get("name"):
        return str(meta["name"])
    for attr in ("name", "model_name", "spec_name"):
        value = getattr(model, attr, None)
        if isinstance(value, str) and value:
            return value
    return getattr(model, "_serlib_name", None) or fallback


class Session:
    """One run through the prompt pictures, saved to a folder as it goes.

    Args:
        prompts: the pictures (default: :func:`~serlib.demo.images.find_prompts`).
        model: a model for :func:`serlib.predict.predict_signal` (default: the shipped
            model, loaded once here so the first prediction is as fast as the others).
        folder: the session folder (default: a new one in :func:`sessions_dir`).
        seconds: recording length per picture (7 s: time to react, not too long to wait).
        quiet_dbfs: recordings quieter than this are reported as "we heard nothing".

    Notebook: 08_live_demo.ipynb
    """

    def __init__(self, prompts=None, model=None, *, folder: str | os.PathLike | None = None,
                 seconds: float = 7.0, quiet_dbfs: float = QUIET_DBFS, model_name: str | None = None,
                 recorder_name: str = ""):
        if seconds <= 0:
            raise ValueError(f"seconds={seconds}: a recording must last more than 0 seconds")
        if model is None:
            from serlib.predict import default_model_path, load_model

            model = load_model()
            model_name = model_name or default_model_path().name
        self.model = model
        self.model_name = model_name or _model_name(model)
        self.prompts: list[Prompt] = list(prompts) if prompts is not None else find_prompts()
        self.folder = Path(folder) if folder is not None else new_session_folder()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.seconds = float(seconds)
        self.quiet_dbfs = float(quiet_dbfs)
        self.recorder_name = recorder_name
        self.takes: list[Take] = []
        self.stopped: str | None = None
        self.created = datetime.now().isoformat(timespec="seconds")
        self.results_name = "results.csv"

    def warm_up(self) -> None:
        """Judge one short synthetic sound, so the first real verdict comes as fast as the
        others (the first call loads librosa's and the resampler's compiled code)."""
        from serlib.audio import resample, tone

        quiet = np.zeros(SAMPLE_RATE // 4, np.float32)
        y = np.concatenate([quiet, tone(220.0, 1.0, amplitude=0.3), quiet])
        resample(y[:4800], 48_000, SAMPLE_RATE)
        analyse(self.model, y)

    # ------------------------------------------------------------------ progress
    @property
    def position(self) -> int:
        """How many pictures have been done."""
        return len(self.takes)

    @property
    def finished(self) -> bool:
        """True when every picture has a result, or the session was stopped."""
        return self.stopped is not None or self.position >= len(self.prompts)

    def next_prompt(self) -> Prompt | None:
        """The picture to show now, or ``None`` when the session is over."""
        return None if self.finished else self.prompts[self.position]

    # ------------------------------------------------------------------ the work
    def submit(self, y: np.ndarray, sr: int = SAMPLE_RATE) -> Take:
        """Judge and save the recording for the current picture, then move on.

        Saves the WAV, the picture copy and the updated CSV before returning, so the
        result is on disk by the time it is shown.

        Notebook: 08_live_demo.ipynb
        """
        from serlib.audio import resample, save

        start = time.perf_counter()
        prompt = self.next_prompt()
        if prompt is None:
            raise SerlibError("This session is over: start a new Session to record more.")
        y = np.asarray(y, dtype=np.float32).reshape(-1)
        if sr != SAMPLE_RATE:
            y = resample(y, sr, SAMPLE_RATE)
        judgement = analyse(self.model, y, quiet_dbfs=self.quiet_dbfs)
        index = self.position + 1
        stem = f"{index:02d}_{_slug(prompt.emotion)}"
        wav = save(self.folder / f"{stem}.wav", y, SAMPLE_RATE)
        picture = self.folder / "pictures" / f"{stem}{prompt.path.suffix.lower()}"
        picture.parent.mkdir(exist_ok=True)
        if prompt.path.is_file():
            shutil.copyfile(prompt.path, picture)
        take = Take.from_judgement(judgement, index=index, prompt=prompt.name,
                                   expected=prompt.emotion, seconds=round(y.size / SAMPLE_RATE, 3),
                                   wav=wav.name, picture=f"pictures/{picture.name}")
        take.latency_ms = round((time.perf_counter() - start) * 1000, 1)
        self.takes.append(take)
        self.save()
        return take

    def record_next(self, recorder, progress=None) -> Take:
        """Record the current picture with ``recorder`` and :meth:`submit` it.

        When the recorder fails (device unplugged, permission withdrawn) the session is
        stopped: :attr:`stopped` holds the message, everything recorded so far stays on
        disk, and the :class:`RecorderError` is raised again for the caller to show.

        Notebook: 08_live_demo.ipynb
        """
        if self.next_prompt() is None:
            raise SerlibError("This session is over: start a new Session to record more.")
        self.recorder_name = self.recorder_name or getattr(recorder, "name", "")
        try:
            y = recorder.record(self.seconds, progress=progress)
        except RecorderError as exc:
            self.stop(str(exc))
            raise
        return self.submit(y, getattr(recorder, "sample_rate", SAMPLE_RATE))

    def stop(self, reason: str) -> None:
        """End the session early; ``reason`` is kept in ``session.json``."""
        self.stopped = reason
        self.save()

    def run(self, recorder, *, progress=None, on_prompt=None, on_take=None) -> list[Take]:
        """Go through every picture with ``recorder``; returns the takes.

        ``on_prompt(prompt)`` is called before each recording, ``on_take(take)`` after
        each result. A recorder failure stops the session cleanly (see
        :meth:`record_next`); :attr:`stopped` then says why.

        Notebook: 08_live_demo.ipynb
        """
        while (prompt := self.next_prompt()) is not None:
            if on_prompt is not None:
                on_prompt(prompt)
            try:
                take = self.record_next(recorder, progress=progress)
            except RecorderError:
                break
            if on_take is not None:
                on_take(take)
        return self.takes

    # ------------------------------------------------------------------ files
    def table(self):
        """The results as a pandas DataFrame (one row per picture, ``p_<emotion>`` columns).

        Notebook: 08_live_demo.ipynb
        """
        import pandas as pd

        classes = [str(c) for c in getattr(self.model, "classes_", [])]
        for take in self.takes:
            classes += [c for c in take.probabilities if c not in classes]
        rows = []
        for take in self.takes:
            row = {k: v for k, v in asdict(take).items() if k != "probabilities"}
            row["matched"] = take.matched
            row["detected"] = take.label
            row.update({f"p_{c}": round(float(take.probabilities.get(c, float("nan"))), 4)
                        for c in classes})
            rows.append(row)
        columns = ["index", "prompt", "expected", "detected", "matched", "status", "level_dbfs",
                   "contrast_db", "speech_seconds", "seconds", "latency_ms", "wav", "picture"]
        return pd.DataFrame(rows, columns=columns + [f"p_{c}" for c in classes])

    def save(self) -> Path:
        """Write ``session.json`` and the results CSV; returns the CSV path."""
        meta = {
            "created": self.created,
            "seconds": self.seconds,
            "quiet_dbfs": self.quiet_dbfs,
            "recorder": self.recorder_name,
            "model": self.model_name,
            "stopped": self.stopped,
            "prompts": [{"emotion": p.emotion, "name": p.name, "path": str(p.path)} for p in self.prompts],
        }
        (self.folder / "session.json").write_text(json.dumps(meta, indent=2) + "\n")
        path = self.folder / self.results_name
        self.table().to_csv(path, index=False)
        return path

    @classmethod
    def load(cls, folder: str | os.PathLike, model=None) -> "Session":
        """Reopen a saved session (its settings, pictures and results).

        ``model`` is only needed to record more or to :meth:`rescore`; without it the
        stored results are shown as they were.

        Notebook: 08_live_demo.ipynb
        """
        import pandas as pd

        folder = Path(folder)
        meta_path = folder / "session.json"
        if not meta_path.is_file():
            raise SerlibError(f"{folder} is not a session folder (no session.json in it): pick "
                              "a folder that a Session wrote.")
        meta = json.loads(meta_path.read_text())
        session = cls.__new__(cls)
        session.model = model
        session.model_name = meta.get("model", "")
        prompts = []
        for p in meta.get("prompts", []):
            prompts.append(Prompt(path=Path(p["path"]), emotion=p["emotion"]))
        session.prompts = prompts
        session.folder = folder
        session.seconds = float(meta.get("seconds", 7.0))
        session.quiet_dbfs = float(meta.get("quiet_dbfs", QUIET_DBFS))
        session.recorder_name = meta.get("recorder", "")
        session.stopped = meta.get("stopped")
        session.created = meta.get("created", "")
        session.results_name = "results.csv"
        session.takes = []
        csv = folder / "results.csv"
        if csv.is_file() and csv.stat().st_size > 0:
            df = pd.read_csv(csv)
            for _, row in df.iterrows():
                probs = {c[2:]: float(row[c]) for c in df.columns
                         if c.startswith("p_") and not pd.isna(row[c])}
                detected = None if row["status"] != "ok" else str(row["detected"])
                session.takes.append(Take(
                    index=int(row["index"]), prompt=str(row["prompt"]), expected=str(row["expected"]),
                    detected=detected, status=str(row["status"]), probabilities=probs,
                    level_dbfs=float(row["level_dbfs"]), contrast_db=float(row["contrast_db"]),
                    speech_seconds=float(row["speech_seconds"]),
                    seconds=float(row["seconds"]), wav=str(row["wav"]), picture=str(row["picture"]),
                    latency_ms=float(row["latency_ms"])))
        return session

    def rescore(self, model, *, name: str | None = None, save: bool = True) -> "Session":
        """Judge the saved recordings again with ``model``; returns a new Session.

        The new results go to ``results_<name>.csv`` in the same folder (the original
        ``results.csv`` stays as it was); ``name`` defaults to the model's name.

        Notebook: 08_live_demo.ipynb
        """
        from serlib.audio import load

        new = Session.__new__(Session)
        new.__dict__.update(self.__dict__)
        new.model = model
        new.model_name = name or _model_name(model, "rescored")
        new.results_name = f"results_{_slug(new.model_name)}.csv"
        new.takes = []
        for take in self.takes:
            start = time.perf_counter()
            y = load(self.folder / take.wav, sr=SAMPLE_RATE)
            new.takes.append(Take.from_judgement(
                analyse(model, y, quiet_dbfs=self.quiet_dbfs), index=take.index, prompt=take.prompt,
                expected=take.expected, seconds=take.seconds, wav=take.wav, picture=take.picture,
                latency_ms=round((time.perf_counter() - start) * 1000, 1)))
        if save:
            new.table().to_csv(self.folder / new.results_name, index=False)
        return new

    # ------------------------------------------------------------------ showing
    def summary(self) -> str:
        """One or two sentences: how many pictures matched, and why the session stopped."""
        judged = [t for t in self.takes if t.status == "ok"]
        matched = sum(t.matched for t in judged)
        text = (f"{len(self.takes)} of {len(self.prompts)} pictures recorded; "
                f"{len(judged)} judged, {matched} matched the expected emotion")
        silent = len(self.takes) - len(judged)
        if silent:
            text += f"; {silent} with nothing heard"
        text += "."
        if self.stopped:
            text += f" Stopped early: {self.stopped}"
        return text

    def plot_grid(self, *, columns: int = 4, top: int = 4, width: float = 10.0):
        """The end-of-session grid: each picture, expected vs detected emotion, and a
        bar chart of the model's probabilities. Returns ``(fig, axes)``.

        Notebook: 08_live_demo.ipynb
        """
        import matplotlib.pyplot as plt

        n = max(len(self.takes), 1)
        columns = max(1, min(columns, n))
        rows = math.ceil(n / columns)
        cell = width / columns
        fig, axes = plt.subplots(rows * 2, columns, figsize=(width, rows * cell * 1.25),
                                 gridspec_kw={"height_ratios": [3, 1.4] * rows}, squeeze=False)
        for ax in axes.flat:
            ax.axis("off")
        for i, take in enumerate(self.takes):
            r, c = divmod(i, columns)
            ax_img, ax_bar = axes[2 * r, c], axes[2 * r + 1, c]
            picture = self.folder / take.picture
            if picture.is_file():
                ax_img.imshow(plt.imread(str(picture)))
            colour = "#2b8a3e" if take.matched else ("#868e96" if take.status != "ok" else "#c92a2a")
            ax_img.set_title(f"expected: {take.expected}\nheard: {take.label}", fontsize=9, color=colour)
            if take.probabilities:
                best = sorted(take.probabilities.items(), key=lambda kv: -kv[1])[:top][::-1]
                ax_bar.axis("on")
                names = [k for k, _ in best]
                ax_bar.barh(names, [v for _, v in best],
                                   color=["#2b8a3e" if k == take.expected else "#4c6ef5" for k in names])
                ax_bar.set_xlim(0, 1)
                ax_bar.set_xlabel("probability", fontsize=8)
                ax_bar.tick_params(labelsize=8)
                for spine in ("top", "right"):
                    ax_bar.spines[spine].set_visible(False)
            else:
                ax_bar.text(0.5, 0.5, NOTHING_HEARD, ha="center", va="center", fontsize=9, color="#868e96")
        fig.suptitle(self.summary() if len(self.summary()) < 110 else self.summary()[:107] + "...",
                     fontsize=10)
        if fig.get_layout_engine() is None:
            fig.tight_layout()
        return fig, axes


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", str(text)).strip("-") or "x"
