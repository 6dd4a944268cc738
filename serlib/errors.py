"""serlib's exceptions. Each message says what happened and what to do about it.

Every error serlib raises on bad input derives from :class:`SerlibError`, so a
notebook or the command line can catch one type and show the message as it is.
"""
from __future__ import annotations


class SerlibError(Exception):
    """Base class: a problem the user can fix. ``str(err)`` is the whole advice."""


class AudioError(SerlibError, ValueError):
    """An audio file or signal that cannot be used (missing, empty, corrupt, too short, silent)."""


class DatasetError(SerlibError):
    """A corpus that is missing, incomplete or laid out differently from its official release."""


class DownloadError(SerlibError):
    """A download that failed (unreachable, interrupted, wrong checksum). Nothing half-done is kept."""


class ModelError(SerlibError):
    """A model file that cannot be loaded or does not fit the data given to it."""


class RecorderError(SerlibError):
    """A microphone that cannot be used (no PortAudio, no input device, permission denied)."""


class AudioWarning(UserWarning):
    """A recording that can be judged, but not as well as it should (cut off, beyond full
    scale). ``str(warning)`` says what is wrong and what to do."""
