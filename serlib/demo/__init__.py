"""The live demo: prompt pictures, recorders and the image-prompt session.

``import serlib.demo`` is cheap: sounddevice, ipywidgets and anywidget are imported
only when a recorder or the user interface is made. The names below are loaded on
first use::

    from serlib import demo
    prompts = demo.find_prompts()
    recorder = demo.choose_recorder(prompts=prompts)   # kernel mic, browser mic or files
    demo.SessionUI(prompts, recorder=recorder)         # start button, pictures, grid
    demo.class_report("collected/").plot()             # what a class's sessions show
    # serlib demo --https: demo.Classroom, the class on its own devices (classroom.py)

Notebook: 10_live_demo.ipynb
"""
from __future__ import annotations

import importlib

#: ``serlib demo --keep-days``: session folders older than this many days are deleted
#: (:func:`serlib.demo.session.purge_sessions`). Here, so the command line reads it cheaply.
KEEP_DAYS = 30

_EXPORTS = {
    "Prompt": "images", "find_prompts": "images", "prompts_dir": "images",
    "calibration_prompt": "images", "CALIBRATION_TEXT": "images",
    "Recorder": "recorders", "KernelMicrophone": "recorders", "FileRecorder": "recorders",
    "choose_recorder": "recorders", "sample_clips_for": "recorders",
    "BrowserMicrophone": "browser",
    "Session": "session", "Take": "session", "analyse": "session", "sessions_dir": "session",
    "NOTHING_HEARD": "session",
    "SessionUI": "ui",
    "class_report": "report", "ClassReport": "report", "replayed_class": "report",
    "Classroom": "classroom", "purge_sessions": "session",
}

__all__ = sorted(_EXPORTS)


_SUBMODULES = ("images", "recorders", "browser", "session", "ui", "report", "classroom", "tls")


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"serlib.demo.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'serlib.demo' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"serlib.demo.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
