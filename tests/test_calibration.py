"""serlib.calibration: known answers on synthetic probabilities whose calibration is known
by construction, and the temperature on the path from a model to its verdicts."""
from __future__ import annotations

import numpy as np
import pytest

from serlib import calibration as cal


def softmax(Z):
    Z = Z - Z.max(axis=1, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


def calibrated_data(n=20000, k=4, seed=0, spread=2.0):
    """Logits ``Z`` and labels drawn from ``softmax(Z)``: the probabilities ``softmax(Z)``
    are calibrated by construction."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(0, spread, (n, k))
    P = softmax(Z)
    u = rng.random(n)[:, None]
    y = (u > np.cumsum(P, axis=1)).sum(axis=1)
    return Z, np.minimum(y, k - 1)


@pytest.mark.parametrize("true_T", [0.6, 2.5])
def test_fit_temperature_recovers_the_temperature_that_distorted_calibrated_probabilities(true_T):
    """Calibrated logits multiplied by ``true_T`` (over-confident for T > 1, timid for
    T < 1): the fitted temperature undoes it within 5 % (20 000 clips)."""
    Z, y = calibrated_data()
    distorted = softmax(Z * true_T)
    T = cal.fit_temperature(distorted, y)
    assert T == pytest.approx(true_T, rel=0.05)
    # the same from logits
    assert cal.fit_temperature(Z * true_T, y, from_probs=False) == pytest.approx(T, rel=1e-3)
    # and scaling by it gives back the calibrated probabilities
    assert np.abs(cal.apply_temperature(distorted, T) - softmax(Z)).max() < 0.05


def test_fit_temperature_of_calibrated_probabilities_is_about_one():
    Z, y = calibrated_data(seed=1)
    assert cal.fit_temperature(softmax(Z), y) == pytest.approx(1.0, abs=0.05)


def test_ece_is_near_zero_for_calibrated_and_large_for_over_confident_probabilities():
    Z, y = calibrated_data(seed=2)
    assert cal.expected_calibration_error(softmax(Z), y) < 0.015
    over = softmax(Z * 3.0)
    ece_over = cal.expected_calibration_error(over, y)
    assert ece_over > 0.1
    T = cal.fit_temperature(over, y)
    assert cal.expected_calibration_error(cal.apply_temperature(over, T), y) < 0.015


def test_reliability_bins_by_hand():
    # top confidences 0.95, 0.85, 0.85, 0.55 ; right, right, wrong, right
    P = np.array([[0.95, 0.05], [0.85, 0.15], [0.15, 0.85], [0.45, 0.55]])
    y = np.array([0, 0, 0, 1])
    bins = cal.reliability_bins(P, y, n_bins=10)
    assert list(bins.columns) == ["bin_lower", "bin_upper", "confidence", "accuracy", "count"]
    assert len(bins) == 10 and bins["count"].sum() == 4
    b9, b8, b5 = bins.iloc[9], bins.iloc[8], bins.iloc[5]
    assert (b9["count"], b9["confidence"], b9["accuracy"]) == (1, pytest.approx(0.95), 1.0)
    assert (b8["count"], b8["confidence"], b8["accuracy"]) == (2, pytest.approx(0.85), 0.5)
    assert (b5["count"], b5["confidence"], b5["accuracy"]) == (1, pytest.approx(0.55), 1.0)
    assert np.isnan(bins.iloc[0]["accuracy"])
    # ECE = (1*0.05 + 2*0.35 + 1*0.45) / 4
    assert cal.expected_calibration_error(P, y) == pytest.approx((0.05 + 0.70 + 0.45) / 4)


def test_labels_may_be_names_with_classes():
    P = np.array([[0.9, 0.1], [0.2, 0.8]])
    by_name = cal.expected_calibration_error(P, ["sad", "happy"], classes=["sad", "happy"])
    assert by_name == pytest.approx(cal.expected_calibration_error(P, [0, 1]))
    with pytest.raises(ValueError, match="not among the classes"):
        cal.fit_temperature(P, ["sad", "angry"], classes=["sad", "happy"])
    with pytest.raises(ValueError, match="classes=model.classes_"):
        cal.fit_temperature(P, ["sad", "happy"])


def test_apply_temperature_with_one_is_the_identity_and_keeps_the_winner():
    Z, _ = calibrated_data(n=500, seed=3)
    P = softmax(Z)
    assert np.array_equal(cal.apply_temperature(P, 1.0), P)
    soft = cal.apply_temperature(P, 2.0)
    assert np.allclose(soft.sum(axis=1), 1.0)
    assert np.array_equal(soft.argmax(axis=1), P.argmax(axis=1))
    assert (soft.max(axis=1) <= P.max(axis=1) + 1e-12).all()
    one = cal.apply_temperature(P[0], 2.0)
    assert one.shape == (4,) and np.allclose(one, soft[0])


@pytest.mark.parametrize("probs, y, match", [
    (np.array([0.5, 0.5]), [0], "2-D"),
    (np.array([[0.5, 0.6]]), [0], "sum to 1"),
    (np.array([[np.nan, 1.0]]), [0], "NaN"),
    (np.array([[1.5, -0.5]]), [0], r"\[0, 1\]"),
    (np.zeros((0, 3)), [], "empty"),
    (np.array([[0.5, 0.5]]), [0, 1], "1 rows but y_true has 2"),
    (np.array([[0.5, 0.5]]), [2], "outside 0 .. 1"),
])
def test_bad_inputs_say_what_is_wrong(probs, y, match):
    with pytest.raises(ValueError, match=match):
        cal.fit_temperature(probs, y)
    with pytest.raises(ValueError, match=match):
        cal.expected_calibration_error(probs, y)


@pytest.mark.parametrize("T", [0, -1, float("nan"), "warm"])
def test_a_temperature_must_be_positive(T):
    with pytest.raises(ValueError, match="temperature"):
        cal.apply_temperature(np.array([[0.7, 0.3]]), T)


def test_plot_reliability_draws_two_curves_on_one_axis():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    Z, y = calibrated_data(n=2000, seed=4)
    over = softmax(Z * 3)
    fig, ax = cal.plot_reliability(over, y, label="before")
    cal.plot_reliability(cal.apply_temperature(over, 3.0), y, ax=ax, label="after")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "calibrated" and labels[1].startswith("before: ECE")
    assert labels[2].startswith("after: ECE") and len(labels) == 3
    plt.close(fig)


class _Model:
    """A stand-in with the parts calibrated_proba reads."""
    classes_ = np.array(["happy", "sad"])

    def __init__(self, metadata):
        self.metadata = metadata

    def predict_proba(self, X):
        return softmax(np.asarray(X, float))


def test_calibrated_proba_uses_the_sidecar_temperature_and_defaults_to_one():
    X = np.array([[2.0, 0.0], [0.0, 1.0]])
    raw = softmax(X)
    assert np.array_equal(cal.calibrated_proba(_Model({}), X), raw)
    assert np.array_equal(cal.calibrated_proba(_Model({"calibration": {}}), X), raw)
    assert np.allclose(cal.calibrated_proba(_Model({"calibration": {"temperature": 2.0}}), X),
                       softmax(X / 2))
    from serlib.errors import ModelError

    with pytest.raises(ModelError, match="calibration.temperature"):
        cal.temperature_of(_Model({"calibration": {"temperature": -3}}))


def test_shipped_model_verdicts_carry_its_temperature(sample_root):
    """predict_signal and the demo's judge show the same calibrated probabilities, i.e.
    the raw network's with the sidecar's temperature applied (T = 1 for an old sidecar)."""
    from helpers import sample_clips

    from serlib import audio
    from serlib.demo.session import hear, judge
    from serlib.predict import load_model, model_input, predict_signal

    model = load_model()
    T = cal.temperature_of(model)
    y = audio.load(sample_clips(sample_root, 1)[0])
    pred = predict_signal(model, y)
    from serlib.predict import features_for

    raw = np.asarray(model.predict_proba(model_input(model, features_for(model, y))))[0]
    want = cal.apply_temperature(raw, T)
    assert np.allclose([pred.probabilities[c] for c in model.classes_], want, atol=1e-9)
    check, X = hear(model, y)
    assert np.allclose([judge(model, X).probabilities[c] for c in model.classes_],
                       cal.calibrated_proba(model, model_input(model, X))[0], atol=1e-9)
    # a different temperature changes the percentages, never the verdict
    model.metadata = {**model.metadata, "calibration": {"temperature": 3 * T}}
    hotter = predict_signal(model, y)
    assert hotter.emotion == pred.emotion
    assert max(hotter.probabilities.values()) < max(pred.probabilities.values())


# ---------------------------------------------------------------- the benchmark's results
def _benchmark():
    import importlib.util

    from serlib.config import REPO_DIR

    path = REPO_DIR / "scripts" / "benchmark_calibration.py"
    spec = importlib.util.spec_from_file_location("benchmark_calibration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_refused_clip_is_a_miss_and_has_no_say_in_the_calibration():
    bench = _benchmark()
    labels = ["neutral", "happy"]
    y = np.array(["neutral", "happy", "happy", "neutral"])
    P = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.1, 0.9]])
    heard = np.array([True, True, True, False])  # the last one, a miss anyway, refused
    f = bench.figures(y, heard, P, P, labels)
    assert (f["n"], f["heard"]) == (4, 3)
    assert f["accuracy"] == 75.0  # 3 right of 4
    heard[0] = False  # refusing a clip the model gets right costs a point
    f = bench.figures(y, heard, P, P, labels)
    assert f["accuracy"] == 50.0 and f["uar"] == 50.0
    # ECE over the heard clips only: confidences 0.8 and 0.6, both right
    assert f["ece_before"] == pytest.approx(100 * (0.2 + 0.4) / 2, abs=0.05)


def test_saved_results_hold_one_row_per_test_clip_and_the_summary_recomputes():
    """results/calibration (committed): every demo-emotion clip of the three corpora once
    per protocol and number of takes, the calibrated columns are the uncalibrated ones at
    the fold's temperature, and the summary's ECE follows from the rows."""
    import json

    import pandas as pd

    from serlib.config import REPO_DIR

    folder = REPO_DIR / "results" / "calibration"
    if not (folder / "summary.json").is_file():
        pytest.skip("scripts/benchmark_calibration.py has not been run")
    frame = pd.read_csv(folder / "unseen.csv")
    summary = json.loads((folder / "summary.json").read_text())
    bench = _benchmark()
    for name, s in summary["protocols"].items():
        part = frame[frame["protocol"] == name]
        labels = s["labels"]
        for n, fig in s["by_takes"].items():
            sub = part[part["takes"] == int(n)]
            assert len(sub) == fig["n"] and not sub.duplicated(["corpus", "clip"]).any()
            P = sub[[f"p_{e}" for e in labels]].to_numpy()
            C = sub[[f"cal_{e}" for e in labels]].to_numpy()
            T = sub["temperature"].to_numpy()
            assert set(np.round(T, 4)) == set(np.round(list(s["temperature"].values()), 4))
            for t in set(T):
                # the CSV keeps 5 decimals: tiny probabilities lose their logarithm
                rows = (T == t) & (P.min(axis=1) >= 1e-3)
                assert np.allclose(cal.apply_temperature(P[rows] / P[rows].sum(1, keepdims=True),
                                                         t), C[rows], atol=2e-3)  # 5-digit CSV
            h = sub["heard"].to_numpy(bool)
            y = sub["emotion"].to_numpy()
            assert fig["ece_before"] == pytest.approx(
                100 * cal.expected_calibration_error(P[h] / P[h].sum(1, keepdims=True), y[h],
                                                     classes=labels), abs=0.1)
            again = bench.figures(y, h, P / P.sum(1, keepdims=True),
                                  C / C.sum(1, keepdims=True), labels)
            for key in ("n", "heard", "accuracy", "uar"):
                assert again[key] == fig[key]
            assert again["ece_after"] == pytest.approx(fig["ece_after"], abs=0.1)


def test_the_shipped_model_is_calibrated_and_its_card_says_how():
    """The shipped sidecar holds a temperature fitted on training speakers (softening: the
    network is over-confident on voices it did not train on), and models/README.md states
    it with the ECE on unseen speakers from results/calibration/summary.json."""
    import json

    from serlib.config import REPO_DIR
    from serlib.models import io
    from serlib.predict import load_model

    meta = io.read_metadata(REPO_DIR / "models" / "ser-mlp.skops")
    calib = meta["calibration"]
    T = calib["temperature"]
    assert 1.0 < T < 5.0
    assert calib["oof_nll_after"] < calib["oof_nll_before"]
    assert "training speakers" in calib["fitted_on"] or "training speakers" in calib["method"]
    assert cal.temperature_of(load_model()) == pytest.approx(T)
    card = (REPO_DIR / "models" / "README.md").read_text()
    assert f"T = {T:.2f}" in card
    summary = REPO_DIR / "results" / "calibration" / "summary.json"
    if summary.is_file():
        for name, s in json.loads(summary.read_text())["protocols"].items():
            f = s["by_takes"]["0"]
            assert f"{f['ece_before']:.1f} → {f['ece_after']:.1f}" in card, name
