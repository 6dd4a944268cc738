"""Interactive helpers (ipywidgets) for the notebooks.

``tone_explorer()`` is notebook 01's frequency slider: move it and you get a tone to play,
its value on the mel scale and where it sits on the mel curve. Widgets need a live
Jupyter kernel; on GitHub the notebook shows the static output printed beside them.

Notebook: 01_mel_scale.ipynb
"""
from __future__ import annotations

import math

from serlib.config import SAMPLE_RATE


def hz_to_mel_htk(freq_hz):
    """The mel value of a frequency by the HTK/O'Shaughnessy formula 2595·log10(1 + f/700).

    Notebook: 01_mel_scale.ipynb
    """
    import numpy as np

    return 2595.0 * np.log10(1.0 + np.asarray(freq_hz, dtype=float) / 700.0)


def describe_tone(freq_hz: float) -> str:
    """One line about a frequency: Hz, mel (HTK and Slaney), semitones from A4 = 440 Hz.

    Notebook: 01_mel_scale.ipynb
    """
    import librosa

    htk = float(hz_to_mel_htk(freq_hz))
    slaney = float(librosa.hz_to_mel(freq_hz))
    semis = 12 * math.log2(freq_hz / 440.0)
    return (f"{freq_hz:7.1f} Hz  =  {htk:6.1f} mel (HTK formula)  =  {slaney:5.2f} mel (Slaney, "
            f"librosa's default)  |  {semis:+5.1f} semitones from A4 (440 Hz)")


def _mel_curve_figure(freq_hz: float, fmax: float):
    import matplotlib.pyplot as plt
    import numpy as np

    f = np.linspace(0, fmax, 400)
    fig, ax = plt.subplots(figsize=(6, 2.4))
    ax.plot(f, hz_to_mel_htk(f), color="tab:blue")
    ax.plot([freq_hz], [hz_to_mel_htk(freq_hz)], "o", color="tab:red")
    ax.axhline(float(hz_to_mel_htk(freq_hz)), color="tab:red", lw=0.6, ls=":")
    ax.axvline(freq_hz, color="tab:red", lw=0.6, ls=":")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("pitch (mel)")
    return fig


def tone_explorer(value: float = 440.0, fmin: float = 50.0, fmax: float = 8000.0,
                  seconds: float = 1.0, sr: int = SAMPLE_RATE, plot: bool = True):
    """A frequency slider that plays a tone and shows its mel value (an ipywidgets VBox).

    Args:
        value: starting frequency in Hz.
        fmin, fmax: slider range in Hz (logarithmic slider; fmax below sr/2).
        seconds: length of the tone.
        sr: sample rate in Hz.
        plot: also draw the mel curve with the current frequency marked.

    Returns:
        ``ipywidgets.VBox`` with ``.slider`` (the FloatLogSlider), ``.output`` and
        ``.text`` (an HTML widget with :func:`describe_tone`'s line) as attributes.

    Notebook: 01_mel_scale.ipynb
    """
    import ipywidgets as W
    import matplotlib.pyplot as plt
    from IPython.display import display

    from serlib.audio import tone
    from serlib.notebook import audio

    fmax = min(fmax, sr / 2 - 1)
    slider = W.FloatLogSlider(value=value, base=10, min=math.log10(fmin), max=math.log10(fmax),
                              step=0.005, description="frequency (Hz)", readout_format=".0f",
                              continuous_update=False, style={"description_width": "initial"},
                              layout=W.Layout(width="95%"))
    text = W.HTML()
    out = W.Output()

    def update(change=None):
        f = float(slider.value)
        text.value = f"<code>{describe_tone(f)}</code>"
        with out:
            out.clear_output(wait=True)
            display(audio(tone(f, seconds=seconds, sr=sr, amplitude=0.3, fade_seconds=0.02), sr))
            if plot:
                fig = _mel_curve_figure(f, fmax)
                display(fig)
                plt.close(fig)

    slider.observe(update, names="value")
    update()
    box = W.VBox([slider, text, out])
    box.slider, box.output, box.text = slider, out, text
    return box
