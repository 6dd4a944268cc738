"""Changing how a feature is computed must bump ``FEATURE_VERSION``.

The feature cache is keyed by :meth:`FeatureConfig.key`, which includes
:data:`serlib.features.FEATURE_VERSION`. Code that computes a feature differently but
keeps the version lets every existing cache serve the old values: this happened once
(the ``stats`` frame energy moved by 4.26 dB) and every published ``stats`` number came
from stale features until a fresh clone disagreed.

This test pins the features of one real clip from the bundled sample, per version. If
it fails, the feature code changed: bump ``FEATURE_VERSION`` (so caches are invalidated,
and the shipped model's sidecar asks for retraining), then refresh the fingerprint with

    python tests/test_feature_fingerprint.py

If the version was bumped on purpose, the same command writes the new fingerprint.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from serlib import config, features
from serlib.audio import load

CLIP = config.BUNDLED_DATA / "ravdess" / "Actor_05" / "03-01-05-01-01-01-05.flac"
FINGERPRINT = Path(__file__).with_name("feature_fingerprint.json")


def _summary() -> dict:
    """Vectors whole; images and sequences as their means over time (per row)."""
    out = features.compute(load(CLIP), list(features.FEATURE_KINDS))
    summary = {}
    for kind, x in out.items():
        x = np.asarray(x, dtype=np.float64)
        if kind == "logmel":  # mel bands x frames
            x = x.mean(axis=1)
        elif kind == "mfcc_seq":  # frames x coefficients
            x = x.mean(axis=0)
        summary[kind] = {"shape": list(np.shape(out[kind])), "values": x.round(6).tolist()}
    return summary


def test_features_of_the_sample_clip_match_this_versions_fingerprint():
    stored = json.loads(FINGERPRINT.read_text())
    assert stored["version"] == features.FEATURE_VERSION, (
        f"FEATURE_VERSION is {features.FEATURE_VERSION} but the fingerprint is for version "
        f"{stored['version']}: run `python tests/test_feature_fingerprint.py` to record it")
    now = _summary()
    assert sorted(now) == sorted(stored["kinds"]), "a feature kind was added or removed"
    versions = stored.get("kind_versions", {})
    for kind in now:
        if features.kind_version(kind) is not None:
            assert versions.get(kind) == features.kind_version(kind), (
                f"{kind}: its version is {features.kind_version(kind)} but the fingerprint is "
                f"for {versions.get(kind)}: run `python tests/test_feature_fingerprint.py`")
    for kind, want in stored["kinds"].items():
        got = now[kind]
        assert got["shape"] == want["shape"], f"{kind}: shape {got['shape']} != {want['shape']}"
        a, b = np.asarray(got["values"]), np.asarray(want["values"])
        bad = np.flatnonzero(~np.isclose(a, b, rtol=1e-3, atol=1e-3))
        assert bad.size == 0, (
            f"{kind} features of {CLIP.name} changed at {bad.size} positions (first {bad[:5]}: "
            f"{a[bad[:5]]} now, {b[bad[:5]]} recorded) while "
            + (f"its version stayed {features.kind_version(kind)}: bump it (serlib.voice."
               "VOICE_VERSION)" if features.kind_version(kind) is not None else
               f"FEATURE_VERSION stayed {features.FEATURE_VERSION}: bump it")
            + ", so cached features are recomputed, then run "
            "`python tests/test_feature_fingerprint.py`")


def test_the_fingerprint_catches_the_change_that_once_went_unnoticed(monkeypatch):
    """A 4.26 dB shift of the frame energy (the old ``stats`` RMS) must fail the check."""
    real = features.Spectra.rms.func

    def old_rms(self):
        return real(self) * np.sqrt(0.375)  # without dividing by the Hann window's RMS

    monkeypatch.setattr(features.Spectra, "rms", property(old_rms))
    stored = json.loads(FINGERPRINT.read_text())["kinds"]["stats"]["values"]
    now = _summary()["stats"]["values"]
    assert not np.allclose(now, stored, rtol=1e-3, atol=1e-3)


if __name__ == "__main__":
    FINGERPRINT.write_text(json.dumps({"version": features.FEATURE_VERSION, "clip": CLIP.name,
                                       "kind_versions": {k: features.kind_version(k)
                                                         for k in features.FEATURE_KINDS
                                                         if features.kind_version(k) is not None},
                                       "kinds": _summary()}, indent=1) + "\n")
    print(f"wrote {FINGERPRINT} for FEATURE_VERSION {features.FEATURE_VERSION}", file=sys.stderr)
