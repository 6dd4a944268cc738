"""Audio channels: what a microphone, a room and a line do to a voice, for testing and for training.

Between a speaker's mouth and the numbers a model sees lies a **channel**:

* the **room** adds reverberation (the voice arrives once directly and then again and
  again from walls, ceiling and tables, ever quieter: the *reverberation time* RT60 is
  how long that tail takes to fall by 60 dB; a classroom has about 0.4-0.8 s) and
  background noise (fans, other pupils talking: *babble*);
* the **microphone** colours the spectrum (a laptop's built-in microphone hears little
  below ~200 Hz, has resonances from its tiny port, rolls off the highs, and adds its
  own hiss), and its gain makes everything louder or quieter;
* the **line** may cut the band further (a telephone keeps 300-3400 Hz at 8 kHz) or
  throw away what a codec thinks nobody hears (MP3).

RAVDESS, TESS and EMO-DB were recorded with studio microphones in quiet, dry rooms. A
model trained only on them learns, among the cues of emotion, the fingerprints of that
channel: the balance between low and high frequencies, the silence between words, the
level. On a laptop microphone in a classroom those cues move although the emotion does
not, and the model's verdict moves with them (the classic "it always says *sad*").
Two remedies meet in notebook 10: normalising features per speaker/session (which
removes a fixed colouration and level), and training on clips passed through many
simulated channels, so that the model must ignore them.

This module has two halves that must not be confused:

* :data:`CONDITIONS` and :func:`degrade` are **fixed test conditions**, the benchmark's
  "degraded channels": the same name always does the same thing (given the seed), so
  numbers measured on ``babble-10dB`` today and next year are comparable. Nothing is
  ever trained on or tuned against them.
* :func:`session_channel` draws a **random training channel**: one microphone, one room,
  one noise and one gain, drawn once from a seed and then applied to every clip of a
  pseudo-session (a real student's takes all come through the same microphone and
  room, and the model normalises features per session, so one channel per session is
  what must be simulated).

Levels. Every SNR here is measured against the speech's **active level**: the mean
power of the 20-ms frames that are no more than 40 dB below the loudest frame (a simple
stand-in for ITU-T P.56's active speech level), so pauses between words do not make a
clip look quieter than it sounds. Noise power is the plain mean power of the noise.

All functions take and return mono ``float32`` signals (16 kHz by default), never modify
their input, keep ``|y| <= 1`` (the whole output is scaled down if a sum would clip,
which keeps every SNR intact), and are reproducible from their ``seed`` (an int or a
``numpy.random.Generator``). Filters, EQ, gain and the MP3 codec are audiomentations'
transforms with fixed parameters; the room impulse response, the noises and the level
arithmetic are numpy/scipy, because audiomentations has no synthetic RIR with a chosen
RT60 (its RoomSimulator needs pyroomacoustics and a shoebox geometry, which is slower and
more than we need) and measures SNR against the whole clip rather than the active level.

Notebook: 10_live_demo.ipynb
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import scipy.fft
from scipy import signal

from serlib.audio import resample, trim_silence
from serlib.config import SAMPLE_RATE
from serlib.errors import SerlibError


class ChannelError(SerlibError, ValueError):
    """A channel asked for something it cannot do (bad signal, unknown condition, no babble)."""


#: The benchmark's fixed test conditions: name -> one line for tables.
CONDITIONS: dict[str, str] = {
    "clean": "unchanged (studio recording)",
    "white-20dB": "white noise at 20 dB SNR (against the active speech level)",
    "white-10dB": "white noise at 10 dB SNR",
    "babble-20dB": "babble of 6 other talkers at 20 dB SNR",
    "babble-10dB": "babble of 6 other talkers at 10 dB SNR",
    "reverb-0.5s": "one fixed room: reverberation RT60 0.5 s, direct-to-reverberant ratio 0 dB",
    "telephone": "telephone band: 8 kHz sampling, 300-3400 Hz band-pass",
    "laptop-mic": "laptop microphone: high-pass 180 Hz, dip at 800 Hz, presence peak at 3 kHz, "
                  "roll-off above 6 kHz, self-noise at 45 dB SNR",
    "window-7s": "the clip at a random place in a 7-s recording of quiet room noise (40 dB SNR)",
}

#: Frame length (s) and floor (dB below the loudest frame) of the active speech level.
ACTIVE_FRAME_SECONDS = 0.02
ACTIVE_FLOOR_DB = 40.0

#: The laptop-microphone colouration of the ``laptop-mic`` condition: a typical shape,
#: not one measured device. Microsoft's microphone recommendations for speech devices
#: (learn.microsoft.com/azure/ai-services/speech-service/speech-sdk-microphone) ask a
#: good component for a response within +-3 dB from 200 Hz to 8 kHz and an SNR of at
#: least 65 dB (94 dB SPL at 1 kHz, A-weighted, i.e. about 29 dBA self-noise). A cheap
#: built-in microphone does less: the driver's high-pass sits near 150-200 Hz (180 Hz
#: here, 12 dB/octave), the acoustic path (port, gasket, grille) adds a resonance in the
#: presence region (+4 dB at 3 kHz) and a cavity dip (-3 dB at 800 Hz), and the highs
#: roll off from about 6 kHz. Self-noise 45 dB below the speech is such a capsule hearing
#: a raised voice at about 30 cm (about 74 dB SPL).
LAPTOP_MIC = {
    "highpass_hz": 180.0, "highpass_db_per_octave": 12,
    "peaks": ((800.0, -3.0, 1.0), (3000.0, 4.0, 1.5)),  # (centre Hz, gain dB, Q)
    "lowpass_hz": 6000.0, "lowpass_db_per_octave": 12,
    "self_noise_snr_db": 45.0,
}

#: Telephone band edges (Hz) and rate.
TELEPHONE_BAND = (300.0, 3400.0)
TELEPHONE_RATE = 8_000
#: Length of the ``window-7s`` recording (s) and its room-noise SNR (dB).
WINDOW_SECONDS = 7.0
ROOM_NOISE_SNR_DB = 40.0
#: Seed of the one room impulse response of ``reverb-0.5s``.
BENCHMARK_ROOM_SEED = 2026
#: Peak level the clipping guard scales down to.
MAX_PEAK = 0.999


# ---------------------------------------------------------------------------- checks


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (bool, float)) or not isinstance(seed, (int, np.integer)):
        raise ChannelError(f"seed={seed!r}: pass an int (e.g. seed=0) or a numpy.random.Generator, "
                           "so that the result can be reproduced.")
    return np.random.default_rng(int(seed))


def _check_signal(y, name: str = "y") -> np.ndarray:
    """``y`` as a 1-D float32 array (the same array when it already is one: never write to it)."""
    if not isinstance(y, np.ndarray):
        raise ChannelError(f"{name} must be a numpy array of samples, got {type(y).__name__}; "
                           "load a file with serlib.audio.load(path).")
    if y.ndim != 1:
        raise ChannelError(f"{name} has shape {y.shape}; channels take one mono signal (1-D). "
                           "Average stereo with y.mean(axis=0) (channels first) or load it with "
                           "serlib.audio.load, which returns mono.")
    if not np.issubdtype(y.dtype, np.floating):
        raise ChannelError(f"{name} has dtype {y.dtype}; channels take float samples in [-1, 1]. "
                           "Integer PCM must be scaled first, e.g. y.astype(np.float32) / 32768 for "
                           "int16, or load the file with serlib.audio.load.")
    if y.size == 0:
        raise ChannelError(f"{name} is empty (0 samples); pass a recording.")
    if not np.all(np.isfinite(y)):
        raise ChannelError(f"{name} contains NaN or infinite samples; fix the signal that produced it.")
    return np.asarray(y, dtype=np.float32)


def _check_rate(sr: int) -> int:
    if not isinstance(sr, (int, np.integer)) or sr < 16_000:
        raise ChannelError(f"sr={sr!r}: channels need an int sample rate of at least 16000 Hz "
                           f"(serlib uses {SAMPLE_RATE}); resample with serlib.audio.resample first.")
    return int(sr)


def _clip_guard(y: np.ndarray) -> np.ndarray:
    """Scale the whole signal down if any sample would exceed :data:`MAX_PEAK` (keeps every SNR)."""
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak > MAX_PEAK:
        y = y * (MAX_PEAK / peak)
    return np.asarray(y, dtype=np.float32)


# ---------------------------------------------------------------------------- levels


def active_power(y: np.ndarray, sr: int = SAMPLE_RATE) -> float:
    """Mean power of the active part of ``y``: 20-ms frames within 40 dB of the loudest.

    A clip shorter than one frame counts as one frame. Returns 0.0 for an all-zero
    signal. This is the speech level every SNR in this module refers to.

    Notebook: 10_live_demo.ipynb
    """
    y = np.asarray(y, dtype=np.float64)
    frame = max(1, int(round(ACTIVE_FRAME_SECONDS * sr)))
    n = (y.size // frame) * frame
    frames = y[:n].reshape(-1, frame) if n else y.reshape(1, -1)
    power = np.mean(frames * frames, axis=1)
    top = float(power.max()) if power.size else 0.0
    if top <= 0.0:
        return 0.0
    active = power[power >= top * 10.0 ** (-ACTIVE_FLOOR_DB / 10.0)]
    return float(np.mean(active))


def snr_db(speech: np.ndarray, noise: np.ndarray, sr: int = SAMPLE_RATE) -> float:
    """The SNR of ``speech + noise`` as this module defines it: active speech power / noise power.

    Notebook: 10_live_demo.ipynb
    """
    p_noise = float(np.mean(np.asarray(noise, dtype=np.float64) ** 2))
    p_speech = active_power(speech, sr)
    if p_noise <= 0.0:
        return math.inf  # no noise at all
    if p_speech <= 0.0:
        return -math.inf  # no speech at all
    return 10.0 * math.log10(p_speech / p_noise)


def _speech_power(y: np.ndarray, sr: int) -> float:
    p = active_power(y, sr)
    if p <= 0.0:
        raise ChannelError("the signal is silent (all samples zero), so there is no speech level "
                           "to set a noise level against; skip this clip (serlib.audio.is_silent "
                           "finds such clips).")
    return p


def add_noise(y: np.ndarray, noise: np.ndarray, snr: float, *, sr: int = SAMPLE_RATE) -> np.ndarray:
    """``y`` plus ``noise`` scaled to ``snr`` dB below the active speech level (same length).

    Notebook: 10_live_demo.ipynb
    """
    y, noise = _check_signal(y), _check_signal(noise, "noise")
    if noise.size != y.size:
        raise ChannelError(f"noise has {noise.size} samples but y has {y.size}; pass noise of the "
                           "same length (cut or tile it first).")
    p_noise = float(np.mean(noise.astype(np.float64) ** 2))
    if p_noise <= 0.0:
        return y.copy()
    scale = math.sqrt(_speech_power(y, sr) / (p_noise * 10.0 ** (snr / 10.0)))
    return (y + np.float32(scale) * noise.astype(np.float32)).astype(np.float32)


# ---------------------------------------------------------------------------- noises


def white_noise(n: int, *, seed) -> np.ndarray:
    """``n`` samples of Gaussian white noise with unit power.

    Notebook: 10_live_demo.ipynb
    """
    return _rng(seed).standard_normal(int(n), dtype=np.float32)


def pink_noise(n: int, *, seed, sr: int = SAMPLE_RATE) -> np.ndarray:
    """``n`` samples of pink (1/f power, -3 dB per octave) noise with unit power.

    Nothing below 20 Hz (no rumble or DC, which would make the level drift over seconds).

    Notebook: 10_live_demo.ipynb
    """
    size = scipy.fft.next_fast_len(int(n), real=True)  # FFT sizes with small factors are fast
    spectrum = scipy.fft.rfft(_rng(seed).standard_normal(size, dtype=np.float32))
    freqs = np.arange(spectrum.size, dtype=np.float32) * np.float32(sr / size)
    spectrum /= np.sqrt(np.maximum(freqs, np.float32(20.0)))
    spectrum[freqs < 20.0] = 0.0
    pink = scipy.fft.irfft(spectrum, size)[:n]
    return (pink / np.sqrt(np.mean(pink.astype(np.float64) ** 2))).astype(np.float32)


def brown_noise(n: int, *, seed, sr: int = SAMPLE_RATE) -> np.ndarray:
    """``n`` samples of brown (1/f² power, -6 dB per octave) noise with unit power: the
    rumble of a fan or an air conditioner. Nothing below 20 Hz.

    Notebook: 10_live_demo.ipynb
    """
    size = scipy.fft.next_fast_len(int(n), real=True)
    spectrum = scipy.fft.rfft(_rng(seed).standard_normal(size, dtype=np.float32))
    freqs = np.arange(spectrum.size, dtype=np.float32) * np.float32(sr / size)
    spectrum /= np.maximum(freqs, np.float32(20.0))
    spectrum[freqs < 20.0] = 0.0
    brown = scipy.fft.irfft(spectrum, size)[:n]
    return (brown / np.sqrt(np.mean(brown.astype(np.float64) ** 2))).astype(np.float32)


def mains_hum(n: int, *, freq: float = 50.0, harmonics: int = 8, sr: int = SAMPLE_RATE) -> np.ndarray:
    """``n`` samples of mains hum with unit power: ``freq`` (50 Hz in Europe, 60 Hz in the
    Americas) and its first ``harmonics`` multiples, the k-th at 1/k the amplitude (the
    buzz of a ground loop or a cheap power supply).

    Notebook: 10_live_demo.ipynb
    """
    t = np.arange(int(n), dtype=np.float64) / sr
    hum = sum(np.sin(2 * np.pi * freq * k * t + 0.7 * k) / k
              for k in range(1, int(harmonics) + 1) if freq * k < sr / 2)
    hum = np.asarray(hum, dtype=np.float64)
    return (hum / np.sqrt(np.mean(hum * hum))).astype(np.float32)


def _add_hit(out: np.ndarray, hit: np.ndarray, at: float, gain: float) -> None:
    """Add ``gain * hit`` to ``out`` from sample ``at`` on (cut at the end)."""
    a = int(at)
    b = min(out.size, a + hit.size)
    if a < out.size:
        out[a:b] += gain * hit[:b - a]


def keyboard_clicks(n: int, *, seed, rate: float = 6.0, sr: int = SAMPLE_RATE) -> np.ndarray:
    """``n`` samples of typing: about ``rate`` key clicks a second at random moments, each a
    few milliseconds of band-passed noise (the key) and a softer thud (it bottoms out),
    peak about 0.5.

    Notebook: 10_live_demo.ipynb
    """
    rng = _rng(seed)
    length = int(0.012 * sr)
    env = np.exp(-np.arange(length) / (0.002 * sr))
    b, a = signal.butter(2, [2000.0, min(7000.0, 0.45 * sr)], btype="bandpass", fs=sr)
    times = np.cumsum(rng.exponential(sr / rate, int(n / sr * rate * 2) + 4))
    out = np.zeros(int(n), dtype=np.float64)
    for t in times[times < n]:
        click = signal.lfilter(b, a, rng.standard_normal(length)) * env
        thud = np.sin(2 * np.pi * rng.uniform(150, 300) * np.arange(length) / sr) * env * 0.3
        _add_hit(out, click + thud, t, rng.uniform(0.4, 1.0))
    peak = float(np.max(np.abs(out))) or 1.0
    return (out * (0.5 / peak)).astype(np.float32)


def door_knock(n: int, *, seed, knocks: int = 3, sr: int = SAMPLE_RATE) -> np.ndarray:
    """``n`` samples with ``knocks`` knocks on a door (a decaying low resonance, about
    0.2 s apart) starting at a random moment in the first half, peak about 0.5.

    Notebook: 10_live_demo.ipynb
    """
    rng = _rng(seed)
    length = int(0.15 * sr)
    k = np.arange(length) / sr
    freq = rng.uniform(90.0, 160.0)
    hit = (np.sin(2 * np.pi * freq * k) + 0.5 * np.sin(2 * np.pi * 2.7 * freq * k)) * np.exp(-k / 0.03)
    burst = rng.standard_normal(int(0.004 * sr)) * 0.5  # the knuckle's contact
    hit[:burst.size] += burst
    start = rng.uniform(0, 0.5) * max(1, int(n) - int(knocks * 0.25 * sr))
    times = start + np.arange(int(knocks)) * rng.uniform(0.17, 0.25) * sr
    out = np.zeros(int(n), dtype=np.float64)
    for t, gain in zip(times, rng.uniform(0.7, 1.0, int(knocks))):
        _add_hit(out, hit, t, gain)
    peak = float(np.max(np.abs(out))) or 1.0
    return (out * (0.5 / peak)).astype(np.float32)


def make_babble(clips, seconds: float, *, seed, talkers: int = 6, sr: int = SAMPLE_RATE) -> np.ndarray:
    """A continuous babble of ``talkers`` voices, ``seconds`` long, at -23 dBFS RMS.

    Each talker is a chain of clips drawn at random from ``clips`` (leading and trailing
    silence trimmed, every clip brought to the same active level) starting at a random
    point; the talkers are summed. Pass clips of speakers who are *not* the ones the
    babble will be mixed with (for the benchmark: other actors than the test speaker).

    Notebook: 10_live_demo.ipynb
    """
    clips = list(clips) if clips is not None else []
    if not clips:
        raise ChannelError("make_babble needs a list of speech clips (1-D float arrays) of other "
                           "speakers, e.g. [serlib.audio.load(p) for p in paths]; got none.")
    if int(talkers) < 1 or seconds <= 0:
        raise ChannelError(f"talkers={talkers}, seconds={seconds}: both must be positive.")
    rng = _rng(seed)
    voices = []
    for i, clip in enumerate(clips):
        clip = trim_silence(_check_signal(clip, f"clips[{i}]"))
        p = active_power(clip, sr)
        if p > 0.0:
            voices.append(clip / np.float32(math.sqrt(p)))
    if not voices:
        raise ChannelError("every clip given to make_babble is silent; pass speech clips.")
    n = int(round(seconds * sr))
    babble = np.zeros(n, dtype=np.float64)
    for _ in range(int(talkers)):
        parts, length = [], 0
        while length < n + sr:  # a second more, so the random start still fills n samples
            part = voices[int(rng.integers(len(voices)))]
            parts.append(part)
            length += part.size
        talker = np.concatenate(parts)
        start = int(rng.integers(0, talker.size - n + 1))
        babble += talker[start:start + n]
    babble *= 10.0 ** (-23.0 / 20.0) / math.sqrt(float(np.mean(babble * babble)))
    return _clip_guard(babble.astype(np.float32))


def _noise_segment(noise: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` samples of ``noise`` from a random start (tiled when it is shorter)."""
    if noise.size < n:
        noise = np.tile(noise, int(math.ceil(n / noise.size)) + 1)
    start = int(rng.integers(0, noise.size - n + 1))
    return noise[start:start + n]


# ---------------------------------------------------------------------------- room


def room_impulse_response(rt60: float, *, seed, drr_db: float = 0.0, sr: int = SAMPLE_RATE) -> np.ndarray:
    """A synthetic room impulse response with reverberation time ``rt60`` seconds.

    A direct path (a unit impulse at t = 0) followed, from 2.5 ms on, by Gaussian noise
    that decays exponentially (60 dB in ``rt60`` seconds) in four bands; the bands above
    2 kHz decay a little faster (x0.9 and x0.8), as air and soft surfaces absorb highs.
    ``drr_db`` sets the direct-to-reverberant energy ratio (0 dB: a speaker about the
    room's critical distance away, a metre or two in a classroom). Its length is
    1.2 x ``rt60``, and the decay rates are corrected once so that the broadband
    :func:`rt60_schroeder` of the result is ``rt60`` (within a few per cent).

    Notebook: 10_live_demo.ipynb
    """
    if not 0.05 <= rt60 <= 3.0:
        raise ChannelError(f"rt60={rt60}: choose a reverberation time between 0.05 and 3 s "
                           "(a classroom is about 0.4-0.8 s).")
    noise = _rng(seed).standard_normal(int(round(1.2 * rt60 * sr)))
    rir = _rir_from_noise(noise, rt60, drr_db, sr)
    # The faster highs and the gap before the tail make the broadband T30 about 10 %
    # shorter than the decay rate asked for; one correction brings it to ``rt60``.
    return _rir_from_noise(noise, rt60 * rt60 / rt60_schroeder(rir, sr), drr_db, sr)


def _rir_from_noise(noise: np.ndarray, rt60: float, drr_db: float, sr: int) -> np.ndarray:
    n = noise.size
    t = np.arange(n) / sr
    edges = (500.0, 2000.0, 4000.0)
    factors = (1.0, 1.0, 0.9, 0.8)
    tail = np.zeros(n)
    for i, factor in enumerate(factors):
        if i == 0:
            sos = signal.butter(4, edges[0], "lowpass", fs=sr, output="sos")
        elif i == len(factors) - 1:
            sos = signal.butter(4, edges[-1], "highpass", fs=sr, output="sos")
        else:
            sos = signal.butter(4, [edges[i - 1], edges[i]], "bandpass", fs=sr, output="sos")
        tail += signal.sosfilt(sos, noise) * np.exp(-3.0 * math.log(10.0) * t / (rt60 * factor))
    tail[: int(0.0025 * sr)] = 0.0
    tail *= math.sqrt(10.0 ** (-drr_db / 10.0) / float(np.sum(tail * tail)))
    tail[0] = 1.0
    return tail.astype(np.float32)


def rt60_schroeder(rir: np.ndarray, sr: int = SAMPLE_RATE) -> float:
    """Reverberation time of an impulse response by Schroeder backward integration.

    The energy decay curve is the backward cumulative sum of ``rir**2`` in dB; a line is
    fitted where it falls from -5 to -35 dB (T30; T20, -5 to -25 dB, if it never reaches
    -35) and extrapolated to 60 dB.

    Notebook: 10_live_demo.ipynb
    """
    energy = np.cumsum(np.asarray(rir, dtype=np.float64)[::-1] ** 2)[::-1]
    edc = 10.0 * np.log10(np.maximum(energy / energy[0], 1e-30))
    lower = -35.0 if edc.min() <= -35.0 else -25.0
    idx = np.flatnonzero((edc <= -5.0) & (edc >= lower))
    if idx.size < 2:
        raise ChannelError("the impulse response decays by less than 25 dB; cannot measure RT60.")
    slope, _ = np.polyfit(idx / sr, edc[idx], 1)
    return float(-60.0 / slope)


def reverberate(y: np.ndarray, rir: np.ndarray, *, sr: int = SAMPLE_RATE) -> np.ndarray:
    """``y`` convolved with ``rir`` (FFT), cut to ``len(y)``, at the input's active level.

    Notebook: 10_live_demo.ipynb
    """
    y, rir = _check_signal(y), _check_signal(rir, "rir")
    wet = signal.fftconvolve(y, rir)[: y.size]
    p_in, p_out = active_power(y, sr), active_power(wet, sr)
    if p_out > 0.0:
        wet = wet * math.sqrt(p_in / p_out)
    return wet.astype(np.float32)


# ---------------------------------------------------------------------------- filters


def _fixed(transform, **parameters):
    """An audiomentations transform with its parameters set and frozen (no global RNG use)."""
    transform.parameters = {"should_apply": True, **parameters}
    transform.freeze_parameters()
    return transform


def _audiomentations():
    try:
        import audiomentations
    except ImportError as exc:  # an optional dependency (serlib[train])
        raise ChannelError("this channel needs audiomentations: pip install 'serlib[train]' "
                           "(or pip install -r requirements.txt).") from exc
    return audiomentations


def _butter(kind: str, cutoff: float, db_per_octave: int):
    am = _audiomentations()
    cls = am.HighPassFilter if kind == "highpass" else am.LowPassFilter
    return _fixed(cls(min_cutoff_freq=cutoff, max_cutoff_freq=cutoff, min_rolloff=db_per_octave,
                      max_rolloff=db_per_octave, zero_phase=False, p=1.0),
                  cutoff_freq=float(cutoff), rolloff=int(db_per_octave))


def _eq(kind: str, freq: float, gain_db: float, q: float):
    am = _audiomentations()
    cls = {"peak": am.PeakingFilter, "lowshelf": am.LowShelfFilter, "highshelf": am.HighShelfFilter}[kind]
    return _fixed(cls(p=1.0), center_freq=float(freq), gain_db=float(gain_db), q_factor=float(q))


@functools.lru_cache(maxsize=1)
def _telephone_filter():
    am = _audiomentations()
    low, high = TELEPHONE_BAND
    return _fixed(am.BandPassFilter(zero_phase=False, p=1.0), center_freq=(low + high) / 2,
                  bandwidth=high - low, rolloff=24)


def telephone(y: np.ndarray, *, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Telephone line: down to 8 kHz (nothing above 4 kHz survives), band-pass 300-3400 Hz, back up.

    Notebook: 10_live_demo.ipynb
    """
    y = _check_signal(y)
    narrow = resample(y, _check_rate(sr), TELEPHONE_RATE)
    narrow = _telephone_filter()(narrow, TELEPHONE_RATE)
    wide = resample(narrow, TELEPHONE_RATE, sr)
    out = np.zeros(y.size, dtype=np.float32)
    out[: min(y.size, wide.size)] = wide[: y.size]
    return out


@functools.lru_cache(maxsize=1)
def _laptop_filters():
    spec = LAPTOP_MIC
    chain = [_butter("highpass", spec["highpass_hz"], spec["highpass_db_per_octave"])]
    chain += [_eq("peak", f, g, q) for f, g, q in spec["peaks"]]
    chain.append(_butter("lowpass", spec["lowpass_hz"], spec["lowpass_db_per_octave"]))
    return chain


def _apply(chain, y: np.ndarray, sr: int) -> np.ndarray:
    for transform in chain:
        y = transform(y, sr)
    return y


def laptop_mic(y: np.ndarray, *, seed, sr: int = SAMPLE_RATE) -> np.ndarray:
    """The fixed laptop-microphone colouration of :data:`LAPTOP_MIC`, self-noise included.

    Notebook: 10_live_demo.ipynb
    """
    coloured = _apply(_laptop_filters(), _check_signal(y), _check_rate(sr))
    hiss = white_noise(y.size, seed=seed)
    return add_noise(coloured, hiss, LAPTOP_MIC["self_noise_snr_db"], sr=sr)


def in_window(y: np.ndarray, *, seed, seconds: float = WINDOW_SECONDS, sr: int = SAMPLE_RATE) -> np.ndarray:
    """``y`` at a random offset inside ``seconds`` of quiet pink room noise (40 dB SNR).

    A clip longer than the window keeps its length (only the room noise is added).

    Notebook: 10_live_demo.ipynb
    """
    y, rng = _check_signal(y), _rng(seed)
    n = max(int(round(seconds * _check_rate(sr))), y.size)
    out = np.zeros(n, dtype=np.float32)
    offset = int(rng.integers(0, n - y.size + 1))
    out[offset: offset + y.size] = y
    room = pink_noise(n, seed=rng, sr=sr)
    room *= np.float32(math.sqrt(_speech_power(y, sr) * 10.0 ** (-ROOM_NOISE_SNR_DB / 10.0)))
    return out + room


# ---------------------------------------------------------------------------- fixed conditions


@functools.lru_cache(maxsize=4)
def _benchmark_room(sr: int) -> np.ndarray:
    """The one room of ``reverb-0.5s`` (the same for every clip, like one microphone)."""
    rir = room_impulse_response(0.5, seed=BENCHMARK_ROOM_SEED, drr_db=0.0, sr=sr)
    rir.setflags(write=False)
    return rir


def _condition_error(condition) -> ChannelError:
    names = ", ".join(CONDITIONS)
    return ChannelError(f"unknown channel condition {condition!r}; choose one of: {names}.")


def degrade(y: np.ndarray, condition: str, *, seed, babble: np.ndarray | None = None,
            sr: int = SAMPLE_RATE) -> np.ndarray:
    """Pass ``y`` through the fixed benchmark condition ``condition`` (see :data:`CONDITIONS`).

    ``babble`` (from :func:`make_babble`, of speakers other than ``y``'s) is required for
    the ``babble-*`` conditions; a random stretch of it is used. The room of
    ``reverb-0.5s`` and the microphone of ``laptop-mic`` are the same for every clip;
    ``seed`` draws only the noise samples, the babble stretch and the window offset.
    Returns a new float32
    array of ``len(y)`` samples (``window-7s``: 7 s, or ``len(y)`` if longer).

    Notebook: 10_live_demo.ipynb
    """
    if condition not in CONDITIONS:
        raise _condition_error(condition)
    y = _check_signal(y)
    sr = _check_rate(sr)
    rng = _rng(seed)
    if condition == "clean":
        return y.copy()
    if condition.startswith(("white-", "babble-")):
        kind, level = condition.split("-")
        snr = float(level.removesuffix("dB"))
        if kind == "white":
            noise = white_noise(y.size, seed=rng)
        else:
            if babble is None:
                raise ChannelError(f"condition {condition!r} needs babble=...: build it once with "
                                   "serlib.channels.make_babble(clips_of_other_speakers, seconds=60, seed=0).")
            noise = _noise_segment(_check_signal(babble, "babble"), y.size, rng)
        out = add_noise(y, noise, snr, sr=sr)
    elif condition == "reverb-0.5s":
        out = reverberate(y, _benchmark_room(sr), sr=sr)
    elif condition == "telephone":
        out = telephone(y, sr=sr)
    elif condition == "laptop-mic":
        out = laptop_mic(y, seed=rng, sr=sr)
    else:  # window-7s
        out = in_window(y, seed=rng, sr=sr)
    return _clip_guard(out)


# ---------------------------------------------------------------------------- training channels


def mp3_available() -> bool:
    """True when audiomentations' fast MP3 backend (``fast-mp3-augment``) is installed."""
    try:
        import fast_mp3_augment  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class ChannelParams:
    """The parameters of one random session channel (all drawn by :func:`session_channel`).

    Notebook: 10_live_demo.ipynb
    """

    seed: int
    clean: bool
    rt60: float | None = None
    drr_db: float | None = None
    noise: str | None = None  # "white", "pink" or "babble"
    snr_db: tuple[float, float] | None = None  # each clip draws its SNR from this range
    eq: tuple[tuple[str, float, float, float], ...] = ()  # (kind, Hz, gain dB, Q)
    highpass_hz: float | None = None
    gain_db: float = 0.0
    line: str | None = None  # None, "telephone" or "mp3"
    mp3_kbps: int | None = None

    def as_dict(self) -> dict:
        """The parameters as plain JSON-able values (for a model card)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


#: How :func:`session_channel` draws (the model card can quote it).
SESSION_DRAW = {
    "clean_fraction": 0.2,
    "reverb": {"p": 0.5, "rt60_s": (0.2, 0.8), "drr_db": (-3.0, 10.0)},
    "noise": {"p": 0.8, "snr_db": (0.0, 30.0), "session_range_db": 6.0,
              "types": ("white", "pink", "babble (when babble is given)")},
    "eq": {"filters": (1, 3), "gain_db": (-6.0, 6.0), "peak_hz": (150.0, 6000.0),
           "lowshelf_hz": (100.0, 400.0), "highshelf_hz": (2500.0, 6000.0)},
    "highpass": {"p": 0.5, "hz": (60.0, 250.0)},
    "gain_db": (-10.0, 10.0),
    "line": {"telephone": 0.1, "mp3": 0.15, "mp3_kbps": (32, 48, 64, 96)},
}


def draw_channel_params(seed: int) -> ChannelParams:
    """Draw one session channel's parameters from ``seed`` (see :data:`SESSION_DRAW`).

    Notebook: 10_live_demo.ipynb
    """
    seed = int(seed)
    rng = np.random.default_rng([seed, 0x5e55])
    d = SESSION_DRAW
    # Every draw happens whatever the outcome, so one seed gives one channel everywhere.
    u = rng.random(8)
    rt60 = float(rng.uniform(*d["reverb"]["rt60_s"]))
    drr = float(rng.uniform(*d["reverb"]["drr_db"]))
    noise = str(rng.choice(["white", "pink", "babble"]))
    lo = float(rng.uniform(d["noise"]["snr_db"][0], d["noise"]["snr_db"][1] - d["noise"]["session_range_db"]))
    n_eq = int(rng.integers(d["eq"]["filters"][0], d["eq"]["filters"][1] + 1))
    eq = []
    for kind in rng.choice(["peak", "lowshelf", "highshelf"], size=n_eq):
        gain = float(rng.uniform(*d["eq"]["gain_db"]))
        if kind == "peak":
            f_lo, f_hi = d["eq"]["peak_hz"]
            freq = float(math.exp(rng.uniform(math.log(f_lo), math.log(f_hi))))
            q = float(rng.uniform(0.5, 2.0))
        else:
            freq = float(rng.uniform(*d["eq"][f"{kind}_hz"]))
            q = float(rng.uniform(0.5, 0.9))
        eq.append((str(kind), round(freq, 1), round(gain, 2), round(q, 2)))
    highpass = float(rng.uniform(*d["highpass"]["hz"]))
    gain = float(rng.uniform(*d["gain_db"]))
    kbps = int(rng.choice(d["line"]["mp3_kbps"]))
    if u[0] < d["clean_fraction"]:
        return ChannelParams(seed=seed, clean=True)
    line = None
    if u[5] < d["line"]["telephone"]:
        line = "telephone"
    elif u[5] < d["line"]["telephone"] + d["line"]["mp3"]:
        line = "mp3"
    return ChannelParams(
        seed=seed, clean=False,
        rt60=round(rt60, 3) if u[1] < d["reverb"]["p"] else None,
        drr_db=round(drr, 2) if u[1] < d["reverb"]["p"] else None,
        noise=noise if u[2] < d["noise"]["p"] else None,
        snr_db=(round(lo, 2), round(lo + d["noise"]["session_range_db"], 2)) if u[2] < d["noise"]["p"] else None,
        eq=tuple(eq), highpass_hz=round(highpass, 1) if u[3] < d["highpass"]["p"] else None,
        gain_db=round(gain, 2), line=line, mp3_kbps=kbps if line == "mp3" else None,
    )


@dataclass
class Channel:
    """One simulated classroom channel; ``channel(y)`` passes a clip through it.

    Built by :func:`session_channel`. The microphone, room, noise type, SNR range, gain
    and line are fixed; each call draws only what differs between two takes through the
    same channel: the noise samples, the SNR within the session's 6-dB range, the stretch
    of babble. Those come from the channel's own generator (so a sequence of calls is
    reproducible from the seed) or, with ``channel(y, seed=k)``, from ``k`` (reproducible
    per clip whatever the order, e.g. in parallel workers). A channel pickles, so it can
    be sent to worker processes. An all-zero clip raises :class:`ChannelError` when the
    channel adds noise (there is no speech level to set it against): skip silent clips.

    Notebook: 10_live_demo.ipynb
    """

    params: ChannelParams
    babble: np.ndarray | None = None
    sr: int = SAMPLE_RATE
    _rng: np.random.Generator = field(init=False, repr=False)
    _rir: np.ndarray | None = field(init=False, repr=False, default=None)
    _mic: list = field(init=False, repr=False, default_factory=list)
    _codec: object = field(init=False, repr=False, default=None)

    def __post_init__(self):
        p = self.params
        self.sr = _check_rate(self.sr)
        self._rng = np.random.default_rng([p.seed, 0xc1a5])
        if p.clean:
            return
        if p.noise == "babble" and self.babble is None:
            # No babble given: the pink noise of a crowd's long-term spectrum stands in.
            self.params = p = ChannelParams(**{**p.__dict__, "noise": "pink"})
        if self.babble is not None:
            self.babble = _check_signal(self.babble, "babble")
        if p.rt60 is not None:
            self._rir = room_impulse_response(p.rt60, seed=np.random.default_rng([p.seed, 0x7007]),
                                              drr_db=p.drr_db, sr=self.sr)
        if p.highpass_hz is not None:
            self._mic.append(_butter("highpass", p.highpass_hz, 12))
        self._mic += [_eq(*spec) for spec in p.eq]
        if p.line == "mp3" and mp3_available():
            codec = _audiomentations().Mp3Compression(min_bitrate=p.mp3_kbps, max_bitrate=p.mp3_kbps,
                                                      backend="fast-mp3-augment", p=1.0)
            self._codec = _fixed(codec, bitrate=p.mp3_kbps)

    def __call__(self, y: np.ndarray, *, seed=None) -> np.ndarray:
        y = _check_signal(y)
        p = self.params
        if p.clean:
            return y.copy()
        rng = self._rng if seed is None else _rng(seed)
        out = y
        if self._rir is not None:
            out = reverberate(out, self._rir, sr=self.sr)
        if p.noise is not None:
            snr = float(rng.uniform(*p.snr_db))
            if p.noise == "babble":
                noise = _noise_segment(self.babble, y.size, rng)
            elif p.noise == "pink":
                noise = pink_noise(y.size, seed=rng, sr=self.sr)
            else:
                noise = white_noise(y.size, seed=rng)
            out = add_noise(out, noise, snr, sr=self.sr)
        out = _apply(self._mic, out, self.sr)
        out = _clip_guard(out * np.float32(10.0 ** (p.gain_db / 20.0)))
        if p.line == "telephone":
            out = telephone(out, sr=self.sr)
        elif self._codec is not None:
            out = self._codec(out, self.sr)[: y.size]
        return _clip_guard(out)

    def describe(self) -> str:
        """A short text of what this channel does (for a model card or a plot title)."""
        p = self.params
        if p.clean:
            return "clean (unchanged)"
        parts = []
        if p.rt60 is not None:
            parts.append(f"room RT60 {p.rt60:.2f} s (DRR {p.drr_db:+.1f} dB)")
        if p.noise is not None:
            parts.append(f"{p.noise} noise at {p.snr_db[0]:.0f}-{p.snr_db[1]:.0f} dB SNR")
        if p.highpass_hz is not None:
            parts.append(f"high-pass {p.highpass_hz:.0f} Hz")
        names = {"peak": "peak", "lowshelf": "low shelf", "highshelf": "high shelf"}
        parts += [f"{names[k]} {f:.0f} Hz {g:+.1f} dB" for k, f, g, _ in p.eq]
        parts.append(f"gain {p.gain_db:+.1f} dB")
        if p.line == "telephone":
            parts.append("telephone band")
        elif p.line == "mp3":
            parts.append(f"MP3 {p.mp3_kbps} kbps" + ("" if self._codec is not None
                                                     else " (skipped: fast-mp3-augment not installed)"))
        return ", ".join(parts)


def session_channel(seed: int, *, babble: np.ndarray | None = None, sr: int = SAMPLE_RATE) -> Channel:
    """Draw one random classroom channel from ``seed`` for one pseudo-session of training clips.

    20 % of channels are clean; the others have reverberation (half of them, RT60
    0.2-0.8 s), noise (80 %: white, pink, or babble when ``babble`` is given, at an SNR
    range of 6 dB somewhere in 0-30 dB), a microphone EQ of 1-3 peaking/shelf filters of
    +-6 dB (and a high-pass half of the time), a gain of +-10 dB (never clipping), and a
    telephone line (10 %) or MP3 codec (15 %, when fast-mp3-augment is installed). The
    draw is :func:`draw_channel_params`; a seed gives the same channel on every machine.

    Notebook: 10_live_demo.ipynb
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ChannelError(f"seed={seed!r}: session_channel takes an int seed (one per pseudo-session).")
    return Channel(draw_channel_params(int(seed)), babble=babble, sr=sr)
