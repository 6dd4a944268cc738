"""The prompt pictures: one folder per emotion under ``images/categories/``.

A picture's folder name is the emotion it is meant to provoke (its *expected*
emotion). The bundled drawings live in the repository's ``data/images/categories/``;
a teacher can add their own pictures there, or point the session at any folder laid
out the same way. A session shows only the pictures of emotions its model knows
(:class:`~serlib.demo.session.Session` passes the model's classes as ``emotions``).

The optional calibration prompt (:func:`calibration_prompt`) is not an emotion: the
student reads :data:`CALIBRATION_TEXT` in a normal voice, and that take gives speaker
adaptation a first reference of the voice (and microphone) without a verdict.

Notebook: 10_live_demo.ipynb
"""
from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

from serlib import config
from serlib.datasets.vocabulary import EMOTIONS
from serlib.errors import SerlibError

#: File endings accepted as pictures.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")

#: The "emotion" of the calibration prompt (its take gets status "calibration", no verdict).
CALIBRATION = "calibration"
#: What the student reads for the calibration take: a neutral sentence of about 10 s.
CALIBRATION_TEXT = ("The train to the city leaves at half past nine from platform four. "
                    "I usually sit by the window, read the news, and get off two stops "
                    "before the end of the line.")


@dataclass(frozen=True)
class Prompt:
    """One picture to show: its file and the emotion its folder names."""

    path: Path
    emotion: str

    @property
    def name(self) -> str:
        """``emotion/file`` - short, and the same on every machine."""
        return f"{self.emotion}/{self.path.name}"


def prompts_dir(folder: str | os.PathLike | None = None) -> Path:
    """Where the prompt pictures are: ``folder``, else ``<data root>/images/categories``
    when that exists, else the bundled ``data/images/categories``.

    Notebook: 10_live_demo.ipynb
    """
    if folder is not None:
        return Path(folder).expanduser()
    candidate = config.data_root() / "images" / "categories"
    if candidate.is_dir():
        return candidate
    return config.BUNDLED_DATA / "images" / "categories"


def _emotion_order(name: str) -> tuple:
    return (EMOTIONS.index(name) if name in EMOTIONS else len(EMOTIONS), name)


def find_prompts(folder: str | os.PathLike | None = None, *, emotions=None,
                 per_emotion: int | None = None, shuffle: bool = False,
                 seed: int | None = None) -> list[Prompt]:
    """List the prompt pictures in ``folder`` (see :func:`prompts_dir`).

    Args:
        folder: a folder with one sub-folder per emotion holding pictures.
        emotions: keep only these emotions (e.g. the classes a model knows).
        per_emotion: keep at most this many pictures per emotion (the first by name).
        shuffle: show the pictures in random order instead of emotion order.
        seed: random seed for ``shuffle``.

    Returns the pictures sorted by emotion (serlib's teaching order) and file name.
    Raises :class:`SerlibError` when the folder holds no pictures.

    Notebook: 10_live_demo.ipynb
    """
    root = prompts_dir(folder)
    if not root.is_dir():
        raise SerlibError(
            f"The prompt picture folder {root} does not exist. Create it with one sub-folder "
            "per emotion (happy/, sad/, ...) holding .png or .jpg pictures, or leave the folder "
            "argument out to use the bundled drawings.")
    wanted = None if emotions is None else set(emotions)
    prompts: list[Prompt] = []
    for sub in sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: _emotion_order(p.name)):
        if wanted is not None and sub.name not in wanted:
            continue
        files = sorted(p for p in sub.iterdir()
                       if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))
        if per_emotion is not None:
            files = files[:per_emotion]
        prompts.extend(Prompt(path=f, emotion=sub.name) for f in files)
    if not prompts:
        which = "" if wanted is None else f" for the emotions {sorted(wanted)}"
        raise SerlibError(
            f"No prompt pictures{which} in {root}: put .png or .jpg files into sub-folders named "
            "after emotions (e.g. happy/face.png).")
    if shuffle:
        random.Random(seed).shuffle(prompts)
    return prompts


def calibration_prompt(folder: str | os.PathLike | None = None) -> Prompt:
    """The calibration prompt: a speech bubble (``calibration.png``) shown while the
    student reads :data:`CALIBRATION_TEXT` in a normal voice; its ``emotion`` is
    :data:`CALIBRATION`.

    The picture is the first ``calibration.*`` found in ``folder``, in the data root's
    ``images/`` folder, or the bundled ``data/images/calibration.png``.

    Notebook: 10_live_demo.ipynb
    """
    places = [Path(folder).expanduser()] if folder is not None else []
    places += [config.data_root() / "images", config.BUNDLED_DATA / "images"]
    for place in places:
        for suffix in IMAGE_SUFFIXES:
            path = place / f"{CALIBRATION}{suffix}"
            if path.is_file():
                return Prompt(path=path, emotion=CALIBRATION)
    return Prompt(path=config.BUNDLED_DATA / "images" / "calibration.png", emotion=CALIBRATION)
