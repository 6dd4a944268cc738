"""Tests of the Keras models: builders, the scikit-learn wrapper, saving, augmentation,
the speaker-grouped validation split and the honest handling of pretrained weights.

Everything runs on tiny synthetic data (tones of known pitch, random images) so each
test takes seconds on a CPU.
"""
from __future__ import annotations


import numpy as np
import pytest

pytest.importorskip("keras")

from serlib import audio, features  # noqa: E402
from serlib.errors import ModelError  # noqa: E402
from serlib.models import augment, cnn, dnn, keras_base, multi, resnet, rnn  # noqa: E402
from helpers import modules_loaded_by  # noqa: E402


# ----------------------------------------------------------------------- helpers
def tone_dataset(n_per_class=24, freqs=(220.0, 440.0), seed=0, seconds=0.4):
    """MFCC-mean features of noisy tones; the class is the pitch. Speakers = 6 groups."""
    rng = np.random.default_rng(seed)
    X, y, groups = [], [], []
    for label, f0 in zip(("low", "high"), freqs):
        for i in range(n_per_class):
            sig = audio.tone(f0 * rng.uniform(0.97, 1.03), seconds=seconds,
                             amplitude=rng.uniform(0.2, 0.8))
            sig = augment.add_noise(sig, snr_db=25, rng=rng)
            X.append(features.mfcc_means(sig))
            y.append(label)
            groups.append(f"spk{i % 6}")
    return np.array(X, dtype=np.float32), np.array(y), np.array(groups)


def fast(**kw):
    """Training settings that keep a test to a few seconds."""
    return dict(dict(epochs=30, batch_size=16, patience=6, verbose=0), **kw)


# ----------------------------------------------------------------------- builders
@pytest.mark.parametrize("builder, shapes, n_classes", [
    (cnn.build_cnn1d, [(40,)], 8),
    (dnn.build_dnn, [(30,)], 4),
    (cnn.build_cnn2d, [(32, 40)], 5),
    (rnn.build_bilstm, [(40, 20)], 4),
    (multi.build_multi_input, [(32, 40), (40, 20)], 3),
    (resnet.build_resnet, [(32, 40)], 6),
])
def test_builders_give_one_softmax_row_per_example(builder, shapes, n_classes):
    model = builder(shapes, n_classes)
    batch = [np.random.default_rng(0).normal(size=(3, *s)).astype("float32") for s in shapes]
    out = np.asarray(model(batch if len(batch) > 1 else batch[0], training=False))
    assert out.shape == (3, n_classes)
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)
    assert model.count_params() > 1000


def test_seed_model2_has_more_units_and_batch_norm():
    import keras

    m1 = cnn.build_cnn1d([(40,)], 8)
    m2 = cnn.build_cnn1d([(40,)], 8, **{k: v for k, v in cnn._CNN1D_BN.items()})
    assert m2.count_params() > m1.count_params()
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in m1.layers)
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in m2.layers)
    assert any(isinstance(layer, keras.layers.Dropout) and layer.rate == pytest.approx(0.1)
               for layer in m1.layers)


def test_factories_split_wrapper_and_network_settings():
    clf = cnn.cnn2d(epochs=3, filters=(8, 16), random_state=5)
    assert clf.epochs == 3 and clf.seed == 5
    assert clf.params["filters"] == (8, 16)
    assert clf.feature_kind == "logmel"
    with pytest.raises(TypeError, match="unknown setting"):
        cnn.cnn2d(nonsense=1)


def test_registry_builds_every_deep_model_with_its_feature_kind():
    from serlib.models import registry

    kinds = {}
    for name in registry.names("deep"):
        clf = registry.get(name).build()
        assert isinstance(clf, keras_base.KerasClassifier)
        kinds[name] = clf.feature_kind
    assert kinds.get("cnn1d") == "mfcc40"
    assert kinds.get("cnn2d") == "logmel"
    assert kinds.get("bilstm") == "mfcc_seq"
    assert kinds.get("multi") == "logmel+mfcc_seq"


def test_importing_the_model_modules_does_not_import_tensorflow():
    code = ("import serlib, serlib.models.cnn, serlib.models.rnn, serlib.models.multi, "
            "serlib.models.resnet, serlib.models.augment, serlib.models.keras_base, "
            "serlib.models.dnn")
    assert modules_loaded_by(code, ("tensorflow", "keras")) == []


# ----------------------------------------------------------------------- wrapper
def test_wrapper_learns_the_pitch_of_tones_and_generalises_to_new_tones():
    X, y, groups = tone_dataset(seed=0)
    Xt, yt, _ = tone_dataset(n_per_class=10, seed=1)
    clf = cnn.cnn1d(**fast())
    assert clf.fit(X, y, groups=groups) is clf
    assert list(clf.classes_) == ["high", "low"]
    proba = clf.predict_proba(Xt)
    assert proba.shape == (len(Xt), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert np.mean(clf.predict(Xt) == yt) > 0.9
    assert clf.history_ and "val_loss" in clf.history_[0]
    assert clf.weights_used_ == "random initialisation"


def test_wrapper_rejects_inputs_of_another_shape_and_untrained_use():
    X, y, groups = tone_dataset(n_per_class=8)
    clf = cnn.cnn1d(**fast(epochs=2))
    with pytest.raises(ModelError, match="not trained"):
        clf.predict(X)
    clf.fit(X, y, groups=groups)
    with pytest.raises(ModelError, match="shape"):
        clf.predict(X[:, :20])
    with pytest.raises(ModelError, match="two emotions"):
        cnn.cnn1d(**fast(epochs=1)).fit(X, np.full(len(X), "sad"))


def test_save_and_load_give_identical_predictions(tmp_path):
    X, y, groups = tone_dataset(n_per_class=12)
    clf = cnn.cnn1d_bn(**fast(epochs=5))
    clf.fit(X, y, groups=groups)
    path = clf.save(tmp_path / "model")
    assert path.suffix == ".keras" and path.with_suffix(".json").is_file()
    back = keras_base.load(path)
    assert list(back.classes_) == list(clf.classes_)
    assert back.feature_kind == "mfcc40"
    assert back.validation_ == clf.validation_
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    path.with_suffix(".json").unlink()
    with pytest.raises(ModelError, match="sidecar"):
        keras_base.load(path)


def test_multi_input_model_takes_a_tuple_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    n = 40
    y = np.array(["a", "b"])[np.arange(n) % 2]
    img = rng.normal(size=(n, 16, 16)).astype("float32")
    seq = rng.normal(size=(n, 16, 8)).astype("float32")
    img[y == "a", :4] += 3.0
    clf = multi.multi_input(**fast(epochs=2, batch_size=8), image_filters=(4, 8),
                            seq_filters=(8,))
    clf.fit((img, seq), y, groups=np.arange(n) % 5)
    assert clf.predict_proba((img, seq)).shape == (n, 2)
    back = keras_base.load(clf.save(tmp_path / "multi.keras"))
    np.testing.assert_allclose(back.predict_proba((img, seq)), clf.predict_proba((img, seq)),
                               rtol=1e-5, atol=1e-6)


def test_committee_averages_members_that_stopped_on_different_speakers(tmp_path):
    import keras

    X, y, groups = tone_dataset(n_per_class=12)
    clf = dnn.dnn(**fast(epochs=4, members=3))
    clf.fit(X, y, groups=groups)
    held_out = [tuple(m["validation_groups"]) for m in clf.validation_["members"]]
    assert len(held_out) == 3 and len(set(held_out)) > 1
    for m in clf.validation_["members"]:
        assert set(m["validation_groups"]).isdisjoint(m["fit_groups"])
    assert isinstance(clf.best_epoch_, list) and len(clf.best_epoch_) == 3
    assert [h["phase"] for h in clf.history_] == ["member 1", "member 2", "member 3"]
    members = [layer for layer in clf.model_.layers if isinstance(layer, keras.Model)]
    assert len(members) == 3
    mean = np.mean([np.asarray(m(X, training=False)) for m in members], axis=0)
    np.testing.assert_allclose(clf.predict_proba(X), mean, rtol=1e-5, atol=1e-6)
    back = keras_base.load(clf.save(tmp_path / "committee"))
    assert back.members == 3
    np.testing.assert_allclose(back.predict_proba(X), clf.predict_proba(X), rtol=1e-5, atol=1e-6)
    with pytest.raises(ModelError, match="at least one"):
        dnn.dnn(**fast(epochs=1, members=0)).fit(X, y, groups=groups)


def test_search_picks_the_setting_best_on_validation_speakers_and_keeps_it(tmp_path):
    # an XOR of two features: one hidden unit cannot learn it, 32 can - the search must see that
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(400, 6)).astype("float32")
    y = np.where(X[:, 0] * X[:, 1] > 0, "same", "opposite")
    groups = np.array([f"spk{i % 8}" for i in range(400)])
    grid = {"units": [(1,), (32,)], "dropout": [0.0, 0.1]}
    clf = dnn.dnn(**fast(epochs=40, members=1, search=grid, input_dropout=0.0,
                         learning_rate=1e-2))
    clf.fit(X, y, groups=groups)
    assert len(clf.search_) == 4
    best = max(clf.search_, key=lambda r: r["validation_accuracy"])
    assert clf.best_params_ == {"units": tuple(best["params"]["units"]),
                                "dropout": best["params"]["dropout"]}
    assert clf.best_params_["units"] == (32,)
    assert [h["phase"] for h in clf.history_] == ["search 1", "search 2", "search 3", "search 4",
                                                  "train"]
    assert clf.model_.get_layer("dense1").units == 32
    back = keras_base.load(clf.save(tmp_path / "searched"))
    assert back.search_ == clf.search_
    np.testing.assert_allclose(back.predict_proba(X), clf.predict_proba(X), rtol=1e-5, atol=1e-6)
    with pytest.raises(ModelError, match="validation set"):
        dnn.dnn(**fast(epochs=1, members=1, search=grid, validation_fraction=0,
                       patience=None)).fit(X, y, groups=groups)


def test_dnn_learns_the_pitch_of_tones():
    X, y, groups = tone_dataset(seed=0)
    Xt, yt, _ = tone_dataset(n_per_class=10, seed=1)
    clf = dnn.dnn(**fast(members=1))
    clf.fit(X, y, groups=groups)
    assert clf.feature_kind == "stats"
    assert np.mean(clf.predict(Xt) == yt) > 0.9


# ----------------------------------------------------------------- validation split
def test_validation_holds_out_whole_training_speakers():
    y = np.array(["a", "b", "c"] * 40)
    groups = np.array([f"s{i // 10}" for i in range(120)])  # 12 speakers, all classes each
    fit_idx, val_idx, how = keras_base.validation_split(y, groups, fraction=0.2, seed=3)
    assert set(groups[fit_idx]).isdisjoint(groups[val_idx])
    assert len(fit_idx) + len(val_idx) == 120
    assert set(y[val_idx]) == {"a", "b", "c"}
    assert "speaker" in how


def test_validation_without_groups_is_random_and_says_so():
    y = np.array(["a", "b"] * 30)
    fit_idx, val_idx, how = keras_base.validation_split(y, None, fraction=0.2)
    assert len(val_idx) == 12 and "random" in how
    assert set(fit_idx).isdisjoint(val_idx)


def test_fit_uses_only_training_speakers_for_early_stopping():
    X, y, groups = tone_dataset(n_per_class=12)
    clf = cnn.cnn1d(**fast(epochs=3))
    clf.fit(X, y, groups=groups)
    v = clf.validation_
    assert v["validation_groups"] and set(v["validation_groups"]).isdisjoint(v["fit_groups"])
    assert set(v["validation_groups"]) | set(v["fit_groups"]) == set(groups)
    assert v["n_fit"] + v["n_validation"] == len(y)


# ----------------------------------------------------------------------- augmentation
def test_spec_augment_layer_masks_only_while_training():
    from serlib.models.layers import SpecAugment

    layer = SpecAugment(freq_masks=2, freq_width=6, time_masks=2, time_width=6, seed=1)
    x = np.random.default_rng(0).normal(size=(4, 20, 30)).astype("float32") + 5.0
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    masked = np.asarray(layer(x, training=True))
    assert masked.shape == x.shape
    assert np.any(masked == 0.0) and np.mean(masked == x) > 0.3


def test_trained_model_predicts_deterministically_despite_augmentation():
    rng = np.random.default_rng(0)
    y = np.array(["a", "b"] * 16)
    X = rng.normal(size=(32, 24, 20)).astype("float32")
    clf = cnn.cnn2d(**fast(epochs=2, batch_size=8), filters=(4, 8))
    clf.fit(X, y, groups=np.arange(32) % 4)
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))


def test_numpy_spec_augment_leaves_the_input_untouched():
    img = np.arange(200, dtype=np.float32).reshape(10, 20)
    out = augment.spec_augment(img, rng=0, freq_masks=1, freq_width=3, time_masks=1,
                               time_width=4, fill=-1.0)
    assert out.shape == img.shape and np.any(out == -1.0)
    assert img.min() == 0.0  # original unchanged


def test_waveform_augmentations_do_what_they_say():
    y = audio.tone(440.0, seconds=1.0)
    noisy = augment.add_noise(y, snr_db=10.0, rng=0)
    snr = 10 * np.log10(np.mean(y ** 2) / np.mean((noisy - y) ** 2))
    assert snr == pytest.approx(10.0, abs=0.5)
    up = augment.pitch_shift(y, 12.0)
    spec = np.abs(np.fft.rfft(up))
    freq = np.argmax(spec) * 16000 / len(up)
    assert freq == pytest.approx(880.0, rel=0.03)
    assert len(augment.time_stretch(y, 1.25)) == pytest.approx(len(y) / 1.25, rel=0.02)


def test_augmented_features_come_only_from_the_clips_given(tmp_path):
    paths = []
    for i, f in enumerate((300.0, 500.0)):
        p = tmp_path / f"train{i}.wav"
        audio.save(p, audio.tone(f, seconds=0.5))
        paths.append(str(p))
    feats = augment.augmented_features(paths, "mfcc40", copies=3, seed=1)
    assert feats.shape == (6, 40)
    # copies of clip 0 resemble clip 0 more than clip 1
    orig = np.stack([features.mfcc_means(audio.load(p)) for p in paths])
    d0 = np.linalg.norm(feats[:3] - orig[0], axis=1).mean()
    d1 = np.linalg.norm(feats[:3] - orig[1], axis=1).mean()
    assert d0 < d1


# ----------------------------------------------------------------------- resnet
def test_one_cycle_rises_then_falls():
    lrs = [keras_base.one_cycle(s, 100, 1e-2) for s in range(100)]
    peak = int(np.argmax(lrs))
    assert 25 <= peak <= 35
    assert lrs[0] < 1e-3 and lrs[-1] < 1e-4 and max(lrs) == pytest.approx(1e-2, rel=1e-3)


@pytest.fixture
def offline_imagenet(monkeypatch):
    """Make every ImageNet download fail as it does without internet."""
    import keras

    real = keras.applications.ResNet50

    def fake(*args, weights=None, **kwargs):
        if weights == "imagenet":
            raise Exception("URL fetch failure on https://storage.googleapis.com/...: "
                            "None -- [Errno -3] Temporary failure in name resolution")
        return real(*args, weights=weights, **kwargs)

    monkeypatch.setattr(keras.applications, "ResNet50", fake)


def test_imagenet_weights_offline_raise_a_clear_error(offline_imagenet):
    X = np.zeros((8, 32, 32), dtype="float32")
    y = np.array(["a", "b"] * 4)
    clf = resnet.resnet(backbone="resnet50", weights="imagenet", image_size=(32, 32))
    with pytest.raises(ModelError) as err:
        clf.fit(X, y)
    msg = str(err.value)
    assert "could not be downloaded" in msg and "weights=PATH" in msg and "offline" in msg


def test_auto_weights_offline_fall_back_to_a_random_start_and_say_so(offline_imagenet):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 32, 32)).astype("float32")
    y = np.array(["a", "b"] * 6)
    clf = resnet.resnet(backbone="resnet50", weights="auto", image_size=(32, 32))
    with pytest.warns(UserWarning, match="NOT transfer learning"):
        model, used = clf._start_weights([X.shape[1:]], 2)
    assert used.startswith("random initialisation") and "unavailable" in used
    assert model.get_layer("backbone").count_params() > 20_000_000  # it is ResNet50
    # fit() records the same and trains end to end (no frozen phase on random features)
    assert not used.startswith("transferred")


def test_transfer_from_a_source_model_copies_its_backbone(tmp_path):
    import keras

    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 24, 24)).astype("float32")
    y = np.array(["a", "b", "c"] * 8)
    X[y == "a", :6] += 2.0
    src_path = tmp_path / "source.keras"
    src = resnet.pretrain_source(X, y, groups=np.arange(24) % 4, path=src_path,
                                 trained_on="synthetic source", widths=(8, 8, 16),
                                 epochs=1, batch_size=8)
    assert src.weights_used_ == "random initialisation"
    tgt = resnet.resnet(weights=str(src_path), widths=(8, 8, 16), head_epochs=1,
                        fine_tune_epochs=1, batch_size=8)
    model, used = tgt._start_weights([(24, 24)], 2)
    for a, b in zip(model.get_layer("backbone").get_weights(),
                    src.model_.get_layer("backbone").get_weights()):
        np.testing.assert_array_equal(a, b)
    assert "transferred from source.keras" in used and "synthetic source" in used
    yt = np.where(y == "a", "x", "y")
    tgt.fit(X, yt, groups=np.arange(24) % 4)
    assert [h["phase"] for h in tgt.history_] == ["head", "fine-tune"]
    assert tgt.weights_used_.startswith("transferred")
    back = keras_base.load(tgt.save(tmp_path / "target"))
    assert isinstance(back, resnet.ResNetClassifier)
    assert back.weights_used_ == tgt.weights_used_
    np.testing.assert_allclose(back.predict_proba(X), tgt.predict_proba(X), rtol=1e-5, atol=1e-6)
    assert isinstance(model.get_layer("backbone"), keras.Model)


def test_missing_weights_file_is_a_clear_error(tmp_path):
    clf = resnet.resnet(weights=str(tmp_path / "nope.keras"))
    with pytest.raises(ModelError, match="does not exist"):
        clf.fit(np.zeros((6, 16, 16), "float32"), np.array(["a", "b"] * 3))


# ----------------------------------------------------------------------- results rows
def test_every_results_row_names_a_registered_model_and_a_protocol():
    from serlib.evaluation import deep_runs
    from serlib.models import registry

    for name, r in deep_runs.RUNS.items():
        assert registry.get(r.model).family == "deep"
        assert r.protocol in ("random", "speaker", "cross")
        assert (r.test is not None) == (r.protocol == "cross")
        assert deep_runs.command(name) == f"python scripts/deep_results.py {name}"
        if r.source:
            assert r.source in deep_runs.RUNS and deep_runs.RUNS[r.source].save


def test_speaker_norm_rows_need_one_vector_per_clip(monkeypatch):
    from serlib.evaluation import deep_runs

    bad = deep_runs.Run("bad", "cnn2d", ("ravdess",), deep_runs.EIGHT, "speaker",
                        speaker_norm=True)
    monkeypatch.setitem(deep_runs.RUNS, "bad", bad)
    with pytest.raises(ValueError, match="one feature vector per clip"):
        deep_runs.run("bad", quick=True, save_json=False, progress=False)
    assert all(registry_kind(r.model) in ("stats", "mfcc40", "seed180")
               for r in deep_runs.RUNS.values() if r.speaker_norm and r.name != "bad")


def registry_kind(model):
    from serlib.models import registry

    return registry.get(model).feature_kind


def test_a_speaker_normalised_row_says_so_and_normalises_per_speaker(sample_root, monkeypatch):
    from serlib.evaluation import deep_runs, splits

    seen = {}
    real = splits.speaker_normalize

    def spy(X, speakers):
        seen["speakers"] = sorted(set(np.asarray(speakers).tolist()))
        out = real(X, speakers)
        seen["out"], seen["sp"] = out, np.asarray(speakers)
        return out

    monkeypatch.setattr(splits, "speaker_normalize", spy)
    res = deep_runs.run("rav6-dnn-znorm", data_root=sample_root, quick=True, save_json=False,
                        progress=False, overrides={"members": 2})
    assert res["speaker_norm"] and "speaker z-norm" in res["protocol"]
    assert len(seen["speakers"]) >= 3
    for s in seen["speakers"]:
        rows = seen["out"][seen["sp"] == s]
        np.testing.assert_allclose(rows.mean(axis=0), 0.0, atol=1e-6)


@pytest.mark.corpora
def test_a_results_row_runs_end_to_end_in_quick_mode(corpora_root):
    from serlib.evaluation import deep_runs

    res = deep_runs.run("rav6-cnn1d", data_root=corpora_root, quick=True, save_json=False,
                        progress=False)
    assert res["quick"] and res["protocol"].startswith("speaker-independent")
    (fold,) = res["folds"]
    assert 0.0 <= fold["accuracy"] <= 1.0 and fold["n_test"] > 0
    assert fold["validation"].startswith("speaker-grouped")
    assert "QUICK MODE" in deep_runs.describe(res)
