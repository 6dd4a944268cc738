#!/usr/bin/env bash
# Start a PulseAudio daemon with a virtual microphone, for tests and CI (no sound card needed).
#
# The daemon runs as the current user with its socket in $XDG_RUNTIME_DIR (created when
# unset: /tmp/serlib-pulse-<uid>). It loads a null sink "serlib_mic" (16 kHz mono) and
# makes its monitor the default source: whatever is played into the sink (paplay
# --device=serlib_mic clip.wav) is what a program recording from PulseAudio hears.
# PortAudio reaches PulseAudio through ALSA's "pulse"/"default" devices (Debian package
# libasound2-plugins, pulled in by pulseaudio).
#
# Usage (the last line printed is an export to eval):
#     eval "$(scripts/start_pulseaudio.sh)"
#     pytest -m pulse tests/test_pulse_microphone.py
# Idempotent: a daemon already answering on $XDG_RUNTIME_DIR is reused.
set -euo pipefail

if ! command -v pulseaudio >/dev/null || ! command -v pactl >/dev/null; then
    echo "start_pulseaudio.sh: pulseaudio and pactl are needed (Debian/Ubuntu: sudo apt install pulseaudio pulseaudio-utils libasound2-plugins)" >&2
    exit 1
fi

export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp/serlib-pulse-$(id -u)}"
mkdir -p "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

if ! pactl info >/dev/null 2>&1; then
    # --exit-idle-time=-1: stay up between tests; root is allowed with a warning.
    pulseaudio --daemonize=yes --exit-idle-time=-1 --disallow-exit=yes \
        --log-target=file:"$XDG_RUNTIME_DIR/pulseaudio.log" >/dev/null 2>&1 || true
    for _ in $(seq 50); do
        pactl info >/dev/null 2>&1 && break
        sleep 0.1
    done
    if ! pactl info >/dev/null 2>&1; then
        echo "start_pulseaudio.sh: the PulseAudio daemon did not start; see $XDG_RUNTIME_DIR/pulseaudio.log" >&2
        exit 1
    fi
fi

if ! pactl list short sinks | grep -q $'\tserlib_mic\t'; then
    pactl load-module module-null-sink sink_name=serlib_mic rate=16000 channels=1 \
        sink_properties=device.description=serlib-virtual-microphone >/dev/null
fi
pactl set-default-source serlib_mic.monitor
echo "PulseAudio ready: play into sink serlib_mic, record from serlib_mic.monitor (default source)" >&2
echo "export XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR"
