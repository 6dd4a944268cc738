"""Solutions to the exercises of notebook 03 (chroma).

Notebook: 03_chroma.ipynb
"""
from __future__ import annotations

import numpy as np

from serlib.exercises import heading

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def harmonic_tone(f0: float, n_harmonics: int = 6, seconds: float = 1.0, sr: int = 16000):
    """A tone with ``n_harmonics`` equal-amplitude harmonics of ``f0`` (below sr/2), peak 0.5."""
    t = np.arange(int(seconds * sr)) / sr
    y = sum(np.sin(2 * np.pi * k * f0 * t) for k in range(1, n_harmonics + 1) if k * f0 < sr / 2)
    return (0.5 * y / np.max(np.abs(y))).astype(np.float32)


def exercise_pitch_classes(show_result=True):
    """Exercise 1: name the notes.

    Using p = 69 + 12·log2(f / 440 Hz) (the MIDI note number; 69 is A4), find the nearest
    note, its octave and its pitch class (p mod 12, 0 = C) for 110 Hz, 261.63 Hz, 392 Hz,
    1000 Hz and 3520 Hz. Check your answers with ``librosa.hz_to_note``.

    Notebook: 03_chroma.ipynb
    """
    if not show_result:
        return
    import librosa

    heading("notes of five frequencies")
    for f in (110.0, 261.63, 392.0, 1000.0, 3520.0):
        p = 69 + 12 * np.log2(f / 440.0)
        q = int(round(p))
        name = f"{NOTE_NAMES[q % 12]}{q // 12 - 1}"
        print(f"{f:8.2f} Hz: p = {p:6.2f} -> note {q} = {name:4s} (pitch class {q % 12:2d}); "
              f"librosa: {librosa.hz_to_note(f)}")
    print("\n1000 Hz is not a note of the scale: it lies 0.21 semitones above B5, so a chroma"
          "\nfilter bank puts most of its energy into B.")


def exercise_harmonics_in_chroma(show_result=True):
    """Exercise 2: where do the harmonics go?

    A voice is not a pure tone. Synthesise a tone at 220 Hz (A3) with its first six
    harmonics at equal amplitude (``harmonic_tone`` in this module does that) and compute
    its mean chroma with ``serlib.features.chroma``. Which pitch classes light up besides
    A, and why?

    Notebook: 03_chroma.ipynb
    """
    if not show_result:
        return
    import matplotlib.pyplot as plt

    from serlib import features

    heading("harmonics of A3 in the chromagram")
    y = harmonic_tone(220.0, 6)
    mean = features.chroma(y).mean(axis=1)
    for k in range(1, 7):
        f = 220.0 * k
        q = int(round(69 + 12 * np.log2(f / 440)))
        print(f"harmonic {k}: {f:6.0f} Hz -> {NOTE_NAMES[q % 12]}")
    fig, ax = plt.subplots(figsize=(10, 2.6))
    ax.bar(NOTE_NAMES, mean, color="tab:purple")
    ax.set_xlabel("pitch class"); ax.set_ylabel("mean chroma")
    ax.set_title("Mean chroma of a 220 Hz tone with six harmonics")
    print("\nHarmonics 1, 2 and 4 are A (octaves), 3 and 6 are E (a fifth above), 5 is C# (a major"
          "\nthird, 14 cents flat of the piano's). So one sung or spoken note lights up A, E and C#:"
          "\nchroma of a voice always mixes the pitch with its harmonic 'chord'.")


def exercise_octave_blindness(show_result=True):
    """Exercise 3: chroma is blind to the octave.

    Typical speaking pitches are about 120 Hz for men and about 220 Hz for women. Make
    harmonic tones at 110 Hz and 220 Hz (exactly one octave apart) and at 110 Hz and
    165 Hz (a fifth apart). Compare their mean chroma vectors (cosine similarity) and
    their pitch. What does this mean for recognising emotion, where a raised pitch is
    one of the strongest cues?

    Notebook: 03_chroma.ipynb
    """
    if not show_result:
        return
    from serlib import features

    heading("two tones an octave apart")

    def cosine(a, b):
        return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))

    means = {f: features.chroma(harmonic_tone(f, 6)).mean(axis=1) for f in (110.0, 165.0, 220.0)}
    print(f"110 Hz vs 220 Hz (one octave): cosine similarity {cosine(means[110.0], means[220.0]):.3f}")
    print(f"110 Hz vs 165 Hz (a fifth):    cosine similarity {cosine(means[110.0], means[165.0]):.3f}")
    print("\nThe octave pair looks almost the same to chroma although the pitch doubled; the fifth,"
          "\na smaller change of pitch, looks more different. Raising the voice by an octave - or"
          "\nswapping a male for a female speaker - is nearly invisible in chroma. Pitch height must"
          "\ncome from elsewhere: a pitch tracker (YIN), or the low MFCCs and mel bands.")
