"""Solutions to the exercises of notebook 02 (from sound to MFCCs).

Notebook: 02_mfcc.ipynb
"""
from __future__ import annotations

import numpy as np

from serlib.exercises import heading


def _sample_clip():
    """One clip of the bundled RAVDESS sample (always present), as a 16 kHz signal."""
    from serlib import audio, datasets

    df = datasets.load_sample()
    row = df[(df.emotion == "angry") & (df.intensity == "strong")].iloc[0]
    return audio.load(row.path)


def exercise_frame_count(show_result=True):
    """Exercise 1: how many frames?

    serlib frames a clip with ``n_fft = 1024`` samples, hop ``256`` and centring (the
    signal is padded with 512 zeros at both ends). How many frames does a clip of 3.0 s
    at 16 kHz give? And a clip of 1023 samples? Derive the formula and check it with
    ``serlib.features.analyze(y).n_frames``.

    Notebook: 02_mfcc.ipynb
    """
    if not show_result:
        return
    from serlib import features

    heading("counting frames")
    cfg = features.FeatureConfig()
    print("Padded length: n + n_fft (512 zeros each side). Frames start every hop samples while a\n"
          "whole frame still fits: frames = 1 + (n + n_fft - n_fft) // hop = 1 + n // hop.\n")
    for n in (48000, 1023, 16000):
        formula = 1 + n // cfg.hop_length
        measured = features.analyze(np.zeros(n, np.float32)).n_frames
        print(f"n = {n:5d} samples ({n / cfg.sr:.3f} s): 1 + {n} // {cfg.hop_length} = {formula:3d};"
              f" serlib: {measured:3d}")
    print("\n3.0 s gives 188 frames - the width of serlib's log-mel images (FeatureConfig.image_frames).")


def exercise_reconstruct_from_mfcc(show_result=True):
    """Exercise 2: what do the first MFCCs keep?

    Take the log-mel spectrogram of a clip, compute its MFCCs, keep only the first
    ``k`` coefficients (k = 5, 13, 40), and invert the DCT (``scipy.fft.idct`` with
    ``norm="ortho"``, padding the dropped coefficients with zeros). Plot the original and
    the reconstructions, and give the root-mean-square error in dB for each ``k``. What
    is lost when only 13 coefficients are kept?

    Notebook: 02_mfcc.ipynb
    """
    if not show_result:
        return
    import matplotlib.pyplot as plt
    from scipy.fft import dct, idct

    from serlib import features, plots

    heading("reconstructing the log-mel spectrogram from k MFCCs")
    spec = features.analyze(_sample_clip())
    log_mel = spec.log_mel
    coeffs = dct(log_mel, type=2, axis=0, norm="ortho")
    fig, axes = plt.subplots(2, 2, figsize=(10, 5.5), sharex=True, sharey=True)
    plots.spectrogram(log_mel, ax=axes[0, 0], title="original log-mel (128 bands)")
    vmin, vmax = float(log_mel.min()), float(log_mel.max())
    for ax, k in zip(axes.flat[1:], (5, 13, 40)):
        kept = np.zeros_like(coeffs)
        kept[:k] = coeffs[:k]
        rec = idct(kept, type=2, axis=0, norm="ortho")
        err = float(np.sqrt(np.mean((rec - log_mel) ** 2)))
        print(f"k = {k:2d} coefficients: RMS error {err:4.1f} dB")
        plots.spectrogram(rec, ax=ax, vmin=vmin, vmax=vmax, title=f"from the first {k} MFCCs")
    for ax in axes[0]:
        ax.set_xlabel("")
    print("\nThe first coefficients keep the broad shape of each spectrum: overall level, tilt and\n"
          "the formant humps. What goes is the fine structure: the individual harmonics, whose\n"
          "spacing is the pitch. 13 MFCCs describe *what* is said and the voice quality well,\n"
          "but hide the intonation - one reason emotion recognisers add pitch features or\n"
          "keep more coefficients (serlib keeps 40).")


def exercise_quieter_clip(show_result=True):
    """Exercise 3: what does loudness do to the MFCCs?

    Make a clip 20 dB quieter (multiply the signal by 0.1) and compute the MFCCs of both
    versions. Which coefficients change, and by how much? Explain the number using the
    definition of the orthonormal DCT-II (hint: what is the DCT of a constant?).

    Notebook: 02_mfcc.ipynb
    """
    if not show_result:
        return
    from serlib import features

    heading("MFCCs of a quieter clip")
    y = _sample_clip()
    a = features.mfcc(y)
    b = features.mfcc(0.1 * y)
    diff = (b - a).mean(axis=1)
    print("mean change per coefficient (first 6):", np.round(diff[:6], 2) + 0.0)
    n_mels = features.FeatureConfig().n_mels
    print(f"expected change of c0: -20 dB * sqrt({n_mels}) = {-20 * np.sqrt(n_mels):.1f}")
    print("\nScaling the signal by 0.1 scales the power by 0.01, i.e. subtracts 20 dB from every\n"
          "mel band. A constant shift is the 'zero frequency' of the DCT: with the orthonormal\n"
          "DCT-II it changes c0 by -20*sqrt(n_mels) and leaves every other coefficient alone\n"
          "(up to the 80 dB floor, which is relative to each clip's maximum and so moves along).\n"
          "So c0 measures loudness - which depends on the microphone distance as much as on the\n"
          "emotion - and the other coefficients describe the spectral shape, whatever the level.")
