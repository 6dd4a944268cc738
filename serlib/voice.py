"""What the voice does: pitch, loudness and voice quality, as eGeMAPS-like clip values.

The ``voice`` feature kind summarises a clip with a small set of interpretable parameters
modelled on the extended Geneva Minimalistic Acoustic Parameter Set (eGeMAPS: F. Eyben,
K. R. Scherer, B. W. Schuller et al., "The Geneva Minimalistic Acoustic Parameter Set
(GeMAPS) for Voice Research and Affective Computing", IEEE Transactions on Affective
Computing 7(2), 190-202, 2016; section numbers below refer to it). openSMILE, which
computes the reference set, is under a research-only licence, so nothing here uses it:
every parameter is computed with numpy/scipy from :func:`serlib.features.analyze`'s one
STFT, or from the waveform where a period-by-period measurement needs it.

:func:`analyze_voice` returns the frame-level contours (:class:`VoiceTrack`, plotted in
notebook 05); :func:`voice_vector` turns them into the clip's values, named by
:func:`voice_feature_names`. Two frame rates are used: the pitch tracker runs every
10 ms (as GeMAPS, section 3.1), the spectral parameters on the STFT's frames (16 ms hop);
the voicing decision of the nearest 10-ms frame labels each STFT frame.

What is measured (the docstrings of the functions say how, and where openSMILE differs):

* **F0** (:func:`track_pitch`): normalised autocorrelation, Boersma (1993); semitones re
  27.5 Hz; mean, coefficient of variation, 20/50/80th percentiles, 20-80 range, mean and
  standard deviation of rising and falling slopes (semitones per second). GeMAPS 3.1.1.
* **Jitter, shimmer** (:func:`glottal_pulses`, :func:`perturbation`): period by period,
  Praat's "local" definitions. GeMAPS 3.1.1.
* **HNR** from the autocorrelation peak, ``10 log10(r / (1 - r))`` (Boersma 1993).
* **Formants F1-F3**: frequency, bandwidth (LPC, :func:`formants`) and the level of the
  harmonic nearest each formant relative to H1. GeMAPS 3.1.2.
* **H1-H2, H1-A3**; **alpha ratio**, **Hammarberg index**, **spectral slopes 0-500 and
  500-1500 Hz** (:func:`spectral_contours`). GeMAPS 3.1.2 and 3.2.
* **Loudness** (auditory-weighted, compressed band energies), its functionals and peaks
  per second; the equivalent sound level. GeMAPS 3.1.3 and 3.3.
* **Temporal**: voiced segments per second, mean and standard deviation of voiced and
  unvoiced segment lengths. GeMAPS 3.3.
* **MFCC 1-4 and spectral flux**, over all active frames and over voiced frames; the
  spectral balance parameters also over unvoiced frames. eGeMAPS, section 3.2.

A clip without one voiced frame (a whisper, a cough, noise) gets ``no_voiced_frame = 1``
and zeros for every parameter that needs voicing, never NaN.

Notebook: 05_voice.ipynb
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from serlib.features import (FeatureConfig, Spectra, _spectra, mel_frequencies,
                             stats_feature_names, stats_vector)

#: Bump when a voice parameter is computed differently: part of the ``voice`` and
#: ``stats+voice`` cache folders (see :func:`serlib.extract.cache_folder`).
#: 2: F0 and loudness smoothed by :func:`sma3` before their functionals (as eGeMAPS).
VOICE_VERSION = 2

#: Reference of the semitone scale (GeMAPS: 27.5 Hz, the piano's lowest A).
F0_REFERENCE_HZ = 27.5
#: Pitch search range (Hz). Wider than ``FeatureConfig.pitch_fmin/fmax`` (65-500 Hz):
#: angry and happy voices of women in RAVDESS and TESS go above 500 Hz; higher
#: ceilings invited octave-up errors on strong second harmonics.
F0_MIN_HZ, F0_MAX_HZ = 60.0, 600.0
#: Pitch frames: every 10 ms, 3 periods of the lowest pitch long (Boersma 1993).
PITCH_HOP_S = 0.010
#: Praat's defaults: voicing threshold on the normalised autocorrelation, octave cost
#: per octave, silence threshold (frame peak relative to the clip's peak).
VOICING_THRESHOLD, OCTAVE_COST, SILENCE_THRESHOLD = 0.45, 0.01, 0.03
#: Cost per semitone beyond 6 semitones from the clip's typical pitch (second pass).
JUMP_COST = 0.01
#: A voiced run must reach this autocorrelation peak somewhere (hysteresis; not Praat's).
VOICING_ONSET = 0.6
#: Praat's "maximum period factor": consecutive periods differing by more are not
#: compared for jitter and shimmer (1.3), and its period range for them (s).
PERIOD_FACTOR = 1.3
#: Frames whose energy is more than this far below the clip's loudest frame are silence
#: (left out of the "all frames" and "unvoiced" statistics).
ACTIVE_DB = 40.0
#: LPC: formant ceiling (Praat's default for a mixed set of voices), order, window (s).
FORMANT_CEILING_HZ, LPC_ORDER, LPC_WINDOW_S = 5500.0, 10, 0.025
#: Jitter and shimmer are averaged over blocks of this length, like GeMAPS' 60-ms frames.
PERTURBATION_BLOCK_S = 0.060


# ---------------------------------------------------------------------------- names
_CONTOUR_STATS = ("mean", "cv", "p20", "p50", "p80", "range20_80", "rise_mean", "rise_std",
                  "fall_mean", "fall_std")


@lru_cache(maxsize=1)
def _names() -> tuple[str, ...]:
    names = [f"f0_st_{s}" for s in _CONTOUR_STATS]
    names += [f"loudness_{s}" for s in _CONTOUR_STATS] + ["loudness_peaks_per_s"]
    for p in ("jitter_local", "shimmer_local_db", "hnr_db", "h1_h2_db", "h1_a3_db"):
        names += [f"{p}_mean", f"{p}_{'std' if p.startswith('h') else 'cv'}"]  # signed: std
    for k in (1, 2, 3):
        names += [f"f{k}_hz_mean", f"f{k}_hz_cv", f"f{k}_bw_hz_mean", f"f{k}_bw_hz_cv",
                  f"f{k}_amp_rel_h1_db_mean", f"f{k}_amp_rel_h1_db_std"]
    spectral = ("alpha_ratio_db", "hammarberg_db", "slope_0_500_db_khz", "slope_500_1500_db_khz")
    for p in spectral:
        names += [f"{p}_v_mean", f"{p}_v_std"]
    names += ["flux_v_mean", "flux_v_cv"]
    for k in range(1, 5):
        names += [f"mfcc{k}_v_mean", f"mfcc{k}_v_std"]
    names += [f"{p}_uv_mean" for p in spectral] + ["flux_uv_mean"]
    names += ["flux_mean", "flux_cv"]
    for k in range(1, 5):
        names += [f"mfcc{k}_mean", f"mfcc{k}_std"]
    names += ["voiced_segments_per_s", "voiced_segment_s_mean", "voiced_segment_s_std",
              "unvoiced_segment_s_mean", "unvoiced_segment_s_std", "equivalent_level_db",
              "no_voiced_frame"]
    return tuple(names)


def voice_feature_names(cfg: FeatureConfig | None = None) -> list[str]:
    """Names of the values in :func:`voice_vector`, in order (89 values).

    Suffixes: ``_mean`` arithmetic mean; ``_cv`` coefficient of variation (standard
    deviation / mean, eGeMAPS' ``stddevNorm``) for quantities that are always positive;
    ``_std`` the plain standard deviation for signed ones (openSMILE's ``stddevNorm`` of a
    quantity whose mean can be near zero explodes); ``_p20`` etc. percentiles;
    ``_v``/``_uv``: voiced/unvoiced frames only.

    Notebook: 05_voice.ipynb
    """
    return list(_names())


def stats_voice_feature_names(cfg: FeatureConfig | None = None) -> list[str]:
    """Names of the ``stats+voice`` kind: :func:`~serlib.features.stats_feature_names`
    then :func:`voice_feature_names`.

    Notebook: 05_voice.ipynb
    """
    return stats_feature_names(cfg) + voice_feature_names(cfg)


# ---------------------------------------------------------------------------- pitch
@lru_cache(maxsize=8)
def _pitch_setup(sr: int) -> tuple[int, int, int, int, int, np.ndarray, np.ndarray]:
    """Window length, hop, FFT size, lag range, the Hann window and its autocorrelation."""
    from scipy.signal import get_window

    win = int(round(3 * sr / F0_MIN_HZ))
    hop = int(round(PITCH_HOP_S * sr))
    lag_min = int(np.floor(sr / F0_MAX_HZ))
    lag_max = int(np.ceil(sr / F0_MIN_HZ))
    # the next power of two above the window: the circular autocorrelation's wrap-around
    # term multiplies the Hann window's tails (below 3 % of its peak), so it is negligible
    n_fft = 1 << int(np.ceil(np.log2(win)))
    w = get_window("hann", win, fftbins=False)
    rw = np.fft.irfft(np.abs(np.fft.rfft(w, n_fft)) ** 2, n_fft)[: lag_max + 2]
    return win, hop, n_fft, lag_min, lag_max, w.astype(np.float32), (rw / rw[0]).astype(np.float32)


def track_pitch(y: np.ndarray, sr: int = 16000) -> dict[str, np.ndarray]:
    """F0 every 10 ms by the normalised autocorrelation method (Boersma 1993).

    Each frame (3 periods of :data:`F0_MIN_HZ` = 50 ms, Hann window, mean removed) gives
    its autocorrelation divided by the window's own (P. Boersma, "Accurate short-term
    analysis of the fundamental frequency and the harmonics-to-noise ratio of a sampled
    sound", Proc. Institute of Phonetic Sciences 17, 97-110, 1993, eq. 9), so a periodic
    signal scores close to 1 at its period. The best lag among the local maxima between
    1/600 and 1/60 s maximises ``r(lag) - 0.01 log2(F0_MIN * lag)`` (Praat's octave cost,
    which prefers the shorter of two equally strong periods), refined by parabolic
    interpolation. A second pass charges candidates more than 6 semitones away from the
    clip's typical pitch 0.01 per semitone (a global stand-in for Praat's path finder,
    which charges octave jumps between frames); a peak at a half or a third of that lag at least 85 % as strong
    replaces it (a subharmonic is an octave error). A frame is voiced when its peak
    exceeds 0.45 and the frame's peak amplitude exceeds 3 % of the clip's (Praat's
    voicing and silence thresholds, Praat manual "Sound: To Pitch (ac)..."); runs
    shorter than 3 frames, and runs that never reach 0.6 (whispers, fricatives), are
    unvoiced; short runs far off the clip's pitch are octave-corrected or dropped
    (:func:`_fix_stray_runs`); the voiced contour is smoothed by a 5-frame median in
    semitones.

    Differences: Praat joins the candidates of all frames with a Viterbi path (costs for
    octave jumps and voicing changes) and interpolates with sincs; openSMILE's eGeMAPS
    uses subharmonic summation (SHS) with Viterbi smoothing. The median filter here is a
    cheaper guard against single-frame octave errors. Returns ``times`` (s), ``f0_hz``
    (0 where unvoiced), ``voiced`` (bool), ``r`` (autocorrelation peak, 0..1) and
    ``peak`` (each frame's peak amplitude).

    Notebook: 05_voice.ipynb
    """
    from scipy import fft as sfft
    from scipy.ndimage import median_filter

    y = np.asarray(y, dtype=np.float32)
    win, hop, n_fft, lag_min, lag_max, w, rw = _pitch_setup(int(sr))
    yp = np.pad(y, win // 2)
    if yp.shape[0] < win:
        yp = np.pad(yp, (0, win - yp.shape[0]))
    frames = np.lib.stride_tricks.sliding_window_view(yp, win)[::hop]
    n = frames.shape[0]
    peak = np.abs(frames).max(axis=1)
    gpeak = float(peak.max()) if n else 0.0
    # silent frames cannot be voiced: only the others are analysed (RAVDESS: ~40 % silence)
    loud = np.flatnonzero(peak > SILENCE_THRESHOLD * gpeak) if gpeak > 0 else np.zeros(0, int)
    x = frames[loud]
    x = (x - x.mean(axis=1, keepdims=True)) * w
    ac = sfft.irfft(np.abs(sfft.rfft(x, n_fft, axis=1)) ** 2, n_fft, axis=1)[:, : lag_max + 2]
    energy = ac[:, :1]
    r = np.where(energy > 1e-20, ac / np.maximum(energy, 1e-20), 0.0) / rw
    lags = np.arange(lag_min, lag_max + 1)
    mid = r[:, lag_min:lag_max + 1]
    left, right = r[:, lag_min - 1:lag_max], r[:, lag_min + 1:lag_max + 2]
    is_peak = (mid > left) & (mid >= right)
    score = np.where(is_peak, mid - OCTAVE_COST * np.log2(F0_MIN_HZ * lags / sr), -np.inf)
    best = np.argmax(score, axis=1)
    rows = np.arange(len(loud))
    # second pass: a candidate far (beyond 6 semitones) from the clip's typical pitch (the
    # median over clearly periodic frames) pays 0.01 per semitone - a global stand-in for
    # Praat's path finder, which charges octave jumps between neighbouring frames
    strong = mid[rows, best] > 0.8
    if strong.sum() >= 5:
        ref = np.median(np.log2(sr / (lags[best[strong]])))
        far = np.maximum(0.0, np.abs(12 * (np.log2(sr / lags) - ref)) - 6.0)
        best = np.argmax(score - JUMP_COST * far[None, :], axis=1)
    # a subharmonic is an octave error: when a peak at a half or a third of the chosen
    # lag is nearly as strong (85 %), its higher F0 is the voice's
    width = mid.shape[1]
    chosen_r = mid[rows, best]
    for d in (2, 3):
        target = np.rint((best + lag_min) / d).astype(int) - lag_min
        cand_r = np.full(len(rows), -np.inf)
        cand_i = best.copy()
        for off in (-1, 0, 1):
            j = target + off
            okj = (j >= 0) & (j < width)
            jj = np.clip(j, 0, width - 1)
            v = np.where(okj & is_peak[rows, jj], mid[rows, jj], -np.inf)
            better = v > cand_r
            cand_r = np.where(better, v, cand_r)
            cand_i = np.where(better, jj, cand_i)
        take = cand_r >= 0.85 * chosen_r
        best = np.where(take, cand_i, best)
    a, b, c = left[rows, best], mid[rows, best], right[rows, best]
    denom = a - 2 * b + c
    shift = np.where(np.abs(denom) > 1e-12, 0.5 * (a - c) / np.where(denom == 0, 1, denom), 0.0)
    shift = np.clip(shift, -0.5, 0.5)
    r_peak = np.clip(b - 0.25 * (a - c) * shift, 0.0, 1.0)
    found = np.isfinite(score[rows, best])
    r_all = np.zeros(n)
    r_all[loud] = np.where(found, r_peak, 0.0)
    lag = np.ones(n)
    lag[loud] = lags[best] + shift
    voiced = np.zeros(n, bool)
    voiced[loud] = found & (r_peak > VOICING_THRESHOLD)
    voiced = _drop_short_runs(voiced, 3)
    # hysteresis: a voiced run needs one clearly periodic frame (whispers and fricatives
    # filtered by the vocal tract reach 0.45-0.5 by chance, voice goes well above)
    for s_, e_ in _runs(voiced):
        if r_all[s_:e_].max() < VOICING_ONSET:
            voiced[s_:e_] = False
    f0 = np.where(voiced, sr / lag, 0.0)
    voiced, f0 = _fix_stray_runs(voiced, f0)
    if voiced.any():
        st = np.where(voiced, 12 * np.log2(np.maximum(f0, 1e-6) / F0_REFERENCE_HZ), np.nan)
        for s, e in _runs(voiced):
            if e - s >= 5:
                st[s:e] = median_filter(st[s:e], size=5, mode="mirror")
        f0 = np.where(voiced, F0_REFERENCE_HZ * 2 ** (np.nan_to_num(st) / 12), 0.0)
    times = np.arange(n) * hop / sr
    return {"times": times, "f0_hz": f0, "voiced": voiced, "r": r_all, "peak": peak}


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs of the runs of True in a boolean array."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(np.diff(m.astype(np.int8)))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _fix_stray_runs(voiced: np.ndarray, f0: np.ndarray, short: int = 10
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Short voiced runs far from the clip's typical pitch: octave errors or noise.

    A run shorter than ``short`` frames (100 ms) whose median lies more than 10
    semitones from the median of all voiced frames is moved by an octave when that
    brings it within 5 semitones, and unvoiced otherwise (a fricative's spurious period).
    A stand-in for Praat's path finder, which weighs the same evidence frame by frame.
    """
    if not voiced.any():
        return voiced, f0
    voiced, f0 = voiced.copy(), f0.copy()
    st = 12 * np.log2(np.maximum(f0, 1e-6) / F0_REFERENCE_HZ)
    med = np.median(st[voiced])
    for s, e in _runs(voiced):
        if e - s >= short:
            continue
        d = np.median(st[s:e]) - med
        if abs(d) <= 10:
            continue
        if abs(abs(d) - 12) < 5:
            f0[s:e] *= 0.5 if d > 0 else 2.0
        else:
            voiced[s:e] = False
            f0[s:e] = 0.0
    return voiced, f0


def _drop_short_runs(mask: np.ndarray, min_len: int) -> np.ndarray:
    out = np.asarray(mask, bool).copy()
    for s, e in _runs(out):
        if e - s < min_len:
            out[s:e] = False
    return out


def semitones(f0_hz: np.ndarray) -> np.ndarray:
    """Hz to semitones re 27.5 Hz (GeMAPS 3.1.1: ``12 log2(F0 / 27.5)``); NaN for 0 Hz.

    Notebook: 05_voice.ipynb
    """
    f0 = np.asarray(f0_hz, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(f0 > 0, 12 * np.log2(f0 / F0_REFERENCE_HZ), np.nan)


# ---------------------------------------------------------------------------- pulses
def glottal_pulses(y: np.ndarray, sr: int, pitch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Period marks: one waveform peak per glottal cycle inside each voiced stretch.

    Praat's "To PointProcess (periodic, peaks)" idea (Praat manual, "Sound & Pitch: To
    PointProcess (peaks)..."): start at the largest peak of the stretch's first period,
    then look for the next one between 0.8 and 1.2 local periods later (the local
    period from the pitch track), each refined by parabolic interpolation. The polarity
    with the larger peaks is used. Praat's default cross-correlation variant ("cc")
    aligns whole periods instead of peaks, and openSMILE's jitter/shimmer component
    (``cPitchJitter``) also cross-correlates successive periods; peaks are cheaper and
    give the same values on clean vowels, slightly larger ones on noisy speech.

    Returns ``times`` (s), ``segment`` (which voiced stretch each pulse belongs to) and
    ``amplitude`` (peak-to-peak amplitude of the period starting at each pulse, NaN
    for the last pulse of a stretch).

    Notebook: 05_voice.ipynb
    """
    y = np.asarray(y, dtype=np.float64)
    times, voiced, f0 = pitch["times"], pitch["voiced"], pitch["f0_hz"]
    hop = times[1] - times[0] if len(times) > 1 else PITCH_HOP_S
    marks: list[float] = []
    segs: list[int] = []
    amps: list[float] = []
    for k, (s, e) in enumerate(_runs(voiced)):
        a = int(max(0, round((times[s] - hop / 2) * sr)))
        b = int(min(len(y), round((times[e - 1] + hop / 2) * sr)))
        if b - a < 3:
            continue
        part = y[a:b]
        sign = 1.0 if part.max() >= -part.min() else -1.0
        sp = sign * part
        # local period (samples) at every sample of the stretch, from the pitch track
        period = np.interp(np.arange(a, b) / sr, times[s:e], sr / f0[s:e])
        near = np.rint(0.8 * period).astype(int).tolist()
        far = (np.rint(1.2 * period).astype(int) + 1).tolist()
        n = b - a
        i = int(np.argmax(sp[: min(n, int(period[0]) + 1)]))
        idx = [i]
        while True:
            lo, hi = i + near[i], i + far[i]
            if hi > n:  # the next period is not whole inside the stretch
                break
            i = lo + int(sp[lo:hi].argmax())
            idx.append(i)
        idx_a = np.asarray(idx)
        # parabolic refinement of each peak
        inner = (idx_a > 0) & (idx_a < n - 1)
        l_, m_, r_ = (sp[np.clip(idx_a + o, 0, n - 1)] for o in (-1, 0, 1))
        d = l_ - 2 * m_ + r_
        frac = np.where(inner & (d < 0), 0.5 * (l_ - r_) / np.where(d < 0, d, -1.0), 0.0)
        pos = (a + idx_a + np.clip(frac, -0.5, 0.5)).tolist()
        if len(pos) < 2:
            continue
        idx = a + idx_a
        seg_amp = np.full(len(idx), np.nan)
        cycles = y[idx[0]:idx[-1]]
        starts = idx[:-1] - idx[0]
        seg_amp[:-1] = np.maximum.reduceat(cycles, starts) - np.minimum.reduceat(cycles, starts)
        marks += [p / sr for p in pos]
        segs += [k] * len(pos)
        amps += seg_amp.tolist()
    return {"times": np.asarray(marks), "segment": np.asarray(segs, dtype=int),
            "amplitude": np.asarray(amps)}


def perturbation(pulses: dict[str, np.ndarray], block_s: float = PERTURBATION_BLOCK_S
                 ) -> dict[str, np.ndarray]:
    """Jitter (local) and shimmer (local, dB) per period pair, and their block means.

    Definitions of the Praat manual ("Voice 2. Jitter", "Voice 3. Shimmer"), the ones
    GeMAPS (section 3.1.1) cites: jitter (local) is the mean absolute difference between
    consecutive periods divided by the mean period; shimmer (local, dB) is the mean
    absolute base-10 log ratio of consecutive periods' peak-to-peak amplitudes, times
    20. Period pairs are compared only within one voiced stretch, when both periods lie
    in 1/600..1/60 s and differ by less than a factor 1.3 (Praat's "maximum period
    factor"). Like openSMILE (which measures both per 60-ms frame), the values are first
    averaged per block of ``block_s`` and the clip's statistics are taken over blocks;
    Praat reports one value for the whole selection instead.

    Returns ``jitter`` and ``shimmer_db`` (one value per usable pair, ``pair_times``) and
    ``jitter_blocks``, ``shimmer_blocks`` (block means).

    Notebook: 05_voice.ipynb
    """
    t, seg, amp = pulses["times"], pulses["segment"], pulses["amplitude"]
    empty = np.zeros(0)
    if len(t) < 3:
        return {"jitter": empty, "shimmer_db": empty, "pair_times": empty,
                "jitter_blocks": empty, "shimmer_blocks": empty}
    T = np.diff(t)
    same = seg[1:] == seg[:-1]
    okT = same & (T > 1 / F0_MAX_HZ) & (T < 1 / F0_MIN_HZ)
    pair = okT[1:] & okT[:-1]
    T1, T2 = T[:-1], T[1:]
    pair &= (np.maximum(T1, T2) / np.minimum(T1, T2)) < PERIOD_FACTOR
    jit = np.abs(T2 - T1) / (0.5 * (T1 + T2))
    A1, A2 = amp[:-2], amp[1:-1]
    okA = pair & np.isfinite(A1) & np.isfinite(A2) & (A1 > 0) & (A2 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        shim = np.abs(20 * np.log10(A2 / A1))
    pt = t[1:-1]
    out = {"jitter": jit[pair], "shimmer_db": shim[okA], "pair_times": pt[pair]}
    for key, vals, mask in (("jitter_blocks", jit, pair), ("shimmer_blocks", shim, okA)):
        if not mask.any():
            out[key] = empty
            continue
        blk = np.floor(pt[mask] / block_s).astype(int)
        _, inv, counts = np.unique(blk, return_inverse=True, return_counts=True)
        sums = np.bincount(inv, weights=vals[mask])
        out[key] = sums / counts
    return out


# ---------------------------------------------------------------------------- formants
def lpc(frames: np.ndarray, order: int) -> np.ndarray:
    """LPC coefficients ``[1, a1, ..., a_order]`` of each row, autocorrelation method.

    Levinson-Durbin recursion (J. Makhoul, "Linear prediction: a tutorial review", Proc.
    IEEE 63(4), 1975, eqs. 38-40), vectorised over frames. Praat's "To Formant (burg)"
    fits the same all-pole model with Burg's method (a little sharper on short frames).

    Notebook: 05_voice.ipynb
    """
    x = np.asarray(frames, dtype=np.float64)
    n, L = x.shape
    R = np.stack([np.einsum("ij,ij->i", x[:, : L - k], x[:, k:]) for k in range(order + 1)], axis=1)
    R[:, 0] = R[:, 0] * (1 + 1e-9) + 1e-12  # white-noise floor: silent rows stay finite
    a = np.zeros((n, order + 1))
    a[:, 0] = 1.0
    err = R[:, 0].copy()
    for i in range(1, order + 1):
        acc = R[:, i] + np.einsum("ij,ij->i", a[:, 1:i], R[:, i - 1:0:-1])
        k = -acc / err
        prev = a[:, 1:i].copy()
        a[:, 1:i] = prev + k[:, None] * prev[:, ::-1]
        a[:, i] = k
        err = err * (1 - k * k)
    return a


def formants(y: np.ndarray, sr: int, times: np.ndarray, n_formants: int = 3
             ) -> tuple[np.ndarray, np.ndarray]:
    """Formant frequencies and bandwidths (Hz) at ``times``, from LPC roots.

    As Praat's "Sound: To Formant (burg)..." (Praat manual): resample to twice the
    formant ceiling (5500 Hz), pre-emphasise from 50 Hz, 25-ms windows (Gaussian-like:
    Hann here) and an all-pole model of order 10 (five formants below the ceiling).
    Each root ``z`` of the predictor with positive angle gives a resonance at
    ``angle(z) sr / 2 pi`` Hz with bandwidth ``-ln|z| sr / pi`` Hz (Rabiner & Schafer,
    "Digital Processing of Speech Signals", 1978, section 8.9); roots between 90 Hz and
    ceiling - 50 Hz with bandwidths under 700 Hz, in order of frequency, are F1, F2, F3.
    openSMILE (eGeMAPS, section 3.1.2) also takes LPC roots, with its own order and
    window; neither tracks formants across frames. Returns two arrays (n_formants x
    len(times)), NaN where a frame has too few resonances.

    Notebook: 05_voice.ipynb
    """
    from scipy.signal import resample_poly

    times = np.asarray(times, dtype=float)
    F = np.full((n_formants, len(times)), np.nan)
    B = np.full((n_formants, len(times)), np.nan)
    if len(times) == 0:
        return F, B
    fs = int(2 * FORMANT_CEILING_HZ)
    g = np.gcd(int(sr), fs)
    z = resample_poly(np.asarray(y, dtype=np.float64), fs // g, int(sr) // g)
    z = np.append(z[0], z[1:] - np.exp(-2 * np.pi * 50.0 / fs) * z[:-1])
    L = int(round(LPC_WINDOW_S * fs))
    zp = np.pad(z, L // 2)
    starts = np.clip(np.round(times * fs).astype(int), 0, max(0, len(zp) - L))
    if len(zp) < L:
        return F, B
    frames = np.lib.stride_tricks.sliding_window_view(zp, L)[starts] * np.hanning(L)
    a = lpc(frames, LPC_ORDER)
    comp = np.zeros((len(times), LPC_ORDER, LPC_ORDER))
    comp[:, 0, :] = -a[:, 1:]
    comp[:, np.arange(1, LPC_ORDER), np.arange(LPC_ORDER - 1)] = 1.0
    roots = np.linalg.eigvals(comp)
    freq = np.angle(roots) * fs / (2 * np.pi)
    bw = -np.log(np.maximum(np.abs(roots), 1e-12)) * fs / np.pi
    ok = (freq > 90) & (freq < FORMANT_CEILING_HZ - 50) & (bw < 700) & (bw > 0)
    freq = np.where(ok, freq, np.inf)
    order = np.argsort(freq, axis=1)
    fs_sorted = np.take_along_axis(freq, order, axis=1)
    bw_sorted = np.take_along_axis(bw, order, axis=1)
    k = min(n_formants, LPC_ORDER)
    good = np.isfinite(fs_sorted[:, :k])
    F[:k] = np.where(good, fs_sorted[:, :k], np.nan).T
    B[:k] = np.where(good, bw_sorted[:, :k], np.nan).T
    return F, B


# ---------------------------------------------------------------------------- spectra
@lru_cache(maxsize=8)
def _band_weights(cfg: FeatureConfig) -> dict[str, np.ndarray]:
    """Regression weights (slopes), band masks and the mel bands' A-weighting."""
    freqs = np.linspace(0, cfg.sr / 2, cfg.n_fft // 2 + 1)

    def slope_w(lo, hi):
        m = (freqs >= lo) & (freqs <= hi)
        f = np.where(m, freqs / 1000.0, 0.0)
        fc = np.where(m, f - f[m].mean(), 0.0)
        return fc / np.sum(fc ** 2)

    fm = mel_frequencies(cfg)
    f2 = np.maximum(fm, 1.0) ** 2
    ra = (12194.0 ** 2 * f2 ** 2) / ((f2 + 20.6 ** 2) * np.sqrt((f2 + 107.7 ** 2) * (f2 + 737.9 ** 2))
                                    * (f2 + 12194.0 ** 2))
    a_weight = (ra / ra.max()) ** 2  # IEC 61672 A-weighting, as a power factor
    return {"freqs": freqs, "slope_0_500": slope_w(0, 500), "slope_500_1500": slope_w(500, 1500),
            "lo": (freqs >= 50) & (freqs < 1000), "hi": (freqs >= 1000) & (freqs <= 5000),
            "h_lo": freqs < 2000, "h_hi": (freqs >= 2000) & (freqs <= 5000),
            "a_weight": a_weight}


def _band_max_db(pdb: np.ndarray, freqs: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per frame, the largest dB value between ``lo`` and ``hi`` Hz (NaN if empty or NaN)."""
    f = freqs[:, None]
    mask = (f >= lo[None, :]) & (f <= hi[None, :])
    out = np.where(mask, pdb, -np.inf).max(axis=0)
    return np.where(np.isfinite(out) & np.isfinite(lo) & np.isfinite(hi), out, np.nan)


def spectral_contours(s: Spectra, f0_hz: np.ndarray, formant_hz: np.ndarray) -> dict[str, np.ndarray]:
    """Per STFT frame: loudness, spectral balance, harmonic levels, flux, MFCC 1-4.

    ``f0_hz`` (0 = unvoiced) and ``formant_hz`` (3 x frames, NaN = none) are given on the
    STFT's frames. Definitions (eGeMAPS sections 3.1-3.2; where openSMILE differs):

    * loudness: ``sum_b (w_b P_b) ** 0.3`` over the 128 mel bands of the power spectrum
      ``P_b``, ``w_b`` the A-weighting at the band centre - an equal-loudness weighting
      and Stevens' power law (Zwicker & Fastl, "Psychoacoustics", 3rd ed. 2007, ch. 8).
      openSMILE sums a Bark-band auditory spectrum with its own equal-loudness curve and
      exponent 0.33; the scale differs, the shape over time is close.
    * alpha ratio: energy 1-5 kHz over energy 50 Hz-1 kHz, in dB (GeMAPS 3.2; Patel et
      al. 2011). Hammarberg index: strongest peak 0-2 kHz over strongest 2-5 kHz, dB
      (Hammarberg et al. 1980).
    * spectral slope 0-500 and 500-1500 Hz: least-squares slope of the power spectrum in
      dB against frequency, in dB per kHz (openSMILE: per Hz on its own log scale).
    * H1-H2: level (dB) of the strongest bin within 10 % of F0 minus that within 10 % of
      2 F0; H1-A3: H1 minus the strongest bin within 10 % of F3 (GeMAPS 3.1.2, uncorrected
      for formants as there). F1-F3 amplitude: the level of the harmonic nearest each
      formant (within 0.1 F0 of it) minus H1 (eGeMAPS' ``F1amplitudeLogRelF0``).
    * spectral flux: squared Euclidean distance between consecutive magnitude spectra,
      each scaled to unit sum (openSMILE normalises by frame energy the same way).
    * MFCC 1-4: the clip's MFCCs (:attr:`Spectra.mfcc`, 128 Slaney mel bands, no
      liftering; openSMILE uses 26 HTK bands and liftering, so scales differ).

    Notebook: 05_voice.ipynb
    """
    cfg = s.cfg
    w = _band_weights(cfg)
    freqs = w["freqs"]
    P = s.power
    pdb = 10 * np.log10(np.maximum(P, 1e-12))
    loud = (np.maximum(s.mel.astype(np.float64), 0) * w["a_weight"][:, None]) ** 0.3
    loudness = loud.sum(axis=0)
    lo = P[w["lo"]].sum(axis=0)
    hi = P[w["hi"]].sum(axis=0)
    alpha = 10 * np.log10(np.maximum(hi, 1e-12) / np.maximum(lo, 1e-12))
    hamm = pdb[w["h_lo"]].max(axis=0) - pdb[w["h_hi"]].max(axis=0)
    slope1 = w["slope_0_500"] @ pdb
    slope2 = w["slope_500_1500"] @ pdb
    mag = s.magnitude.astype(np.float64)
    norm = mag / np.maximum(mag.sum(axis=0, keepdims=True), 1e-12)
    flux = np.concatenate([[0.0], np.sum(np.diff(norm, axis=1) ** 2, axis=0)])
    nf = P.shape[1]
    vo = np.flatnonzero(f0_hz > 0)
    h1, h2, a3 = (np.full(nf, np.nan) for _ in range(3))
    amps = np.full((formant_hz.shape[0], nf), np.nan)
    if vo.size:
        pv, f0 = pdb[:, vo], f0_hz[vo]
        h1[vo] = _band_max_db(pv, freqs, 0.9 * f0, 1.1 * f0)
        h2[vo] = _band_max_db(pv, freqs, 1.8 * f0, 2.2 * f0)
        F3 = formant_hz[2, vo]
        a3[vo] = _band_max_db(pv, freqs, 0.9 * F3, 1.1 * F3)
        for k in range(formant_hz.shape[0]):
            # the harmonic nearest the formant (eGeMAPS' "F1amplitudeLogRelF0")
            fk = np.maximum(np.round(formant_hz[k, vo] / f0), 1) * f0
            amps[k, vo] = _band_max_db(pv, freqs, fk - 0.1 * f0, fk + 0.1 * f0) - h1[vo]
    return {"loudness": loudness, "alpha_ratio_db": alpha, "hammarberg_db": hamm,
            "slope_0_500_db_khz": slope1, "slope_500_1500_db_khz": slope2, "flux": flux,
            "h1_h2_db": h1 - h2, "h1_a3_db": h1 - a3, "formant_amp_rel_h1_db": amps,
            "mfcc": s.mfcc[1:5].astype(np.float64)}


# ---------------------------------------------------------------------------- track
@dataclass(frozen=True)
class VoiceTrack:
    """Frame-level contours of one clip (what :func:`voice_vector` summarises).

    ``pitch``: :func:`track_pitch`'s dict (10-ms frames); ``pulses``: glottal pulses;
    ``perturbation``: jitter and shimmer; ``hnr_db`` per voiced pitch frame;
    ``frame_times`` (s), ``voiced`` and ``active`` (bool), ``f0_hz``, ``formant_hz`` and
    ``bandwidth_hz`` (3 x frames) and ``spectral`` (dict) on the STFT's frames.

    Notebook: 05_voice.ipynb
    """

    pitch: dict
    pulses: dict
    perturbation: dict
    hnr_db: np.ndarray
    frame_times: np.ndarray
    voiced: np.ndarray
    active: np.ndarray
    f0_hz: np.ndarray
    formant_hz: np.ndarray
    bandwidth_hz: np.ndarray
    spectral: dict
    duration_s: float

    @property
    def f0_semitones(self) -> np.ndarray:
        """F0 on the STFT frames in semitones re 27.5 Hz (NaN where unvoiced)."""
        return semitones(self.f0_hz)


def hnr_from_r(r: np.ndarray) -> np.ndarray:
    """Harmonics-to-noise ratio (dB) from the normalised autocorrelation peak.

    ``10 log10(r / (1 - r))`` (Boersma 1993, eq. 4; Praat manual "Harmonicity"), ``r``
    clipped to 0.001..0.999 (-30..+30 dB). openSMILE's ``HNRdBACF`` uses the same
    formula on its own autocorrelation.

    Notebook: 05_voice.ipynb
    """
    r = np.clip(np.asarray(r, dtype=np.float64), 1e-3, 0.999)
    return 10 * np.log10(r / (1 - r))


def analyze_voice(y, cfg: FeatureConfig | None = None) -> VoiceTrack:
    """Every contour the ``voice`` kind needs, from the clip's one STFT and its waveform.

    ``y`` is a signal at ``cfg.sr`` or a :class:`~serlib.features.Spectra` (then its STFT
    is reused). Example::

        track = analyze_voice(serlib.audio.load(path))
        track.f0_semitones, track.spectral["loudness"], track.formant_hz

    Notebook: 05_voice.ipynb
    """
    s = _spectra(y, cfg)
    cfg, sr = s.cfg, s.cfg.sr
    pitch = track_pitch(s.y, sr)
    pulses = glottal_pulses(s.y, sr, pitch)
    pert = perturbation(pulses)
    hnr = hnr_from_r(pitch["r"][pitch["voiced"]])
    t = s.times
    if len(pitch["times"]):
        j = np.clip(np.round(t / PITCH_HOP_S).astype(int), 0, len(pitch["times"]) - 1)
        f0 = pitch["f0_hz"][j]
    else:
        f0 = np.zeros(len(t))
    voiced = f0 > 0
    rms = s.rms.astype(np.float64)
    level = 20 * np.log10(np.maximum(rms, 1e-10))
    active = level > (level.max() - ACTIVE_DB if level.size else 0)
    Fh = np.full((3, len(t)), np.nan)
    Bh = np.full((3, len(t)), np.nan)
    if voiced.any():
        Fv, Bv = formants(s.y, sr, t[voiced])
        Fh[:, voiced], Bh[:, voiced] = Fv, Bv
    spectral = spectral_contours(s, f0, Fh)
    return VoiceTrack(pitch=pitch, pulses=pulses, perturbation=pert, hnr_db=hnr, frame_times=t,
                      voiced=voiced, active=active | voiced, f0_hz=f0, formant_hz=Fh,
                      bandwidth_hz=Bh, spectral=spectral, duration_s=len(s.y) / sr)


# ---------------------------------------------------------------------------- synthesis
def synthetic_vowel(f0_hz: float = 120.0, seconds: float = 1.0, sr: int = 16000, *,
                    jitter: float = 0.0, shimmer_db: float = 0.0,
                    formants_hz=(700.0, 1220.0, 2600.0), bandwidths_hz=(80.0, 90.0, 120.0),
                    noise_db: float | None = None, seed: int = 0) -> tuple[np.ndarray, dict]:
    """A vowel of known voice: a glottal pulse train through formant resonators.

    The source-filter model (G. Fant, "Acoustic Theory of Speech Production", 1960;
    D. Klatt, "Software for a cascade/parallel formant synthesizer", JASA 67(3), 1980):
    band-limited impulses at the glottal closures (placed with sub-sample precision),
    two one-pole low-pass filters for the source's roll-off (-12 dB per octave), a
    cascade of two-pole resonators at ``formants_hz`` with ``bandwidths_hz``, and a
    first difference for the radiation at the lips (+6 dB per octave).

    Periods are ``T0 (1 + e)`` and amplitudes ``10 ** (d / 20)`` with Gaussian ``e`` and
    ``d`` scaled so that the expected local jitter and shimmer equal ``jitter`` (a
    fraction: 0.01 = 1 %) and ``shimmer_db``. ``noise_db``: white noise that many dB
    below the vowel's power (None: none). Returns the signal (peak 0.5) and the truth:
    ``pulse_times``, ``amplitudes`` and the jitter and shimmer those realise under the
    Praat definitions of :func:`perturbation`.

    Notebook: 05_voice.ipynb
    """
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    n = int(round(seconds * sr))
    T0 = sr / f0_hz
    k = int(np.ceil(n / T0 * 1.3)) + 2
    periods = T0 * (1 + jitter * np.sqrt(np.pi) / 2 * rng.standard_normal(k))
    amps = 10 ** (shimmer_db * np.sqrt(np.pi) / 2 * rng.standard_normal(k) / 20)
    t = 20.0 + np.concatenate([[0.0], np.cumsum(periods[:-1])])
    keep = t < n - 20
    t, amps, periods = t[keep], amps[keep], periods[keep]
    src = np.zeros(n)
    taps = np.arange(-32, 33)
    win = np.hanning(len(taps) + 2)[1:-1]
    for ti, ai in zip(t, amps):
        c = int(np.floor(ti))
        src[c + taps.clip(-c, n - 1 - c)] += ai * np.sinc(c + taps - ti) * win * ((c + taps >= 0) & (c + taps < n))
    y = lfilter([1.0], [1.0, -0.95], lfilter([1.0], [1.0, -0.95], src))
    for F, B in zip(formants_hz, bandwidths_hz):
        r = np.exp(-np.pi * B / sr)
        a = [1.0, -2 * r * np.cos(2 * np.pi * F / sr), r * r]
        y = lfilter([sum(a)], a, y)
    y = np.diff(y, prepend=0.0)
    if noise_db is not None:
        y = y + rng.standard_normal(n) * np.sqrt(np.mean(y ** 2) * 10 ** (-noise_db / 10))
    y = 0.5 * y / np.max(np.abs(y))
    T = np.diff(t)
    truth = {"pulse_times": t / sr, "amplitudes": amps, "f0_hz": f0_hz,
             "jitter": float(np.mean(np.abs(np.diff(T))) / np.mean(T)),
             "shimmer_db": float(np.mean(np.abs(20 * np.log10(amps[1:] / amps[:-1])))),
             "formants_hz": tuple(formants_hz), "bandwidths_hz": tuple(bandwidths_hz)}
    return y.astype(np.float32), truth


# ---------------------------------------------------------------------------- functionals
def _mean(x) -> float:
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    return float(x.mean()) if x.size else 0.0


def _std(x) -> float:
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    return float(x.std()) if x.size > 1 else 0.0


def _cv(x) -> float:
    m = _mean(x)
    return _std(x) / abs(m) if abs(m) > 1e-12 else 0.0


def _slopes(values: np.ndarray, mask: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Rising and falling slopes (units per second) between successive local extrema of
    ``values`` inside each run of ``mask`` (openSMILE's ``meanRisingSlope`` etc.)."""
    rises, falls = [], []
    for s, e in _runs(mask):
        v = values[s:e]
        if len(v) < 2:
            continue
        d = np.sign(np.diff(v))
        turn = np.flatnonzero(d[1:] * d[:-1] < 0) + 1
        ext = np.concatenate([[0], turn, [len(v) - 1]])
        dv = np.diff(v[ext])
        dtt = np.diff(ext) * dt
        sl = dv / dtt
        rises.append(sl[dv > 0])
        falls.append(-sl[dv < 0])
    r = np.concatenate(rises) if rises else np.zeros(0)
    f = np.concatenate(falls) if falls else np.zeros(0)
    return r, f


def sma3(values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """3-frame symmetric moving average (eGeMAPS' ``sma3``), within each run of ``mask``.

    eGeMAPS smooths every low-level contour this way before its functionals (Eyben et
    al. 2016, section 4); for voiced-only contours (``sma3nz``) the average never reaches
    across an unvoiced gap. Run ends average the frames they have.

    Notebook: 05_voice.ipynb
    """
    x = np.asarray(values, dtype=np.float64)
    m = np.ones(len(x), bool) if mask is None else np.asarray(mask, bool) & np.isfinite(x)
    xv = np.where(m, x, 0.0)
    mf = m.astype(float)
    num = xv + np.concatenate([[0.0], xv[:-1]]) + np.concatenate([xv[1:], [0.0]])
    den = mf + np.concatenate([[0.0], mf[:-1]]) + np.concatenate([mf[1:], [0.0]])
    return np.where(m, num / np.maximum(den, 1.0), x)


def _contour_stats(values: np.ndarray, mask: np.ndarray, dt: float) -> list[float]:
    """mean, cv, p20, p50, p80, p80-p20, rising slope mean/std, falling slope mean/std."""
    v = values[mask]
    v = v[np.isfinite(v)]
    if v.size == 0:
        return [0.0] * len(_CONTOUR_STATS)
    p20, p50, p80 = np.percentile(v, [20, 50, 80])
    rise, fall = _slopes(values, mask, dt)
    return [_mean(v), _cv(v), p20, p50, p80, p80 - p20, _mean(rise), _std(rise),
            _mean(fall), _std(fall)]


def _segments(mask: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Lengths (s) of the voiced runs and of the unvoiced gaps between them."""
    runs = _runs(mask)
    voiced = np.array([e - s for s, e in runs], dtype=float) * dt
    gaps = np.array([runs[i + 1][0] - runs[i][1] for i in range(len(runs) - 1)], dtype=float) * dt
    return voiced, gaps


def voice_vector(y, cfg: FeatureConfig | None = None) -> np.ndarray:
    """The clip's voice parameters, 89 values named by :func:`voice_feature_names`.

    Functionals as eGeMAPS (section 3.3 and table 1 of Eyben et al. 2016): F0 (semitones)
    and loudness, smoothed by :func:`sma3` as there, get mean, coefficient of variation, 20/50/80th percentiles, the 20-80
    range and the mean and standard deviation of rising and falling slopes (F0 over
    voiced frames, loudness over all frames); loudness peaks per second (peaks of the
    loudness contour more prominent than 10 % of its 5-95 % range); jitter, shimmer and
    HNR over voiced stretches; formants, H1-H2, H1-A3 and the spectral parameters over
    voiced frames (``_v``), the spectral balance also over unvoiced active frames (``_uv``),
    MFCC 1-4 and flux also over all active frames; segment lengths from the voicing
    decision; the equivalent sound level ``10 log10(mean frame power)`` in dB re full
    scale (eGeMAPS: ``equivalentSoundLevel_dBp``).

    Differences from openSMILE's eGeMAPSv02 besides those of the contours: rates (per
    second) count the time from the first to the last voiced frame, not the whole file
    (RAVDESS clips carry a second of silence that says nothing about the voice); unvoiced
    segments are the gaps *between* voiced ones; "unvoiced" and "all" frames leave out
    silence (frames 40 dB below the loudest); signed quantities get ``_std``, not
    ``stddevNorm``. A clip with no voiced frame gets ``no_voiced_frame = 1`` and zeros
    for everything that needs voicing.

    Notebook: 05_voice.ipynb
    """
    from scipy.signal import find_peaks

    s = _spectra(y, cfg)
    tr = analyze_voice(s)
    dt = s.cfg.hop_length / s.cfg.sr
    sp = tr.spectral
    v, act = tr.voiced, tr.active
    uv = act & ~v
    any_voiced = bool(v.any())
    out: list[float] = []
    out += _contour_stats(sma3(tr.f0_semitones, v), v, dt) if any_voiced else [0.0] * 10
    loud = sma3(sp["loudness"])
    out += _contour_stats(loud, act, dt)
    if any_voiced:
        idx = np.flatnonzero(v)
        span = max((idx[-1] - idx[0] + 1) * dt, dt)
    else:
        span = max(tr.duration_s, dt)
    la = loud[act]
    if la.size > 2:
        lo, hi = np.percentile(la, [5, 95])
        first, last = (np.flatnonzero(v)[[0, -1]] if any_voiced else (0, len(loud) - 1))
        peaks, _ = find_peaks(loud[first:last + 1], prominence=max(0.1 * (hi - lo), 1e-9))
        out.append(len(peaks) / span)
    else:
        out.append(0.0)
    pert = tr.perturbation
    out += [_mean(pert["jitter_blocks"]), _cv(pert["jitter_blocks"])]
    out += [_mean(pert["shimmer_blocks"]), _cv(pert["shimmer_blocks"])]
    out += [_mean(tr.hnr_db), _std(tr.hnr_db)]
    out += [_mean(sp["h1_h2_db"][v]), _std(sp["h1_h2_db"][v])]
    out += [_mean(sp["h1_a3_db"][v]), _std(sp["h1_a3_db"][v])]
    for k in range(3):
        out += [_mean(tr.formant_hz[k][v]), _cv(tr.formant_hz[k][v]),
                _mean(tr.bandwidth_hz[k][v]), _cv(tr.bandwidth_hz[k][v]),
                _mean(sp["formant_amp_rel_h1_db"][k][v]), _std(sp["formant_amp_rel_h1_db"][k][v])]
    spectral = ("alpha_ratio_db", "hammarberg_db", "slope_0_500_db_khz", "slope_500_1500_db_khz")
    for p in spectral:
        out += [_mean(sp[p][v]), _std(sp[p][v])]
    out += [_mean(sp["flux"][v]), _cv(sp["flux"][v])]
    for k in range(4):
        out += [_mean(sp["mfcc"][k][v]), _std(sp["mfcc"][k][v])]
    out += [_mean(sp[p][uv]) for p in spectral] + [_mean(sp["flux"][uv])]
    out += [_mean(sp["flux"][act]), _cv(sp["flux"][act])]
    for k in range(4):
        out += [_mean(sp["mfcc"][k][act]), _std(sp["mfcc"][k][act])]
    vseg, gaps = _segments(v, dt)
    out += [len(vseg) / span if any_voiced else 0.0, _mean(vseg), _std(vseg), _mean(gaps), _std(gaps)]
    rms = s.rms.astype(np.float64)
    out.append(10 * np.log10(max(float(np.mean(rms ** 2)) if rms.size else 0.0, 1e-12)))
    out.append(0.0 if any_voiced else 1.0)
    x = np.asarray(out, dtype=np.float32)
    return np.nan_to_num(x, nan=0.0, posinf=0.0, neginf=0.0)


def stats_voice_vector(y, cfg: FeatureConfig | None = None) -> np.ndarray:
    """``stats`` then ``voice`` of one clip (234 + 89 values), from one STFT.

    Notebook: 05_voice.ipynb
    """
    s = _spectra(y, cfg)
    return np.concatenate([stats_vector(s), voice_vector(s)]).astype(np.float32)


#: The kinds this module adds to :data:`serlib.features.FEATURE_KINDS`.
FEATURE_KINDS = {"voice": voice_vector, "stats+voice": stats_voice_vector}
#: Their value names (the length is the vector's shape).
FEATURE_NAMES = {"voice": voice_feature_names, "stats+voice": stats_voice_feature_names}
#: Their code versions (part of their cache folders).
KIND_VERSIONS = {"voice": VOICE_VERSION, "stats+voice": VOICE_VERSION}

from serlib import features as _features  # noqa: E402

_features.FEATURE_KINDS.update(FEATURE_KINDS)
_features._EXTRA_NAMES.update(FEATURE_NAMES)
_features._KIND_VERSIONS.update(KIND_VERSIONS)

__all__ = ["FEATURE_KINDS", "VoiceTrack", "analyze_voice", "formants", "glottal_pulses",
           "hnr_from_r", "lpc", "perturbation", "semitones", "sma3", "spectral_contours",
           "stats_voice_feature_names", "stats_voice_vector", "synthetic_vowel", "track_pitch",
           "voice_feature_names", "voice_vector"]
