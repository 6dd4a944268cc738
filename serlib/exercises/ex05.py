"""Solutions to the exercises of notebook 05 (the voice: pitch, loudness, voice quality).

Notebook: 05_voice.ipynb
"""
from __future__ import annotations

import numpy as np

from serlib.exercises import heading


def exercise_semitones(show_result=True):
    """Exercise 1: pitch in semitones.

    Convert 110 Hz, 220 Hz and 261.6 Hz (middle C) to semitones re 27.5 Hz, by hand
    (``12 log2(f / 27.5)``) and with ``serlib.voice.semitones``. A man's voice moves
    between 100 and 150 Hz, a woman's between 200 and 300 Hz: how wide is each range in
    Hz and in semitones? Why does GeMAPS measure pitch in semitones?

    Notebook: 05_voice.ipynb
    """
    if not show_result:
        return
    from serlib import voice

    heading("semitones re 27.5 Hz")
    for f in (110.0, 220.0, 261.6):
        print(f"  {f:6.1f} Hz -> by hand {12 * np.log2(f / 27.5):6.2f} st, "
              f"serlib {float(voice.semitones(f)):6.2f} st")
    for who, lo, hi in (("man", 100.0, 150.0), ("woman", 200.0, 300.0)):
        st = voice.semitones(np.array([lo, hi]))
        print(f"  {who:5s}: {lo:.0f}-{hi:.0f} Hz spans {hi - lo:5.1f} Hz but "
              f"{st[1] - st[0]:.2f} semitones")
    print("\nThe same musical interval (a fifth, 7.02 semitones) is 50 Hz for the man and "
          "100 Hz for the woman.\nThe ear hears ratios, not differences: in semitones a "
          "'lively' melody measures the same\nin both voices, so ranges, spreads and slopes "
          "can be compared between speakers and corpora.")


def exercise_hearing_jitter(show_result=True):
    """Exercise 2: set jitter and shimmer, measure them back.

    With ``serlib.voice.synthetic_vowel`` make 1.5-s vowels at 150 Hz with jitter 0, 0.5,
    1, 2 and 4 % (``jitter=0.01`` is 1 %), listen to the extremes, and measure each with
    ``serlib.voice.voice_vector`` (``jitter_local_mean``). Plot measured against set.
    Do the same for shimmer (0, 0.5, 1, 2 dB). Where does the measurement go wrong, and
    which way?

    Notebook: 05_voice.ipynb
    """
    if not show_result:
        return
    import matplotlib.pyplot as plt

    from serlib import voice

    heading("set and measured jitter and shimmer")
    names = voice.voice_feature_names()
    j_set = [0.0, 0.005, 0.01, 0.02, 0.04]
    s_set = [0.0, 0.5, 1.0, 2.0]
    j_true, j_meas, s_true, s_meas = [], [], [], []
    for j in j_set:
        y, truth = voice.synthetic_vowel(150, 1.5, jitter=j, seed=1)
        j_true.append(100 * truth["jitter"])
        j_meas.append(100 * voice.voice_vector(y)[names.index("jitter_local_mean")])
    for s in s_set:
        y, truth = voice.synthetic_vowel(150, 1.5, shimmer_db=s, seed=1)
        s_true.append(truth["shimmer_db"])
        s_meas.append(voice.voice_vector(y)[names.index("shimmer_local_db_mean")])
    for t, m in zip(j_true, j_meas):
        print(f"  jitter  realised {t:5.2f} %   measured {m:5.2f} %")
    for t, m in zip(s_true, s_meas):
        print(f"  shimmer realised {t:5.2f} dB  measured {m:5.2f} dB")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
    for ax, t, m, unit, title in ((axes[0], j_true, j_meas, "%", "jitter (local)"),
                                  (axes[1], s_true, s_meas, "dB", "shimmer (local)")):
        top = max(max(t), max(m)) * 1.1 + 1e-3
        ax.plot([0, top], [0, top], color="grey", lw=1, ls="--", label="measured = set")
        ax.plot(t, m, "o-", label="serlib.voice")
        ax.set_xlabel(f"realised in the synthesis ({unit})")
        ax.set_ylabel(f"measured ({unit})")
        ax.set_title(title)
        ax.legend()
    print("\nJitter comes back within a few tenths of a percent. Shimmer reads low (about "
          "15-20 %):\na period's peak-to-peak amplitude also holds the ringing of the "
          "previous pulse,\nwhich evens out neighbouring amplitudes. Both stay monotonic, "
          "which is what a classifier needs.")


def exercise_level_is_not_loudness_of_the_voice(show_result=True):
    """Exercise 3: turn the volume down.

    Load the neutral take of notebook 05 (RAVDESS actor 8, ``03-01-01-01-01-01-08``),
    compute ``serlib.voice.voice_vector`` of it and of the same signal times 0.1
    (-20 dB). Which parameters change, and which stay? What does that mean for
    comparing corpora recorded at different levels, and what does per-speaker
    normalisation do about it?

    Notebook: 05_voice.ipynb
    """
    if not show_result:
        return
    from serlib import audio, config, voice

    heading("the same take 20 dB quieter")
    path = config.BUNDLED_DATA / "ravdess" / "Actor_08" / "03-01-01-01-01-01-08.flac"
    y = audio.load(path)
    names = voice.voice_feature_names()
    a, b = voice.voice_vector(y), voice.voice_vector(0.1 * y)
    change = np.abs(b - a) / np.maximum(np.abs(a), 1e-6)
    moved = [(names[i], a[i], b[i]) for i in np.argsort(-change) if change[i] > 0.01]
    print(f"{len(moved)} of {len(names)} values moved by more than 1 %:")
    for n, x0, x1 in moved:
        print(f"  {n:28s} {x0:10.3f} -> {x1:10.3f}")
    print("\nWhat is measured in absolute level moves: the equivalent sound level drops by "
          "20 dB and\nloudness (band powers to the power 0.3) by the factor 0.01 ** 0.3 = "
          "0.25, with its slopes.\nThe MFCCs shift a little only because the quietest "
          "frames of the quieter copy reach the\nlog's floor. Pitch, jitter, shimmer, HNR, "
          "formants and the spectral balance (alpha ratio,\nHammarberg index, slopes) are "
          "ratios within the recording and do not move. Corpora recorded\nat other levels "
          "differ in the first group only - and per-speaker z-normalisation removes\n"
          "a speaker's constant level (a factor on loudness, an offset on the level in dB).")
