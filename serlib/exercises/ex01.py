"""Solutions to the exercises of notebook 01 (the mel scale).

Notebook: 01_mel_scale.ipynb
"""
from __future__ import annotations

import numpy as np

from serlib.config import SAMPLE_RATE
from serlib.exercises import heading


def _mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=float) / 700.0)


def _hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=float) / 2595.0) - 1.0)


def exercise_octaves_in_mel(show_result=True):
    """Exercise 1: how many mels is one octave?

    An octave doubles the frequency. Compute the size in mel (HTK formula) of the octaves
    100→200 Hz, 500→1000 Hz, 1000→2000 Hz and 4000→8000 Hz. What happens to the size of
    an octave as the frequency rises, and what does that say about how the mel scale
    treats high frequencies?

    Notebook: 01_mel_scale.ipynb
    """
    if not show_result:
        return
    heading("octaves on the mel scale")
    for lo in (100, 500, 1000, 4000):
        step = float(_mel(2 * lo) - _mel(lo))
        print(f"{lo:5d} -> {2 * lo:5d} Hz: {step:6.1f} mel")
    print("\nBelow about 700 Hz the formula is close to a straight line, so a low octave, only a"
          "\nfew hundred hertz wide, is small in mel. Higher up the formula turns logarithmic and"
          "\nevery octave approaches the same size, 2595*log10(2) = 781 mel. The scale squeezes high"
          "\nfrequencies together: a model working in mel sees less detail there, as our ears do.")


def exercise_equal_mel_step(show_result=True):
    """Exercise 2: find the step above 900 Hz that sounds as large as 300 → 400 Hz.

    Using the mel formula and its inverse f = 700·(10^(m/2595) − 1), find the frequency
    f such that 900 Hz → f is as many mels as 300 Hz → 400 Hz. Generate both pairs with
    ``serlib.audio.tone`` and listen: do the two steps now sound alike?

    Notebook: 01_mel_scale.ipynb
    """
    if not show_result:
        return
    from IPython.display import display

    from serlib.audio import tone
    from serlib.notebook import audio

    heading("an equal step on the mel scale")
    step = float(_mel(400) - _mel(300))
    f = float(_hz(_mel(900) + step))
    print(f"300 -> 400 Hz is {step:.1f} mel; 900 Hz + {step:.1f} mel = {f:.0f} Hz")
    print(f"so the matching step is 900 -> {f:.0f} Hz, {f - 900:.0f} Hz wide instead of 100 Hz.")
    print("In semitones: 300->400 is %.1f, 900->%.0f is %.1f (the mel scale is not exactly "
          "musical either)." % (12 * np.log2(400 / 300), f, 12 * np.log2(f / 900)))
    pair = lambda a, b: np.concatenate([tone(a, 0.6, fade_seconds=0.02),  # noqa: E731
                                        np.zeros(int(0.15 * SAMPLE_RATE), np.float32),
                                        tone(b, 0.6, fade_seconds=0.02)])
    display(audio(pair(300, 400)))
    display(audio(pair(900, f)))


def exercise_bands_below_1khz(show_result=True):
    """Exercise 3: how does a mel filter bank share its bands out?

    For ``serlib.features.mel_filters`` with 128 bands (the default) and with 40 bands
    (``FeatureConfig(n_mels=40)``), count the bands whose centre lies below 1000 Hz and
    give the width (in Hz, between the two feet of the triangle) of the band closest to
    300 Hz and of the band closest to 4000 Hz. Why might a 40-band bank still be enough
    for speech?

    Notebook: 01_mel_scale.ipynb
    """
    if not show_result:
        return
    import librosa

    from serlib.features import FeatureConfig, mel_frequencies

    heading("where the mel bands go")
    for n in (128, 40):
        cfg = FeatureConfig(n_mels=n)
        centres = mel_frequencies(cfg)
        edges = librosa.mel_frequencies(n_mels=n + 2, fmin=cfg.fmin, fmax=cfg.fmax)
        widths = edges[2:] - edges[:-2]
        below = int(np.sum(centres < 1000))
        i300 = int(np.argmin(abs(centres - 300)))
        i4k = int(np.argmin(abs(centres - 4000)))
        below2 = int(np.sum(centres < 2000))
        print(f"{n:3d} bands: {below:3d} centred below 1 kHz ({below / n:.0%}), {below2:3d} below "
              f"2 kHz ({below2 / n:.0%});\n           "
              f"band near 300 Hz is {widths[i300]:4.0f} Hz wide, near 4 kHz {widths[i4k]:4.0f} Hz wide")
    print("\nA third of the bands sit below 1 kHz and more than half below 2 kHz,\n"
          "where the fundamental frequency and the first formants of speech live. Even 40 bands\n"
          "resolve those; what they blur (single harmonics at high frequencies) matters little\n"
          "for recognising emotion.")
