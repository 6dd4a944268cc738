"""serlib.channels: fixed benchmark conditions and random training channels, checked on known answers.

Tones of known frequency and level, white noise, impulses and exponential decays whose
RT60 is known, and one real RAVDESS clip from the bundled sample.
"""
from __future__ import annotations

import pickle
import random

import numpy as np
import pytest

from serlib import audio, channels
from serlib.channels import CONDITIONS, ChannelError, degrade, session_channel
from serlib.config import BUNDLED_DATA, SAMPLE_RATE
from serlib.errors import SerlibError

SR = SAMPLE_RATE
NAMES = ["clean", "white-20dB", "white-10dB", "babble-20dB", "babble-10dB", "reverb-0.5s",
         "telephone", "laptop-mic", "window-7s"]


@pytest.fixture(scope="module")
def clip():
    """One real RAVDESS clip of the bundled sample (an angry sentence), read-only."""
    path = sorted(BUNDLED_DATA.glob("ravdess/Actor_*/03-01-05-*.flac"))
    if not path:
        pytest.skip("the bundled RAVDESS sample (data/ravdess) is not there")
    y = audio.load(path[0])
    y.setflags(write=False)
    return y


@pytest.fixture(scope="module")
def babble():
    """Babble from other clips of the sample (actors other than the clip's), 10 s."""
    paths = sorted(BUNDLED_DATA.glob("ravdess/Actor_0[89]/*.flac"))[::20][:6]
    return channels.make_babble([audio.load(p) for p in paths], 10.0, seed=0)


def _tone(freq, seconds=1.0, amp=0.5):
    return audio.tone(freq, seconds, SR, amp)


def _gain_at(y_in, y_out, freq):
    """Output/input amplitude (dB) at ``freq``, from the middle half of both signals (lock-in)."""
    n = y_in.size
    mid = slice(n // 4, 3 * n // 4)
    t = np.arange(n)[mid] / SR
    ref = np.exp(-2j * np.pi * freq * t)
    return 20 * np.log10(abs(np.sum(y_out[mid] * ref)) / abs(np.sum(y_in[mid] * ref)))


def test_condition_names_are_exactly_the_benchmarks():
    assert list(CONDITIONS) == NAMES
    assert all(isinstance(v, str) and v for v in CONDITIONS.values())


def test_active_level_ignores_pauses():
    # A 0.5-amplitude tone (power 0.125) that sounds for half the time: the active level
    # is the tone's power, not the clip's mean power (0.0625).
    y = np.concatenate([_tone(440, 0.5), np.zeros(SR // 2, np.float32), _tone(440, 0.5)])
    assert channels.active_power(y) == pytest.approx(0.125, rel=0.02)
    assert np.mean(y.astype(np.float64) ** 2) == pytest.approx(0.0833, rel=0.02)
    assert channels.active_power(np.zeros(100, np.float32)) == 0.0


@pytest.mark.parametrize("condition", ["white-20dB", "white-10dB", "babble-20dB", "babble-10dB"])
def test_noise_is_added_at_the_named_snr(condition, babble):
    snr = float(condition.split("-")[1].removesuffix("dB"))
    # Known answer: a 0.25-amplitude tone with a pause, active power 0.25**2 / 2 (quiet
    # enough that the clipping guard never acts).
    y = np.concatenate([_tone(300, 1.0, 0.25), np.zeros(SR, np.float32), _tone(300, 1.0, 0.25)])
    out = degrade(y, condition, seed=3, babble=babble)
    assert np.max(np.abs(out)) < channels.MAX_PEAK
    measured = 10 * np.log10(0.25 ** 2 / 2 / np.mean((out.astype(np.float64) - y) ** 2))
    assert measured == pytest.approx(snr, abs=0.5)


def test_noise_snr_holds_on_speech_and_when_the_guard_scales_down(clip):
    out = degrade(clip, "white-10dB", seed=1)
    assert channels.snr_db(clip, out - clip) == pytest.approx(10.0, abs=0.5)
    loud = _tone(200, 1.0, amp=0.99)  # + noise at 0 dB SNR would clip: the guard scales all down
    mixed = channels.add_noise(loud, channels.white_noise(loud.size, seed=0), 0.0)
    assert np.max(np.abs(mixed)) > 1.0
    out = degrade(loud, "white-10dB", seed=0)
    assert np.max(np.abs(out)) <= 1.0
    scale = np.dot(out, loud) / np.dot(loud, loud)  # the guard's gain, applied to both parts
    assert channels.snr_db(scale * loud, out - scale * loud) == pytest.approx(10.0, abs=0.5)


def test_pink_noise_has_equal_power_per_octave_and_white_does_not():
    def octave_db(x, low):
        power = np.abs(np.fft.rfft(x)) ** 2
        freqs = np.fft.rfftfreq(x.size, 1 / SR)
        return 10 * np.log10(power[(freqs >= low) & (freqs < 2 * low)].sum())

    pink, white = channels.pink_noise(4 * SR, seed=0), channels.white_noise(4 * SR, seed=0)
    assert np.mean(pink.astype(np.float64) ** 2) == pytest.approx(1.0, rel=1e-3)
    assert octave_db(pink, 2000) - octave_db(pink, 250) == pytest.approx(0.0, abs=0.5)
    assert octave_db(white, 2000) - octave_db(white, 250) == pytest.approx(9.0, abs=0.5)


def test_schroeder_rt60_of_a_known_exponential_decay():
    t = np.arange(int(0.8 * SR)) / SR
    decay = np.random.default_rng(0).standard_normal(t.size) * np.exp(-3 * np.log(10) * t / 0.6)
    assert channels.rt60_schroeder(decay) == pytest.approx(0.6, abs=0.02)


@pytest.mark.parametrize("rt60", [0.2, 0.5, 0.8])
def test_room_impulse_response_has_the_asked_rt60_and_a_direct_path(rt60):
    rir = channels.room_impulse_response(rt60, seed=1)
    assert channels.rt60_schroeder(rir) == pytest.approx(rt60, abs=0.05)
    assert np.argmax(np.abs(rir)) == 0 and rir[0] == 1.0
    assert not np.any(rir[1:int(0.0025 * SR)])  # a gap before the first reflection


def test_reverb_condition_turns_an_impulse_into_a_half_second_room():
    y = np.zeros(SR, np.float32)
    y[100] = 0.5
    out = degrade(y, "reverb-0.5s", seed=0)
    assert out.size == y.size
    assert channels.rt60_schroeder(out[100:]) == pytest.approx(0.5, abs=0.1)
    assert np.max(np.abs(out[:100])) < 1e-6  # causal: nothing before the sound


def test_reverb_keeps_the_level_and_one_room_for_every_clip(clip):
    a, b = degrade(clip, "reverb-0.5s", seed=0), degrade(clip, "reverb-0.5s", seed=1)
    np.testing.assert_array_equal(a, b)
    level = 10 * np.log10(channels.active_power(a) / channels.active_power(clip))
    assert abs(level) < 1.0


def test_telephone_band():
    noise = channels.white_noise(SR, seed=0) * np.float32(0.1)
    out = degrade(noise, "telephone", seed=0)
    spectrum = np.abs(np.fft.rfft(out)) ** 2
    freqs = np.fft.rfftfreq(out.size, 1 / SR)
    assert spectrum[freqs > 4000].sum() < 1e-4 * spectrum.sum()  # nothing above 4 kHz (-40 dB)
    tone_1k, tone_100 = _tone(1000), _tone(100)
    assert abs(_gain_at(tone_1k, degrade(tone_1k, "telephone", seed=0), 1000)) < 1.0
    assert _gain_at(tone_100, degrade(tone_100, "telephone", seed=0), 100) <= -15.0


@pytest.mark.parametrize("freq, low, high", [
    (100, -14.0, -7.0),    # below the 180-Hz high-pass
    (800, -4.0, -1.5),     # the chassis dip
    (3000, 2.5, 5.0),      # the presence peak
    (6000, -4.0, -1.5),    # the low-pass corner (-3 dB)
    (7500, -40.0, -10.0),  # above it
])
def test_laptop_mic_response(freq, low, high):
    y = _tone(freq)
    assert low <= _gain_at(y, degrade(y, "laptop-mic", seed=0), freq) <= high


def test_laptop_mic_self_noise_at_45_db():
    y = np.zeros(SR, np.float32)
    y[: SR // 2] = _tone(1500, 0.5)
    out = degrade(y, "laptop-mic", seed=0)
    quiet = out[3 * SR // 4:]  # only the hiss sounds here
    # The hiss is set against the coloured tone (+1 dB at 1.5 kHz), so about 45-46 dB below the input.
    hiss_db = 10 * np.log10(channels.active_power(y) / np.mean(quiet.astype(np.float64) ** 2))
    assert hiss_db == pytest.approx(45.5, abs=1.5)


def test_window_7s_places_the_clip_somewhere_inside(clip):
    short = np.asarray(clip[: 2 * SR])
    outs = [degrade(short, "window-7s", seed=s) for s in range(3)]
    assert all(o.size == 7 * SR and o.dtype == np.float32 for o in outs)
    offsets = []
    for out in outs:
        corr = np.correlate(out, short, mode="valid")
        offsets.append(int(np.argmax(corr)))
        k = offsets[-1]
        level = channels.active_power(short)
        inside = out[k:k + short.size].astype(np.float64) - short  # the clip is there, unchanged
        rest = np.concatenate([out[:k], out[k + short.size:]]).astype(np.float64)
        for room in (inside, rest):  # and the room noise is 40 dB below it everywhere
            assert 10 * np.log10(level / np.mean(room ** 2)) == pytest.approx(40.0, abs=1.0)
    assert len(set(offsets)) == 3
    long = np.resize(short, 8 * SR).astype(np.float32)
    assert degrade(long, "window-7s", seed=0).size == 8 * SR


@pytest.mark.parametrize("condition", NAMES)
def test_conditions_are_reproducible_and_leave_the_input_alone(condition, clip, babble):
    before = clip.copy()
    a = degrade(clip, condition, seed=7, babble=babble)
    b = degrade(clip, condition, seed=np.random.default_rng(7), babble=babble)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(clip, before)
    assert a.dtype == np.float32 and a.ndim == 1
    assert a.size == (7 * SR if condition == "window-7s" else clip.size)
    assert np.all(np.isfinite(a)) and np.max(np.abs(a)) <= 1.0
    assert a is not clip
    if condition.startswith(("white", "babble", "window")):
        assert not np.array_equal(a, degrade(clip, condition, seed=8, babble=babble))


def test_channels_never_touch_the_global_random_state(clip, babble):
    np_state, py_state = np.random.get_state()[1].copy(), random.getstate()
    for condition in NAMES:
        degrade(clip, condition, seed=0, babble=babble)
    for seed in range(12):
        session_channel(seed, babble=babble)(clip)
    assert np.array_equal(np.random.get_state()[1], np_state) and random.getstate() == py_state


def test_bad_input_is_explained(clip):
    with pytest.raises(ChannelError, match="choose one of: clean, white-20dB, .*window-7s"):
        degrade(clip, "white-15dB", seed=0)
    with pytest.raises(ChannelError, match="needs babble=.*make_babble"):
        degrade(clip, "babble-10dB", seed=0)
    with pytest.raises(ChannelError, match="dtype int16.*float"):
        degrade((clip * 32767).astype(np.int16), "clean", seed=0)
    with pytest.raises(ChannelError, match=r"shape \(2, .*mono"):
        degrade(np.stack([clip, clip]), "clean", seed=0)
    with pytest.raises(ChannelError, match="empty"):
        degrade(np.zeros(0, np.float32), "clean", seed=0)
    with pytest.raises(ChannelError, match="NaN"):
        degrade(np.full(100, np.nan, np.float32), "clean", seed=0)
    with pytest.raises(ChannelError, match="silent"):
        degrade(np.zeros(SR, np.float32), "white-20dB", seed=0)
    with pytest.raises(ChannelError, match="seed=None"):
        degrade(clip, "white-20dB", seed=None)
    with pytest.raises(ChannelError, match="numpy array"):
        degrade(list(clip[:100]), "clean", seed=0)
    with pytest.raises(ChannelError, match="at least 16000"):
        degrade(clip, "telephone", seed=0, sr=8000)
    with pytest.raises(ChannelError, match="same length"):
        channels.add_noise(clip, channels.white_noise(10, seed=0), 10.0)
    with pytest.raises(ChannelError, match="list of speech clips"):
        channels.make_babble([], 5, seed=0)
    with pytest.raises(ChannelError, match="int seed"):
        session_channel("a")
    assert issubclass(ChannelError, SerlibError) and issubclass(ChannelError, ValueError)


def test_make_babble_is_continuous_speech_at_minus_23_dbfs(babble):
    assert babble.size == 10 * SR and babble.dtype == np.float32
    assert audio.rms_dbfs(babble) == pytest.approx(-23.0, abs=0.1)
    # Six talkers overlap: no 100-ms stretch falls silent.
    frames = babble[: babble.size // 1600 * 1600].reshape(-1, 1600)
    assert audio.rms_dbfs(frames[np.argmin(np.mean(frames ** 2, axis=1))]) > -45
    clips = [audio.load(p) for p in sorted(BUNDLED_DATA.glob("ravdess/Actor_0[89]/*.flac"))[::20][:6]]
    np.testing.assert_array_equal(channels.make_babble(clips, 10.0, seed=0), babble)


def test_session_channel_is_fixed_per_seed_and_random_across_seeds(clip):
    params = [channels.draw_channel_params(s) for s in range(400)]
    assert params[5] == channels.draw_channel_params(5)
    clean = sum(p.clean for p in params) / len(params)
    assert 0.14 <= clean <= 0.26
    noisy = [p for p in params if p.noise]
    assert all(0.0 <= p.snr_db[0] < p.snr_db[1] <= 30.0 for p in noisy)
    rooms = [p.rt60 for p in params if p.rt60]
    assert min(rooms) >= 0.2 and max(rooms) <= 0.8 and len(rooms) > 100
    assert all(abs(g) <= 6.0 for p in params for _, _, g, _ in p.eq)
    assert all(abs(p.gain_db) <= 10.0 for p in params)
    assert {p.line for p in params} == {None, "telephone", "mp3"}
    # Two channels from one seed process a sequence of clips identically; per-clip seeds
    # make the result independent of the order.
    seed = next(s for s, p in enumerate(params) if p.noise and p.rt60)
    one, two = session_channel(seed), session_channel(seed)
    for _ in range(2):
        np.testing.assert_array_equal(one(clip), two(clip))
    np.testing.assert_array_equal(one(clip, seed=11), session_channel(seed)(clip, seed=11))
    assert not np.array_equal(one(clip, seed=11), one(clip, seed=12))
    # A channel travels to worker processes (pickle) and works the same there.
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(one))(clip, seed=11), one(clip, seed=11))


def test_session_channel_output_and_description(clip, babble):
    before = clip.copy()
    for seed in range(30):
        ch = session_channel(seed, babble=babble)
        loud = clip * np.float32(0.99 / np.max(np.abs(clip)))  # +10 dB gain would clip it
        out = ch(loud)
        assert out.dtype == np.float32 and out.size == clip.size and np.max(np.abs(out)) <= 1.0
        text = ch.describe()
        assert text == "clean (unchanged)" if ch.params.clean else "gain" in text
        if ch.params.clean:
            np.testing.assert_array_equal(ch(clip), clip)
    np.testing.assert_array_equal(clip, before)
    assert isinstance(session_channel(0).params.as_dict(), dict)


def test_a_channel_without_babble_uses_pink_noise():
    seed = next(s for s in range(200) if channels.draw_channel_params(s).noise == "babble")
    assert session_channel(seed).params.noise == "pink"
    assert "pink noise" in session_channel(seed).describe()


@pytest.mark.skipif(not channels.mp3_available(), reason="fast-mp3-augment is not installed")
def test_mp3_channel_keeps_length_and_really_encodes(clip):
    seed = next(s for s in range(200) if channels.draw_channel_params(s).line == "mp3")
    ch = session_channel(seed)
    out = ch(clip, seed=0)
    assert out.size == clip.size and "MP3" in ch.describe() and "skipped" not in ch.describe()
    np.testing.assert_array_equal(out, session_channel(seed)(clip, seed=0))
    without = session_channel(seed)
    without._codec = None  # the same channel without its codec
    coded = out.astype(np.float64)
    error_db = 10 * np.log10(np.mean((coded - without(clip, seed=0)) ** 2) / np.mean(coded ** 2))
    assert -40 < error_db < -3  # the codec changes the signal, but it is still the same speech
