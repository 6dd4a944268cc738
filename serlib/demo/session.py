"""The image-prompt session, without any user interface.

A session shows pictures one after another; for each it records the student's spoken
reaction, judges whether anything was said, and asks a model which emotion it hears.
Everything lands in a session folder, so nothing said in class is lost::

    <folder>/
        session.json            # settings: seconds, recorder, model, pictures, stop reason,
                                #   adaptation (format 2; format 1 had no "format" key)
        results.csv             # one row per picture: expected, detected, probabilities,
                                #   and the verdict adapted to the speaker (detected_adapted)
        01_neutral.wav          # every recording, 16 kHz mono
        pictures/01_neutral.png # a copy of each picture, so the folder stands alone

``Session.load(folder)`` reopens it; ``session.rescore(model)`` judges the same
recordings with another model (written to ``results_<name>.csv`` beside the original).

Speaker adaptation
------------------
A session hears one student many times. With a model trained on speaker-normalised
features (its sidecar holds a :class:`~serlib.adaptation.SpeakerPrior`), every take in
which speech was heard is kept in a :class:`~serlib.adaptation.SpeakerAdapter`, and each
take is judged twice: *without adaptation* (``detected``: the features normalised with
the training population's statistics) and *adapted to the voice* (``detected_adapted``:
normalised with the statistics of this student's *earlier* heard takes: a take inside
its own statistics would cancel part of what makes it differ from the others). The
adapted verdict is the one shown (``Take.shown``); the first take has no earlier take,
so its adapted verdict is the population's.

Before enough takes exist, the speaker statistics are shrunk towards the population's
(:meth:`SpeakerPrior.statistics`): with one earlier take they are mostly the population's, and
the takes' own weight grows with every take, so no take count is special and nothing
waits. An optional calibration take (``calibration=True``: read
:data:`~serlib.demo.images.CALIBRATION_TEXT` in a normal voice, about 10 s) gives the
statistics a first, emotionally neutral take before the first picture; it gets no
verdict and is never scored.

Guard: only takes in which :func:`serlib.speech.check_speech` heard speech enter the
statistics. A silent, too quiet, hum-only or too short take is saved and reported as
"we heard nothing", but never added, so one bad take cannot poison the voice's average.

The user interface (:mod:`serlib.demo.ui`) is a thin layer over :meth:`Session.record_next`;
tests and the command line use this module directly.

Notebook: 10_live_demo.ipynb
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
from serlib.demo import KEEP_DAYS  # serlib demo --keep-days: purge_sessions' default
from serlib.demo.images import CALIBRATION, Prompt, calibration_prompt, find_prompts
from serlib.errors import RecorderError, SerlibError

# The speech test lives in serlib.speech (shared with `serlib predict`); these names stay
# importable from here for existing code and notebooks.
from serlib.speech import (  # noqa: E402,F401
    MARGIN_SECONDS, MIN_CONTRAST_DB, MIN_SPEECH_SECONDS, NOTHING_HEARD, QUIET_DBFS, TRIM_TOP_DB,
    check_speech, frame_levels, speech_part)

#: Environment variable naming the folder that holds session folders.
SESSIONS_ENV = "SERLIB_SESSIONS"
#: The session.json format this module writes (1: before speaker adaptation, no "format" key).
SESSION_FORMAT = 2
#: :meth:`Session.monotone_warning` speaks up from this many judged takes ...
MONOTONE_MIN_TAKES = 5
#: ... when at least this share of the shown verdicts is one emotion.
MONOTONE_SHARE = 0.8


def sessions_dir() -> Path:
    """Where new session folders go: ``$SERLIB_SESSIONS``, else the user's data folder
    (e.g. ``~/.local/share/serlib/sessions`` on Linux). Never inside the data root.

    Notebook: 10_live_demo.ipynb
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


_SESSION_NAME = re.compile(r"^\d{8}-\d{6}(-\d+)?$")


def purge_sessions(parent: str | os.PathLike | None = None, keep_days: float = KEEP_DAYS, *,
                   now: float | None = None) -> list[Path]:
    """Delete the session folders in ``parent`` (default :func:`sessions_dir`) whose last
    change is more than ``keep_days`` days ago; returns the folders deleted.

    Only folders this module made are touched: a time-stamped name
    (:func:`new_session_folder`) with a ``session.json`` or ``results.csv`` inside; any
    other file or folder in ``parent`` stays. A folder's age is that of its newest file,
    so a session still recording is never deleted. ``serlib demo --keep-days`` runs this
    at start and every hour while it serves.

    Notebook: 10_live_demo.ipynb
    """
    if not keep_days > 0:
        raise ValueError(f"keep_days={keep_days}: give a number of days above 0")
    parent = Path(parent) if parent is not None else sessions_dir()
    if not parent.is_dir():
        return []
    limit = (time.time() if now is None else now) - keep_days * 86400
    gone = []
    for folder in sorted(parent.iterdir()):
        if (not folder.is_dir() or folder.is_symlink() or not _SESSION_NAME.match(folder.name)
                or not ((folder / "session.json").is_file() or (folder / "results.csv").is_file())):
            continue
        try:
            newest = max(p.stat().st_mtime for p in [folder, *folder.rglob("*")])
        except OSError:
            continue
        if newest < limit:
            shutil.rmtree(folder, ignore_errors=True)
            gone.append(folder)
    return gone


@dataclass
class Take:
    """The result for one picture.

    ``status`` is ``"ok"`` (an emotion was detected), ``"silent"`` (nothing to judge:
    :data:`NOTHING_HEARD`) or ``"calibration"`` (the calibration take: recorded, no
    verdict, never scored). ``detected`` is ``None`` unless the status is ``"ok"``.

    ``detected``/``probabilities`` are the verdict *without* speaker adaptation;
    ``detected_adapted``/``probabilities_adapted`` the verdict adapted to the speaker's
    takes (``None``/empty for a model without a speaker prior, or with ``adapt=False``);
    ``adapt_takes`` is how many takes the speaker statistics held (the earlier heard
    takes; after :meth:`Session.rescore`, all the session's heard takes).
    ``shown`` is the verdict the student sees: the adapted one when there is one.
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
    detected_adapted: str | None = None
    probabilities_adapted: dict = field(default_factory=dict)
    adapt_takes: int | None = None

    @classmethod
    def from_judgement(cls, judgement, adapted=None, *, calibration: bool = False,
                       adapt_takes: int | None = None, **fields) -> "Take":
        """A take from :func:`analyse`'s verdict (and the adapted prediction, if any)
        plus the picture's and file's fields. ``calibration=True``: no verdict."""
        pred, level, contrast, speech = judgement[:4]
        if calibration:
            pred = adapted = None
        status = CALIBRATION if calibration else ("ok" if pred else "silent")
        return cls(detected=pred.emotion if pred else None, status=status,
                   probabilities=dict(pred.probabilities) if pred else {},
                   level_dbfs=round(float(level), 2) if math.isfinite(level) else float("-inf"),
                   contrast_db=round(contrast, 2), speech_seconds=round(speech, 3),
                   detected_adapted=adapted.emotion if adapted else None,
                   probabilities_adapted=dict(adapted.probabilities) if adapted else {},
                   adapt_takes=adapt_takes, **fields)

    @property
    def matched(self) -> bool:
        """True when the detected emotion (without adaptation) is the expected one."""
        return self.detected is not None and self.detected == self.expected

    @property
    def matched_adapted(self) -> bool:
        """True when the verdict adapted to the speaker is the expected emotion."""
        return self.detected_adapted is not None and self.detected_adapted == self.expected

    @property
    def shown(self) -> str | None:
        """The verdict shown to the student: adapted when there is one, else ``detected``."""
        return self.detected_adapted if self.detected_adapted is not None else self.detected

    @property
    def label(self) -> str:
        """The detected emotion, :data:`NOTHING_HEARD`, or ``"calibration"``."""
        if self.status == CALIBRATION:
            return CALIBRATION
        return self.detected if self.detected is not None else NOTHING_HEARD


class Judgement(NamedTuple):
    """What :func:`analyse` found in one recording."""

    prediction: object  # serlib.predict.Prediction, or None when nothing was heard
    level_dbfs: float  # level of the loudest tenth of the recording
    contrast_db: float  # loudest tenth minus quietest tenth: speech comes and goes
    speech_seconds: float  # seconds of voice the detector heard (the part adds pauses, margins)
    check: object = None  # the serlib.speech.SpeechCheck behind it (its reason, what was heard)


def analyse(model, y: np.ndarray, sr: int = SAMPLE_RATE, *, quiet_dbfs: float = QUIET_DBFS,
            min_contrast_db: float = MIN_CONTRAST_DB) -> Judgement:
    """Judge one recording; returns a :class:`Judgement`.

    Nothing is predicted (``prediction`` is ``None``, the session says "we heard
    nothing") when the loudest tenth of the recording is quieter than ``quiet_dbfs``,
    when the voice-activity detector hears no voice in it (steady hum or fan noise,
    clicks; ``min_contrast_db`` only words the reason), or when it hears less than
    :data:`MIN_SPEECH_SECONDS` of voice (one test for every entry point:
    :func:`serlib.speech.check_speech`). Otherwise the model judges the speech part
    (from the first voice segment to the last, :func:`speech_part`).

    Notebook: 10_live_demo.ipynb
    """
    from serlib.audio import resample
    from serlib.predict import predict_signal

    y = np.asarray(y, dtype=np.float32).reshape(-1)
    if sr != SAMPLE_RATE:
        y = resample(y, sr, SAMPLE_RATE)
    check = check_speech(y, quiet_dbfs=quiet_dbfs, min_contrast_db=min_contrast_db)
    if not check.heard:
        return Judgement(None, check.level_dbfs, check.contrast_db, check.speech_seconds, check)
    # check=False: the speech test has just run, so predict_signal does not repeat it
    prediction = predict_signal(model, check.part, SAMPLE_RATE, check=False)
    return Judgement(prediction, check.level_dbfs, check.contrast_db, check.speech_seconds, check)


def hear(model, y: np.ndarray, *, quiet_dbfs: float = QUIET_DBFS,
         min_contrast_db: float = MIN_CONTRAST_DB):
    """The speech test and, when speech was heard, the raw feature row of its speech part.

    Returns ``(check, X)``: ``check`` from :func:`serlib.speech.check_speech`, ``X`` from
    :func:`serlib.predict.features_for` (``None`` when nothing was heard). ``y`` is mono
    at :data:`SAMPLE_RATE`. The features are computed once per take and serve both
    verdicts (with and without adaptation) and the speaker statistics.

    Notebook: 10_live_demo.ipynb
    """
    from serlib.predict import features_for

    check = check_speech(y, quiet_dbfs=quiet_dbfs, min_contrast_db=min_contrast_db)
    return check, (features_for(model, check.part, SAMPLE_RATE) if check.heard else None)


def judge(model, X, takes=None):
    """The model's :class:`~serlib.predict.Prediction` for a raw feature row ``X``,
    normalised with the speaker statistics of ``takes`` (raw rows; ``None``: the
    population's, i.e. no adaptation) when the model has a speaker prior
    (:func:`serlib.predict.model_input`); calibrated with the model's temperature
    (:func:`serlib.calibration.calibrated_proba`).

    Notebook: 10_live_demo.ipynb
    """
    from serlib.adaptation import prior_of
    from serlib.calibration import calibrated_proba
    from serlib.predict import Prediction, model_input

    proba = calibrated_proba(model, model_input(model, X, takes))[0]
    classes = [str(c) for c in model.classes_]
    n = None if prior_of(model) is None else (0 if takes is None else len(takes))
    return Prediction(classes[int(np.argmax(proba))], {c: float(p) for c, p in zip(classes, proba)},
                      adapt_takes=n)


def speaker_takes(model, wavs, *, quiet_dbfs: float = QUIET_DBFS) -> np.ndarray:
    """The raw feature rows of the recordings ``wavs`` in which speech was heard (one
    row each; silent files are left out, as in a session, and a file that cannot be read
    is left out with an :class:`~serlib.errors.AudioWarning`), shape
    ``(takes, features)`` (``(0, 0)`` when none was heard). What ``serlib record --session`` and :meth:`Session.rescore`
    put into the speaker statistics.

    Notebook: 10_live_demo.ipynb
    """
    import warnings

    from serlib.audio import load
    from serlib.errors import AudioError, AudioWarning

    rows = []
    for wav in wavs:
        try:
            y = load(wav, sr=SAMPLE_RATE)
        except AudioError as exc:
            warnings.warn(f"{exc}; left out of the speaker statistics (delete or replace the "
                          "file to silence this warning)", AudioWarning, stacklevel=2)
            continue
        _check, X = hear(model, y, quiet_dbfs=quiet_dbfs)
        if X is not None and np.all(np.isfinite(X)):
            rows.append(np.asarray(X, dtype=np.float64).reshape(-1))
    return np.array(rows) if rows else np.empty((0, 0))


def _known_prompts(prompts: list[Prompt], model) -> list[Prompt]:
    """The prompts whose emotion ``model`` knows (all of them when the model lists no
    classes); the calibration prompt is never among them."""
    prompts = [p for p in prompts if p.emotion != CALIBRATION]
    classes = [str(c) for c in getattr(model, "classes_", [])] if model is not None else []
    if not classes:
        return prompts
    known = [p for p in prompts if p.emotion in classes]
    if prompts and not known:
        raise SerlibError(
            f"None of the {len(prompts)} pictures shows an emotion this model knows: the "
            f"pictures are for {sorted({p.emotion for p in prompts})}, the model knows "
            f"{classes}. Add pictures in folders named after the model's emotions, or use a "
            "model trained on the pictures' emotions.")
    return known


def split_prompts(prompts: list[Prompt], model) -> tuple[list[Prompt], list[Prompt]]:
    """``(shown, skipped)``: the pictures a session with ``model`` shows (emotions it knows)
    and the others, the calibration prompt in neither. Raises :class:`SerlibError` when the
    model knows none of the pictures' emotions."""
    shown = _known_prompts(prompts, model)
    return shown, [p for p in prompts if p not in shown and p.emotion != CALIBRATION]


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
        prompts: the pictures (default: :func:`~serlib.demo.images.find_prompts`). Only
            pictures of emotions the model knows are shown (a picture it could never
            match teaches nothing); they are kept in :attr:`skipped_prompts`.
        model: a model for :func:`serlib.predict.predict_signal` (default: the shipped
            model, loaded once here so the first prediction is as fast as the others).
        folder: the session folder (default: a new one in :func:`sessions_dir`).
        seconds: recording length per picture (7 s: time to react, not too long to wait).
        quiet_dbfs: recordings quieter than this are reported as "we heard nothing".
        adapt: judge each take adapted to the student's voice as well (see the module
            docstring); needs a model with a speaker prior (:func:`~serlib.adaptation.prior_of`),
            otherwise there is no adapted verdict and everything is as without it.
        calibration: show the calibration prompt first (:func:`~serlib.demo.images.calibration_prompt`):
            the student reads a sentence in a normal voice; the take enters the speaker
            statistics when speech was heard, gets no verdict and is never scored. Only
            with adaptation (without it the take would serve nothing, so it is left out).
        keep_recordings: save each take's WAV in the folder (default). ``False``: a session
            that keeps only the verdicts (results.csv, its ``wav`` column empty); the sound
            is judged in memory and dropped, speaker adaptation still works (it keeps
            feature rows, not sound), but :meth:`rescore` and :meth:`looking_back` cannot.

    Notebook: 10_live_demo.ipynb
    """

    def __init__(self, prompts=None, model=None, *, folder: str | os.PathLike | None = None,
                 seconds: float = 7.0, quiet_dbfs: float = QUIET_DBFS, model_name: str | None = None,
                 recorder_name: str = "", adapt: bool = True, calibration: bool = False,
                 keep_recordings: bool = True):
        if seconds <= 0:
            raise ValueError(f"seconds={seconds}: a recording must last more than 0 seconds")
        if model is None:
            from serlib.predict import default_model_path, load_model

            model = load_model()
            model_name = model_name or default_model_path().name
        self.model = model
        self.model_name = model_name or _model_name(model)
        self.adapt = bool(adapt)
        self.adapter = _adapter_for(model) if self.adapt else None
        given = list(prompts) if prompts is not None else find_prompts()
        self.prompts, self.skipped_prompts = split_prompts(given, model)
        self.calibration = bool(calibration) and self.adapter is not None
        if self.calibration:
            self.prompts.insert(0, next((p for p in given if p.emotion == CALIBRATION), None)
                                or calibration_prompt())
        self.folder = Path(folder) if folder is not None else new_session_folder()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.seconds = float(seconds)
        self.quiet_dbfs = float(quiet_dbfs)
        self.recorder_name = recorder_name
        self.takes: list[Take] = []
        self.stopped: str | None = None
        self.created = datetime.now().isoformat(timespec="seconds")
        self.results_name = "results.csv"
        self.keep_recordings = bool(keep_recordings)

    def warm_up(self) -> None:
        """Judge one short synthetic sound, so the first real verdict comes as fast as the
        others (the first call loads librosa's and the resampler's compiled code)."""
        from serlib.audio import resample, tone

        quiet = np.zeros(SAMPLE_RATE // 4, np.float32)
        y = np.concatenate([quiet, tone(220.0, 1.0, amplitude=0.3), quiet])
        resample(y[:4800], 48_000, SAMPLE_RATE)
        analyse(self.model, y)  # starts the voice-activity detector (a tone is not speech) ...
        from serlib.predict import predict_signal

        predict_signal(self.model, y, check=False)  # ... and the features and the model

    @property
    def adapting(self) -> bool:
        """True when takes are judged adapted to the speaker as well (for a session
        loaded without a model: when it was)."""
        return self.adapter is not None or getattr(self, "_adapted_when_recorded", False)

    @property
    def adapt_takes(self) -> int:
        """How many takes the speaker statistics hold (heard takes, calibration included)."""
        if self.adapter is not None:
            return self.adapter.n_takes
        return getattr(self, "_saved_adapt_takes", 0)

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

        With adaptation, the features are computed once; the take is judged without
        adaptation (population statistics) and adapted (the statistics of the student's
        earlier heard takes, shrunk towards the population's; the first take has none
        yet); then, when speech was heard, it joins the statistics. A take in which
        nothing was heard never enters them. The calibration take only
        enters the statistics.

        Notebook: 10_live_demo.ipynb
        """
        from serlib.audio import resample, save

        start = time.perf_counter()
        prompt = self.next_prompt()
        if prompt is None:
            raise SerlibError("This session is over: start a new Session to record more.")
        y = np.asarray(y, dtype=np.float32).reshape(-1)
        if sr != SAMPLE_RATE:
            y = resample(y, sr, SAMPLE_RATE)
        check, X = hear(self.model, y, quiet_dbfs=self.quiet_dbfs)
        calibrating = prompt.emotion == CALIBRATION
        plain = adapted = None
        earlier = self.adapter.n_takes if self.adapter is not None else None
        if X is not None and not calibrating:
            plain = judge(self.model, X)
            if self.adapter is not None:
                # Judged against the student's *earlier* takes: a take inside its own
                # statistics would cancel part of what makes it differ from the others.
                adapted = judge(self.model, X, self.adapter.takes())
        if X is not None and self.adapter is not None:
            self.adapter.add(X)
        judgement = Judgement(plain, check.level_dbfs, check.contrast_db, check.speech_seconds, check)
        index = self.position + 1
        stem = f"{index:02d}_{_slug(prompt.emotion)}"
        wav = save(self.folder / f"{stem}.wav", y, SAMPLE_RATE) if self.keep_recordings else None
        picture = self.folder / "pictures" / f"{stem}{prompt.path.suffix.lower()}"
        picture.parent.mkdir(exist_ok=True)
        if prompt.path.is_file():
            shutil.copyfile(prompt.path, picture)
        take = Take.from_judgement(
            judgement, adapted, calibration=calibrating,
            adapt_takes=earlier,
            index=index, prompt=prompt.name, expected=prompt.emotion,
            seconds=round(y.size / SAMPLE_RATE, 3), wav=wav.name if wav else "", picture=f"pictures/{picture.name}")
        take.latency_ms = round((time.perf_counter() - start) * 1000, 1)
        self.takes.append(take)
        self.save()
        return take

    def record_next(self, recorder, progress=None) -> Take:
        """Record the current picture with ``recorder`` and :meth:`submit` it.

        When the recorder fails (device unplugged, permission withdrawn) the session is
        stopped: :attr:`stopped` holds the message, everything recorded so far stays on
        disk, and the :class:`RecorderError` is raised again for the caller to show.

        Notebook: 10_live_demo.ipynb
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

        Notebook: 10_live_demo.ipynb
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

        Notebook: 10_live_demo.ipynb
        """
        import pandas as pd

        classes = [str(c) for c in getattr(self.model, "classes_", [])]
        for take in self.takes:
            classes += [c for c in take.probabilities if c not in classes]
            classes += [c for c in take.probabilities_adapted if c not in classes]
        adapted = any(take.probabilities_adapted for take in self.takes)
        rows = []
        for take in self.takes:
            row = {k: v for k, v in asdict(take).items()
                   if k not in ("probabilities", "probabilities_adapted")}
            row["matched"] = take.matched
            row["detected"] = take.label
            row["matched_adapted"] = take.matched_adapted if take.detected_adapted else None
            row.update({f"p_{c}": round(float(take.probabilities.get(c, float("nan"))), 4)
                        for c in classes})
            if adapted:
                row.update({f"pa_{c}": round(float(take.probabilities_adapted.get(c, float("nan"))), 4)
                            for c in classes})
            rows.append(row)
        columns = ["index", "prompt", "expected", "detected", "matched", "status", "level_dbfs",
                   "contrast_db", "speech_seconds", "seconds", "latency_ms", "wav", "picture",
                   "detected_adapted", "matched_adapted", "adapt_takes"]
        return pd.DataFrame(rows, columns=columns + [f"p_{c}" for c in classes]
                            + ([f"pa_{c}" for c in classes] if adapted else []))

    def save(self) -> Path:
        """Write ``session.json`` and the results CSV; returns the CSV path."""
        from serlib import __version__

        meta = {
            "format": SESSION_FORMAT,
            "serlib_version": __version__,
            "created": self.created,
            "seconds": self.seconds,
            "quiet_dbfs": self.quiet_dbfs,
            "recorder": self.recorder_name,
            "model": self.model_name,
            "stopped": self.stopped,
            "recordings": "kept" if getattr(self, "keep_recordings", True) else "not kept",
            "prompts": [{"emotion": p.emotion, "name": p.name, "path": str(p.path)} for p in self.prompts],
            "adaptation": {"enabled": self.adapting, "prior": "model" if self.adapting else None,
                           "takes": self.adapt_takes,
                           "calibration": self.calibration},
        }
        (self.folder / "session.json").write_text(json.dumps(meta, indent=2) + "\n")
        path = self.folder / self.results_name
        self.table().to_csv(path, index=False)
        return path

    @classmethod
    def load(cls, folder: str | os.PathLike, model=None) -> "Session":
        """Reopen a saved session (its settings, pictures and results).

        ``model`` is only needed to record more or to :meth:`rescore`; without it the
        stored results are shown as they were. Reads format 1 (before speaker adaptation)
        and 2. With a ``model`` and a session that ran with adaptation, the speaker
        statistics are rebuilt from the saved recordings, so recording more goes on
        adapting.

        Notebook: 10_live_demo.ipynb
        """
        import pandas as pd

        from serlib import __version__

        folder = Path(folder)
        meta_path = folder / "session.json"
        if not meta_path.is_file():
            raise SerlibError(f"{folder} is not a session folder (no session.json in it): pick "
                              "a folder that a Session wrote.")
        meta = json.loads(meta_path.read_text())
        fmt = meta.get("format", 1)
        if fmt not in (1, SESSION_FORMAT):
            raise SerlibError(f"{folder}: session format {fmt}, written by serlib "
                              f"{meta.get('serlib_version', '?')}, which this serlib ({__version__}) "
                              "cannot read: update serlib (pip install -U serlib).")
        adaptation = meta.get("adaptation") or {}
        session = cls.__new__(cls)
        session.model = model
        session.adapt = bool(adaptation.get("enabled", False))
        session._adapted_when_recorded = session.adapt
        session._saved_adapt_takes = int(adaptation.get("takes") or 0)
        session.calibration = bool(adaptation.get("calibration", False))
        session.adapter = None
        session.skipped_prompts = []
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
        session.keep_recordings = meta.get("recordings", "kept") == "kept"
        session.takes = []
        csv = folder / "results.csv"
        if csv.is_file() and csv.stat().st_size > 0:
            df = pd.read_csv(csv)
            for _, row in df.iterrows():
                probs = {c[2:]: float(row[c]) for c in df.columns
                         if c.startswith("p_") and not pd.isna(row[c])}
                probs_adapted = {c[3:]: float(row[c]) for c in df.columns
                                 if c.startswith("pa_") and not pd.isna(row[c])}
                ok = row["status"] == "ok"
                detected = str(row["detected"]) if ok else None
                adapted = row.get("detected_adapted")
                n = row.get("adapt_takes")
                session.takes.append(Take(
                    index=int(row["index"]), prompt=str(row["prompt"]), expected=str(row["expected"]),
                    detected=detected, status=str(row["status"]), probabilities=probs,
                    level_dbfs=float(row["level_dbfs"]), contrast_db=float(row["contrast_db"]),
                    speech_seconds=float(row["speech_seconds"]),
                    seconds=float(row["seconds"]), wav="" if pd.isna(row["wav"]) else str(row["wav"]),
                    picture=str(row["picture"]),
                    latency_ms=float(row["latency_ms"]),
                    detected_adapted=str(adapted) if ok and not pd.isna(adapted) else None,
                    probabilities_adapted=probs_adapted if ok else {},
                    adapt_takes=None if n is None or pd.isna(n) else int(n)))
        if model is not None and session.adapt:
            session.adapter = _adapter_for(model)
            if session.adapter is not None:
                heard = [folder / t.wav for t in session.takes
                         if t.wav and t.status in ("ok", CALIBRATION)]
                for row in speaker_takes(model, heard, quiet_dbfs=session.quiet_dbfs):
                    session.adapter.add(row)
        return session

    def rescore(self, model, *, name: str | None = None, save: bool = True,
                adapt: bool = True) -> "Session":
        """Judge the saved recordings again with ``model``; returns a new Session.

        The new results go to ``results_<name>.csv`` in the same folder (the original
        ``results.csv`` stays as it was); ``name`` defaults to the model's name.

        With hindsight: when ``model`` has a speaker prior (and ``adapt``), every take's
        adapted verdict uses the statistics of *all* heard takes of the session
        (calibration included, the take itself too), not only those before it;
        ``adapt_takes`` says how many. The verdict without adaptation is judged as in
        the session.

        Notebook: 10_live_demo.ipynb
        """
        from serlib.audio import load

        if not getattr(self, "keep_recordings", True):
            raise SerlibError(f"{self.folder.name}: this session kept no recordings (only the "
                              "verdicts), so there is nothing to judge again.")
        new = Session.__new__(Session)
        new.__dict__.update(self.__dict__)
        new.model = model
        new.model_name = name or _model_name(model, "rescored")
        new.results_name = f"results_{_slug(new.model_name)}.csv"
        new.adapt = bool(adapt)
        new.adapter = _adapter_for(model) if adapt else None
        new._adapted_when_recorded = False
        new.takes = []
        heard = []
        for take in self.takes:
            start = time.perf_counter()
            check, X = hear(model, load(self.folder / take.wav, sr=SAMPLE_RATE),
                            quiet_dbfs=self.quiet_dbfs)
            if X is not None and new.adapter is not None:
                new.adapter.add(X)
            heard.append((take, check, X, time.perf_counter() - start))
        everyone = new.adapter.takes() if new.adapter is not None else None
        for take, check, X, seconds in heard:
            start = time.perf_counter()
            calibrating = take.status == CALIBRATION or take.expected == CALIBRATION
            plain = judge(model, X) if X is not None and not calibrating else None
            adapted = judge(model, X, everyone) if plain is not None and everyone is not None else None
            new.takes.append(Take.from_judgement(
                Judgement(plain, check.level_dbfs, check.contrast_db, check.speech_seconds, check), adapted,
                calibration=calibrating, adapt_takes=None if everyone is None else len(everyone),
                index=take.index, prompt=take.prompt, expected=take.expected, seconds=take.seconds,
                wav=take.wav, picture=take.picture,
                latency_ms=round((time.perf_counter() - start + seconds) * 1000, 1)))
        if save:
            new.table().to_csv(self.folder / new.results_name, index=False)
        return new

    # ------------------------------------------------------------------ showing
    def summary(self) -> str:
        """One or two sentences: how many pictures matched (without and, where the session
        adapted to the voice, with adaptation), and why the session stopped. The
        calibration take is not a picture and is not counted."""
        takes = [t for t in self.takes if t.status != CALIBRATION]
        pictures = [p for p in self.prompts if p.emotion != CALIBRATION]
        judged = [t for t in takes if t.status == "ok"]
        matched = sum(t.matched for t in judged)
        adapted = [t for t in judged if t.detected_adapted is not None]
        text = f"{len(takes)} of {len(pictures)} pictures recorded; {len(judged)} judged, "
        if adapted:
            text += (f"{sum(t.matched_adapted for t in adapted)} matched the expected emotion "
                     f"adapted to the voice, {matched} without")
        else:
            text += f"{matched} matched the expected emotion"
        silent = len(takes) - len(judged)
        if silent:
            text += f"; {silent} with nothing heard"
        text += "."
        if self.stopped:
            text += f" Stopped early: {self.stopped}"
        return text

    def looking_back(self) -> str | None:
        """A sentence for the end of a session that adapted to the voice: how many
        pictures match when every take is judged again against *all* the session's takes
        (:meth:`rescore` with this model, nothing saved) - the hindsight a live verdict
        cannot have. ``None`` without adaptation or with fewer than two judged takes.
        The new-voice benchmark's "all (rescored)" column measures what this gains.

        Notebook: 10_live_demo.ipynb
        """
        if self.adapter is None or self.model is None or not getattr(self, "keep_recordings", True):
            return None
        live = [t for t in self.takes if t.status == "ok" and t.detected_adapted is not None]
        if len(live) < 2:
            return None
        # From the saved recordings, exactly as a later rescore would judge them.
        again = [t for t in self.rescore(self.model, save=False).takes
                 if t.status == "ok" and t.detected_adapted is not None]
        if not again:
            return None
        matched = sum(t.matched_adapted for t in again)
        return (f"Looking back with all {again[0].adapt_takes} takes of this voice (each picture "
                f"judged again against the whole session): {matched} of {len(again)} matched, "
                f"{sum(t.matched_adapted for t in live)} as judged live.")

    def monotone_warning(self) -> str | None:
        """A sentence when the shown verdicts are nearly all one emotion (at least
        :data:`MONOTONE_SHARE` of at least :data:`MONOTONE_MIN_TAKES` judged takes), else
        ``None``. That usually means the model hears the voice or the microphone rather
        than the emotions; the sentence says what to try.

        Notebook: 10_live_demo.ipynb
        """
        from collections import Counter

        shown = [t.shown for t in self.takes if t.status == "ok"]
        if len(shown) < MONOTONE_MIN_TAKES:
            return None
        emotion, count = Counter(shown).most_common(1)[0]
        if count < MONOTONE_SHARE * len(shown):
            return None
        calibrate = ("start with the calibration take (a sentence read in your normal voice)"
                     if not self.calibration else "repeat the calibration take in your normal voice")
        return (f"{count} of {len(shown)} verdicts were '{emotion}': the model may be hearing your "
                f"voice or the microphone rather than your emotions. Try again: {calibrate}, "
                "speak each picture's emotion clearly, as the picture shows it, and check the "
                "microphone level (close enough to be heard, not so loud that it distorts).")

    def plot_grid(self, *, columns: int = 4, top: int = 4, width: float = 10.0):
        """The end-of-session grid: each picture, expected vs detected emotion, and a
        bar chart of the model's probabilities. Returns ``(fig, axes)``.

        Notebook: 10_live_demo.ipynb
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
            adapted = take.detected_adapted is not None
            matched = take.matched_adapted if adapted else take.matched
            colour = "#2b8a3e" if matched else ("#868e96" if take.status != "ok" else "#c92a2a")
            if take.status == CALIBRATION:
                title = "calibration\n(your normal voice)"
            elif adapted:  # both verdicts: adapted (shown) first, then without adaptation
                title = (f"expected: {take.expected}\nheard: {take.detected_adapted} "
                         f"(plain: {take.detected})")
            else:
                title = f"expected: {take.expected}\nheard: {take.label}"
            ax_img.set_title(title, fontsize=9, color=colour)
            probabilities = take.probabilities_adapted if adapted else take.probabilities
            if probabilities:
                best = sorted(probabilities.items(), key=lambda kv: -kv[1])[:top][::-1]
                ax_bar.axis("on")
                names = [k for k, _ in best]
                ax_bar.barh(names, [v for _, v in best],
                                   color=["#2b8a3e" if k == take.expected else "#4c6ef5" for k in names])
                ax_bar.set_xlim(0, 1)
                ax_bar.set_xlabel("probability, adapted" if adapted else "probability", fontsize=8)
                ax_bar.tick_params(labelsize=8)
                for spine in ("top", "right"):
                    ax_bar.spines[spine].set_visible(False)
            else:
                ax_bar.text(0.5, 0.5, "no verdict" if take.status == CALIBRATION else NOTHING_HEARD,
                            ha="center", va="center", fontsize=9, color="#868e96")
        fig.suptitle(self.summary() if len(self.summary()) < 110 else self.summary()[:107] + "...",
                     fontsize=10)
        if fig.get_layout_engine() is None:
            fig.tight_layout()
        return fig, axes


def _adapter_for(model):
    """A :class:`~serlib.adaptation.SpeakerAdapter` for ``model``'s speaker prior, or
    ``None`` for a model trained without speaker normalisation."""
    from serlib.adaptation import SpeakerAdapter, prior_of

    prior = prior_of(model) if model is not None else None
    return SpeakerAdapter(prior) if prior is not None else None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", str(text)).strip("-") or "x"
