"""Plot helpers shared by the notebooks: waveform, spectrograms with dB colour bars, filter banks.

Every helper draws into ``ax`` when one is given (so notebooks can compose figures),
otherwise into a new figure of the house width, labels its axes with units, and returns
``(fig, ax)``. None of them calls ``plt.show()``: the notebook decides when a figure is
shown.

Notebook: 01_mel_scale.ipynb, 02_mfcc.ipynb, 03_chroma.ipynb, 04_datasets.ipynb
"""
from __future__ import annotations

import numpy as np

from serlib.config import SAMPLE_RATE

#: The figure width every helper uses when it creates a figure (inches).
WIDTH = 10.0


def _fig_ax(ax=None, height: float = 3.0):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(WIDTH, height))
    else:
        fig = ax.figure
    return fig, ax


def waveform(y, sr: int = SAMPLE_RATE, ax=None, title: str | None = None, color=None,
             label: str | None = None, seconds: float | None = None):
    """Plot a signal against time (s); amplitude in full-scale units (−1…1).

    Args:
        y: 1-D signal.
        sr: sample rate in Hz.
        ax: axes to draw into (default: a new figure).
        title: axes title.
        color, label: passed to ``ax.plot``.
        seconds: show only the first ``seconds`` (zoom into a few periods of a tone).

    Returns:
        ``(fig, ax)``.

    Notebook: 01_mel_scale.ipynb
    """
    y = np.asarray(y).reshape(-1)
    if seconds is not None:
        y = y[: int(round(seconds * sr))]
    fig, ax = _fig_ax(ax, 2.5)
    t = np.arange(y.size) / sr
    ax.plot(t, y, lw=0.8, color=color, label=label)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("amplitude (full scale)")
    ax.set_xlim(0, t[-1] if t.size else 1)
    if title:
        ax.set_title(title)
    return fig, ax


def spectrogram(S_db, sr: int = SAMPLE_RATE, hop_length: int = 256, y_axis: str = "mel",
                ax=None, title: str | None = None, colorbar: bool = True,
                fmax: float | None = None, cmap: str | None = None, vmin=None, vmax=None,
                cbar_label: str = "level (dB)", n_fft: int = 1024):
    """Show a spectrogram in dB (or any time–frequency matrix) with a labelled colour bar.

    Args:
        S_db: matrix (bins, frames), already in dB for spectrograms.
        sr, hop_length, n_fft: to put seconds on the x axis and Hz on the y axis.
        y_axis: ``"mel"`` (mel bands, labelled in Hz), ``"linear"`` / ``"hz"`` (STFT bins),
            ``"chroma"`` (pitch classes), ``"mfcc"`` / ``"coef"`` (coefficient index).
        ax: axes to draw into (default: a new figure).
        title: axes title.
        colorbar: add a colour bar labelled ``cbar_label`` (default "level (dB)").
        fmax: top frequency for ``y_axis="mel"`` (default ``sr/2``).
        cmap, vmin, vmax: colour map (default ``magma``; ``coolwarm`` for MFCCs, whose
            values are signed) and colour limits.

    Returns:
        ``(fig, ax)``.

    Notebook: 02_mfcc.ipynb
    """
    import librosa.display

    S_db = np.asarray(S_db)
    fig, ax = _fig_ax(ax, 3.2)
    kwargs = dict(sr=sr, hop_length=hop_length, n_fft=n_fft, x_axis="time", ax=ax,
                  vmin=vmin, vmax=vmax)
    if cmap is None:
        cmap = "coolwarm" if y_axis in ("mfcc", "coef", None) else "magma"
    kwargs["cmap"] = cmap
    ylabel = None
    if y_axis == "mel":
        kwargs.update(y_axis="mel", fmax=fmax or sr / 2)
        ylabel = "frequency (Hz, mel-spaced)"
    elif y_axis in ("linear", "hz"):
        kwargs.update(y_axis="linear")
        ylabel = "frequency (Hz)"
    elif y_axis == "chroma":
        kwargs.update(y_axis="chroma")
        ylabel = "pitch class"
    elif y_axis in ("mfcc", "coef", None):
        ylabel = "coefficient"
    else:
        raise ValueError(f"y_axis={y_axis!r}: use 'mel', 'linear', 'chroma' or 'mfcc'.")
    img = librosa.display.specshow(S_db, **kwargs)
    ax.grid(False)
    ax.set_xlabel("time (s)")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if colorbar:
        cbar = fig.colorbar(img, ax=ax, format="%+.0f" if "dB" in cbar_label else None,
                            pad=0.01)
        cbar.set_label(cbar_label)
    return fig, ax


def filterbank(fb, sr: int = SAMPLE_RATE, ax=None, title: str | None = None,
               every: int = 1, log_x: bool = False, normalize: bool = False):
    """Draw a filter bank (filters × frequency bins), one curve per filter.

    Args:
        fb: matrix (n_filters, 1 + n_fft/2), e.g. ``serlib.features.mel_filters()``.
        sr: sample rate (Hz); the bins span 0 … sr/2.
        ax: axes to draw into (default: a new figure).
        title: axes title.
        every: draw every ``every``-th filter (128 curves are a blur; 4 reads well).
        log_x: logarithmic frequency axis.
        normalize: scale each filter to peak 1 (shows the shapes, hides the Slaney
            area normalisation that makes high filters lower).

    Returns:
        ``(fig, ax)``.

    Notebook: 01_mel_scale.ipynb
    """
    import matplotlib.pyplot as plt

    fb = np.asarray(fb)
    freqs = np.linspace(0, sr / 2, fb.shape[1])
    fig, ax = _fig_ax(ax, 3.0)
    rows = range(0, fb.shape[0], max(1, int(every)))
    colors = plt.cm.viridis(np.linspace(0, 1, len(rows)))
    for c, i in zip(colors, rows):
        w = fb[i] / fb[i].max() if normalize and fb[i].max() > 0 else fb[i]
        ax.plot(freqs, w, color=c, lw=1)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("weight" + (" (peak = 1)" if normalize else ""))
    if log_x:
        ax.set_xscale("symlog", linthresh=100)
    ax.set_xlim(0, sr / 2)
    if title:
        ax.set_title(title)
    return fig, ax


def bar_counts(counts, ax=None, title: str | None = None, xlabel: str = "", ylabel="clips",
               color=None, horizontal: bool = False):
    """Bar chart of counts (a dict or pandas Series: name -> count), value on each bar.

    Returns:
        ``(fig, ax)``.

    Notebook: 04_datasets.ipynb
    """
    pairs = list(counts.items())
    names = [str(k) for k, _ in pairs]
    values = [int(v) for _, v in pairs]
    fig, ax = _fig_ax(ax, 3.0)
    if horizontal:
        bars = ax.barh(names, values, color=color)
        ax.set_xlabel(ylabel)
        ax.set_ylabel(xlabel)
        ax.invert_yaxis()
    else:
        bars = ax.bar(names, values, color=color)
        ax.set_ylabel(ylabel)
        ax.set_xlabel(xlabel)
        ax.tick_params(axis="x", labelrotation=30)
    ax.bar_label(bars, padding=2, fontsize=8)
    if title:
        ax.set_title(title)
    return fig, ax
