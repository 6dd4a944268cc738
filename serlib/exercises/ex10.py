"""Solutions to the exercises of notebook 10 (the live demo).

Notebook: 10_live_demo.ipynb
"""
from __future__ import annotations

import numpy as np

from serlib.exercises import heading


def _clip_and_model(emotion: str = "angry"):
    from serlib.audio import load
    from serlib.demo.recorders import sample_clips_for
    from serlib.predict import load_model

    clip = sample_clips_for([emotion])[0]
    return load(clip), load_model(), clip.name


def exercise_how_quiet(show_result: bool = True):
    """How quiet may a student speak? Turn a sample clip down in steps of 10 dB (0 to
    -50 dB) and find the first step at which the session says "we heard nothing".
    Which part of the speech test in ``serlib.demo.analyse`` stops it - the level or the
    voice-activity detector - and why does the contrast not change?

    Notebook: 10_live_demo.ipynb
    """
    if not show_result:
        return None
    from serlib.demo.session import QUIET_DBFS, analyse

    heading("how quiet may a student speak?")
    y, model, name = _clip_and_model("angry")
    print(f"clip {name}; judged when the loudest tenth is above {QUIET_DBFS:.0f} dBFS")
    verdicts = []
    for gain_db in range(0, -60, -10):
        j = analyse(model, y * np.float32(10 ** (gain_db / 20)))
        verdict = j.prediction.emotion if j.prediction else "we heard nothing"
        verdicts.append(verdict)
        print(f"{gain_db:4d} dB: level {j.level_dbfs:6.1f} dBFS, contrast {j.contrast_db:5.1f} dB "
              f"-> {verdict}")
    print("The level falls with the gain; the contrast (loud and quiet moments scaled alike) "
          "stays put, and the voice-activity detector loses the voice only at about -70 dBFS "
          "and below, so it is the level gate (-65 dBFS) that stops a too-quiet recording first.")
    judged = [v for v in verdicts if v != "we heard nothing"]
    if len(set(judged)) > 1:
        print(f"Note that the verdict changed ({' -> '.join(dict.fromkeys(judged))}) before the "
              "session gave up: the model's features include loudness, so a microphone's gain "
              "setting matters.")
    return None


def exercise_window_length(show_result: bool = True):
    """Why cut the recording to the speech? Pad a sample clip with 0, 2 and 5 seconds of
    silence (as a long recording window would) and compare the model's probability for
    the winning emotion when it judges the whole padded signal
    (``serlib.predict.predict_signal``) and when it judges the speech part
    (``serlib.demo.analyse``).

    Notebook: 10_live_demo.ipynb
    """
    if not show_result:
        return None
    from serlib.demo.session import analyse
    from serlib.predict import predict_signal

    heading("why cut the recording to the speech?")
    y, model, name = _clip_and_model("happy")
    print(f"clip {name}")
    wholes, parts = [], []
    for pad in (0.0, 2.0, 5.0):
        silence = np.zeros(int(pad * 16000), np.float32)
        padded = np.concatenate([silence, y, silence])
        whole = predict_signal(model, padded)
        part = analyse(model, padded).prediction
        wholes.append(whole.emotion)
        parts.append(part.emotion)
        print(f"{pad:3.0f} s of silence each side: whole signal -> {whole.emotion} "
              f"({max(whole.probabilities.values()):.2f}), speech part -> {part.emotion} "
              f"({max(part.probabilities.values()):.2f})")
    print(f"Verdicts on the whole signal: {' / '.join(wholes)}; on the speech part: "
          f"{' / '.join(parts)}. The statistics of the whole signal drift towards silence as "
          "the window grows; the speech part is the same few seconds whatever the window.")
    return None


def exercise_noisy_classroom(show_result: bool = True):
    """A noisy classroom: add white noise to a sample clip at signal-to-noise ratios of
    30, 20, 10 and 0 dB and see how the verdict and its probability change. From which
    SNR on would you stop trusting the demo?

    Notebook: 10_live_demo.ipynb
    """
    if not show_result:
        return None
    from serlib.demo.session import analyse, speech_part

    heading("a noisy classroom")
    y, model, name = _clip_and_model("sad")
    clean = analyse(model, y).prediction
    print(f"clip {name}: clean -> {clean.emotion} ({max(clean.probabilities.values()):.2f})")
    power = float(np.mean(speech_part(y) ** 2))
    rng = np.random.default_rng(0)
    kept = []
    for snr in (30, 20, 10, 0):
        noise = rng.standard_normal(y.size).astype(np.float32) * np.float32(np.sqrt(power / 10 ** (snr / 10)))
        j = analyse(model, y + noise)
        verdict = (f"{j.prediction.emotion} ({max(j.prediction.probabilities.values()):.2f})"
                   if j.prediction else "we heard nothing")
        if j.prediction is not None and j.prediction.emotion == clean.emotion:
            kept.append(snr)
        print(f"SNR {snr:2d} dB: contrast {j.contrast_db:5.1f} dB -> {verdict}")
    print(f"The clean verdict survived at SNR {', '.join(map(str, kept)) or 'none'} dB. Noise fills "
          "the pauses (the contrast shrinks: a level rule would soon hear only a steady hiss, "
          "the voice-activity detector still hears the voice) and changes the spectra the "
          "model learned from clean studio speech.")
    return None
