#!/usr/bin/env python
"""Probe: how closely does each ``voice`` parameter follow its eGeMAPSv02 counterpart?

For the note on issue 18, not a test and not a dependency: openSMILE's licence (audEERING
Research License) keeps it out of serlib. Where openSMILE's Python package happens to be
importable (installed by hand, or in a folder given with ``--opensmile-path``, which is
appended to ``sys.path`` so that it never shadows the project's numpy or pandas), this
script computes the 88 eGeMAPSv02 functionals of every clip of a corpus (cached under
``serlib.config.cache_dir()/probes``) and, for each of serlib's voice parameters that has
a counterpart, Pearson's and Spearman's correlation over the clips, raw and after
per-speaker z-normalisation (the form the classifiers see)::

    python scripts/probe_voice_egemaps.py --corpus ravdess [--opensmile-path DIR]

Writes ``results/voice/egemaps_correlation.json`` and prints the table.

Notebook: 05_voice.ipynb
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

OUT = Path(__file__).resolve().parents[1] / "results" / "voice" / "egemaps_correlation.json"

#: serlib voice parameter -> eGeMAPSv02 functional (the counterpart it was modelled on).
COUNTERPARTS = {
    "f0_st_mean": "F0semitoneFrom27.5Hz_sma3nz_amean",
    "f0_st_cv": "F0semitoneFrom27.5Hz_sma3nz_stddevNorm",
    "f0_st_p20": "F0semitoneFrom27.5Hz_sma3nz_percentile20.0",
    "f0_st_p50": "F0semitoneFrom27.5Hz_sma3nz_percentile50.0",
    "f0_st_p80": "F0semitoneFrom27.5Hz_sma3nz_percentile80.0",
    "f0_st_range20_80": "F0semitoneFrom27.5Hz_sma3nz_pctlrange0-2",
    "f0_st_rise_mean": "F0semitoneFrom27.5Hz_sma3nz_meanRisingSlope",
    "f0_st_rise_std": "F0semitoneFrom27.5Hz_sma3nz_stddevRisingSlope",
    "f0_st_fall_mean": "F0semitoneFrom27.5Hz_sma3nz_meanFallingSlope",
    "f0_st_fall_std": "F0semitoneFrom27.5Hz_sma3nz_stddevFallingSlope",
    "loudness_mean": "loudness_sma3_amean",
    "loudness_cv": "loudness_sma3_stddevNorm",
    "loudness_p20": "loudness_sma3_percentile20.0",
    "loudness_p50": "loudness_sma3_percentile50.0",
    "loudness_p80": "loudness_sma3_percentile80.0",
    "loudness_range20_80": "loudness_sma3_pctlrange0-2",
    "loudness_rise_mean": "loudness_sma3_meanRisingSlope",
    "loudness_rise_std": "loudness_sma3_stddevRisingSlope",
    "loudness_fall_mean": "loudness_sma3_meanFallingSlope",
    "loudness_fall_std": "loudness_sma3_stddevFallingSlope",
    "loudness_peaks_per_s": "loudnessPeaksPerSec",
    "jitter_local_mean": "jitterLocal_sma3nz_amean",
    "jitter_local_cv": "jitterLocal_sma3nz_stddevNorm",
    "shimmer_local_db_mean": "shimmerLocaldB_sma3nz_amean",
    "shimmer_local_db_cv": "shimmerLocaldB_sma3nz_stddevNorm",
    "hnr_db_mean": "HNRdBACF_sma3nz_amean",
    "h1_h2_db_mean": "logRelF0-H1-H2_sma3nz_amean",
    "h1_a3_db_mean": "logRelF0-H1-A3_sma3nz_amean",
    **{f"f{k}_hz_mean": f"F{k}frequency_sma3nz_amean" for k in (1, 2, 3)},
    **{f"f{k}_hz_cv": f"F{k}frequency_sma3nz_stddevNorm" for k in (1, 2, 3)},
    **{f"f{k}_bw_hz_mean": f"F{k}bandwidth_sma3nz_amean" for k in (1, 2, 3)},
    **{f"f{k}_amp_rel_h1_db_mean": f"F{k}amplitudeLogRelF0_sma3nz_amean" for k in (1, 2, 3)},
    "alpha_ratio_db_v_mean": "alphaRatioV_sma3nz_amean",
    "hammarberg_db_v_mean": "hammarbergIndexV_sma3nz_amean",
    "slope_0_500_db_khz_v_mean": "slopeV0-500_sma3nz_amean",
    "slope_500_1500_db_khz_v_mean": "slopeV500-1500_sma3nz_amean",
    "flux_v_mean": "spectralFluxV_sma3nz_amean",
    **{f"mfcc{k}_v_mean": f"mfcc{k}V_sma3nz_amean" for k in range(1, 5)},
    "alpha_ratio_db_uv_mean": "alphaRatioUV_sma3nz_amean",
    "hammarberg_db_uv_mean": "hammarbergIndexUV_sma3nz_amean",
    "slope_0_500_db_khz_uv_mean": "slopeUV0-500_sma3nz_amean",
    "slope_500_1500_db_khz_uv_mean": "slopeUV500-1500_sma3nz_amean",
    "flux_uv_mean": "spectralFluxUV_sma3nz_amean",
    "flux_mean": "spectralFlux_sma3_amean",
    **{f"mfcc{k}_mean": f"mfcc{k}_sma3_amean" for k in range(1, 5)},
    "voiced_segments_per_s": "VoicedSegmentsPerSec",
    "voiced_segment_s_mean": "MeanVoicedSegmentLengthSec",
    "voiced_segment_s_std": "StddevVoicedSegmentLengthSec",
    "unvoiced_segment_s_mean": "MeanUnvoicedSegmentLength",
    "unvoiced_segment_s_std": "StddevUnvoicedSegmentLength",
    "equivalent_level_db": "equivalentSoundLevel_dBp",
}


def egemaps_matrix(paths) -> tuple[np.ndarray, list[str]]:
    """eGeMAPSv02 functionals (88 values) of every file and their names, cached."""
    import opensmile

    from serlib.audio import load
    from serlib.config import cache_dir

    smile = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                            feature_level=opensmile.FeatureLevel.Functionals)
    key = hashlib.blake2b("\n".join(map(str, paths)).encode(), digest_size=10).hexdigest()
    cache = cache_dir() / "probes" / f"egemaps-{opensmile.__version__}-{key}.npy"
    if cache.is_file():
        return np.load(cache), list(smile.feature_names)
    X = np.stack([smile.process_signal(load(p), 16000).to_numpy()[0] for p in paths])
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, X)
    return X, list(smile.feature_names)


def main(argv=None) -> int:
    from scipy.stats import pearsonr, spearmanr

    from serlib.datasets import load_corpus
    from serlib.evaluation.splits import speaker_normalize
    from serlib.extract import extract
    from serlib.features import feature_names

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data-root", default=None)
    p.add_argument("--corpus", default="ravdess")
    p.add_argument("--opensmile-path", default=None)
    p.add_argument("--out", default=str(OUT))
    args = p.parse_args(argv)
    if args.opensmile_path:
        sys.path.append(args.opensmile_path)
    t0 = time.perf_counter()
    table = load_corpus(args.corpus, args.data_root)
    paths = table["path"].astype(str).tolist()
    print(f"{len(paths)} clips of {args.corpus}: eGeMAPS ...", flush=True)
    E, enames = egemaps_matrix(paths)
    V = np.asarray(extract(table, kind="voice"), dtype=np.float64)
    vnames = feature_names("voice")
    spk = table["speaker"].astype(str).to_numpy()
    Ez, Vz = speaker_normalize(E, spk), speaker_normalize(V, spk)
    rows = {}
    for ours, theirs in COUNTERPARTS.items():
        i, j = vnames.index(ours), enames.index(theirs)
        ok = np.isfinite(E[:, j])
        rows[ours] = {"egemaps": theirs,
                      "pearson": round(float(pearsonr(V[ok, i], E[ok, j])[0]), 3),
                      "spearman": round(float(spearmanr(V[ok, i], E[ok, j])[0]), 3),
                      "pearson_speaker_z": round(float(pearsonr(Vz[ok, i], Ez[ok, j])[0]), 3)}
        r = rows[ours]
        print(f"{ours:<30} {theirs:<44} r {r['pearson']:+.2f}  rho {r['spearman']:+.2f}  "
              f"r(z) {r['pearson_speaker_z']:+.2f}")
    vals = np.array([r["spearman"] for r in rows.values()])
    print(f"median Spearman {np.median(vals):.2f}; {np.sum(vals > 0.7)} of {len(vals)} above 0.7")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"corpus": args.corpus, "n_clips": len(paths),
                               "opensmile": "eGeMAPSv02 functionals, opensmile (Python) 2.6.0",
                               "correlations": rows,
                               "median_spearman": round(float(np.median(vals)), 3),
                               "seconds": round(time.perf_counter() - t0, 1),
                               "command": f"python scripts/probe_voice_egemaps.py --corpus {args.corpus}"},
                              indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
