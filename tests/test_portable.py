"""serlib.models.portable: the numpy export of the MLP predicts exactly what scikit-learn does,
and ``serlib predict`` with the shipped model uses it without importing scikit-learn."""
from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

from serlib.config import REPO_DIR
from serlib.errors import ModelError
from serlib.models import io, portable
from serlib.predict import default_model_path, load_model, predict_file

from helpers import sample_clips

#: Modules the fast path of `serlib predict` must never import.
NOT_IMPORTED = ("sklearn", "skops", "tensorflow", "keras", "torch")


@pytest.fixture(scope="module")
def shipped_copy(tmp_path_factory):
    """The shipped model's three files, copied to a folder a test may change."""
    folder = tmp_path_factory.mktemp("shipped")
    src = default_model_path()
    for suffix in (".skops", ".json", ".npz"):
        shutil.copy(src.with_suffix(suffix), folder / src.with_suffix(suffix).name)
    return folder / src.name


def copy_model(shipped_copy, folder):
    for suffix in (".skops", ".json", ".npz"):
        name = shipped_copy.with_suffix(suffix).name
        shutil.copy(shipped_copy.with_suffix(suffix), folder / name)
    return folder / shipped_copy.name


# ------------------------------------------------------------------- the shipped model
def test_shipped_model_has_a_recorded_export():
    meta = io.read_metadata(default_model_path())
    entry = meta["portable"]
    npz = default_model_path().parent / entry["file"]
    assert entry["file"] == "ser-mlp.npz" and npz.is_file()
    assert portable.file_sha256(npz) == entry["sha256"]


def test_shipped_portable_equals_skops_on_real_clips(sample_root):
    """Ten real clips: the numpy forward pass gives scikit-learn's probabilities exactly."""
    from serlib.audio import load
    from serlib.predict import features_for, model_input

    fast = load_model()
    full = load_model(portable=False)
    assert isinstance(fast, portable.PortableMLP)
    assert isinstance(full, io.SavedModel)
    assert fast.emotions == full.emotions and fast.feature_kind == full.feature_kind
    assert fast.metadata == full.metadata and fast.path == full.path

    raw = np.concatenate([features_for(full, load(p)) for p in sample_clips(sample_root, 10)])
    assert raw.shape == (10, 234)
    # the shipped network reads speaker-normalised rows (here: the population's statistics)
    X = model_input(full, raw)
    assert np.array_equal(X, model_input(fast, raw)) and not np.allclose(X, raw)
    p_fast, p_full = fast.predict_proba(X), np.asarray(full.predict_proba(X))
    assert p_fast.shape == p_full.shape == (10, len(full.emotions)) == (10, 4)
    assert np.abs(p_fast - p_full).max() <= 1e-9
    assert np.array_equal(fast.predict(X), full.predict(X))
    # a real comparison: the clips get different, confident-enough answers
    assert p_full.max() > 0.5 and len(set(full.predict(X).tolist())) >= 3
    # and the same through the public helper
    clip = sample_clips(sample_root, 1)[0]
    assert predict_file(fast, clip).probabilities == pytest.approx(
        predict_file(full, clip).probabilities, abs=1e-9)


def test_cli_predict_imports_no_sklearn(sample_root):
    """`serlib predict --json` with the shipped model: same answer, no scikit-learn.

    SciPy is imported all the same: the feature code uses ``scipy.fft`` and librosa
    (``librosa.yin``, the filter banks), which import ``scipy.signal``.
    """
    clip = str(sample_clips(sample_root, 1)[0])
    code = ("import sys, serlib.cli; rc = serlib.cli.main(['predict', " + repr(clip)
            + ", '--json']); print(rc); print(sorted({m.split('.')[0] for m in sys.modules} & "
            + repr(set(NOT_IMPORTED)) + "))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO_DIR, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[-1] == "[]", f"imported: {lines[-1]}"
    assert lines[-2] == "0"
    got = json.loads(lines[-3])
    want = predict_file(load_model(portable=False), clip).to_dict()
    assert got["emotion"] == want["emotion"]
    assert got["probabilities"] == want["probabilities"]


def test_tampered_export_warns_and_falls_back(shipped_copy, tmp_path, sample_root):
    path = copy_model(shipped_copy, tmp_path)
    npz = path.with_suffix(".npz")
    data = bytearray(npz.read_bytes())
    data[len(data) // 2] ^= 0x01  # one byte changed
    npz.write_bytes(bytes(data))
    with pytest.warns(UserWarning, match="SHA-256 does not match"):
        model = load_model(path)
    assert isinstance(model, io.SavedModel)
    clip = sample_clips(sample_root, 1)[0]
    assert predict_file(model, clip).to_dict()["probabilities"] == \
        predict_file(load_model(shipped_copy), clip).to_dict()["probabilities"]


def test_missing_export_falls_back_silently(shipped_copy, tmp_path):
    path = copy_model(shipped_copy, tmp_path)
    path.with_suffix(".npz").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = load_model(path)
    assert isinstance(model, io.SavedModel)


def test_export_without_sidecar_entry_is_ignored(shipped_copy, tmp_path):
    """Only an export the sidecar names (with its hash) is ever used."""
    path = copy_model(shipped_copy, tmp_path)
    meta = json.loads(path.with_suffix(".json").read_text())
    del meta["portable"]
    path.with_suffix(".json").write_text(json.dumps(meta))
    assert isinstance(load_model(path), io.SavedModel)


def test_sidecar_checks_apply_to_the_export(shipped_copy, tmp_path):
    path = copy_model(shipped_copy, tmp_path)
    sidecar = path.with_suffix(".json")
    meta = json.loads(sidecar.read_text())
    sidecar.write_text(json.dumps({**meta, "feature_config_key": "0000000000000000"}))
    with pytest.raises(ModelError, match="features computed with other settings") as fast:
        load_model(path)
    with pytest.raises(ModelError) as full:
        load_model(path, portable=False)
    assert str(fast.value) == str(full.value)
    sidecar.write_text(json.dumps({**meta, "format": 99}))
    with pytest.raises(ModelError, match="model format 99"):
        load_model(path)
    # another scikit-learn major version: the export does not need scikit-learn at all
    sidecar.write_text(json.dumps({**meta, "versions": {**meta["versions"], "sklearn": "0.24.2"}}))
    assert isinstance(load_model(path), portable.PortableMLP)
    with pytest.raises(ModelError, match="scikit-learn 0.24.2"):
        load_model(path, portable=False)


def test_export_beside_the_model_only(shipped_copy, tmp_path):
    (tmp_path / "other").mkdir()
    with pytest.raises(ModelError, match="beside"):
        io.record_portable(shipped_copy, shutil.copy(shipped_copy.with_suffix(".npz"),
                                                     tmp_path / "other" / "x.npz"))


# ------------------------------------------------------------ the forward pass itself
def _fit(activation, n_classes, seed=0, dtype=np.float64):
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(seed)
    X = rng.normal(size=(90, 6)) * [1, 5, 0.1, 2, 30, 1] + [0, 3, -1, 0, 100, 0]
    y = np.array(["angry", "calm", "sad"][:n_classes])[np.arange(90) % n_classes]
    X[np.arange(90) % n_classes == 1, 0] += 1.5
    X = X.astype(dtype)
    pipe = Pipeline([("scale", StandardScaler()),
                     ("clf", MLPClassifier(hidden_layer_sizes=(7, 5), activation=activation,
                                           max_iter=300, random_state=seed))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe.fit(X, y)
    return pipe, rng.normal(size=(25, 6)).astype(dtype) * 3


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("activation", portable.HIDDEN_ACTIVATIONS)
def test_forward_pass_equals_sklearn(activation, n_classes, tmp_path):
    pipe, X = _fit(activation, n_classes)
    model = portable.load(portable.export(pipe, tmp_path / "m.npz", feature_kind="stats"))
    assert model.out_activation == ("logistic" if n_classes == 2 else "softmax")
    assert model.activation == activation
    assert list(model.classes_) == list(pipe.classes_)
    p = model.predict_proba(X)
    assert p.shape == (25, n_classes)
    assert np.abs(p - pipe.predict_proba(X)).max() <= 1e-9
    assert np.array_equal(model.predict(X), pipe.predict(X))
    assert np.array_equal(model.predict(X.tolist()), pipe.predict(X))  # lists too


def test_float32_features_keep_float32_maths(tmp_path):
    """serlib's features are float32: the scaler then works in float32, as scikit-learn's."""
    pipe, X = _fit("relu", 3, dtype=np.float32)
    model = portable.load(portable.export(pipe, tmp_path / "m.npz", feature_kind="stats"))
    p = model.predict_proba(X)
    assert p.dtype == np.float32
    assert np.abs(p - pipe.predict_proba(X)).max() <= 1e-9


def test_bad_input_is_refused(tmp_path):
    pipe, X = _fit("relu", 3)
    model = portable.load(portable.export(pipe, tmp_path / "m.npz", feature_kind="stats"))
    with pytest.raises(ValueError, match="6"):
        model.predict_proba(X[:, :5])
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.predict_proba(X)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_export_refuses_other_models(tmp_path):
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    from serlib.models import registry

    pipe, X = _fit("relu", 2)
    y = pipe.predict(X)
    logreg = registry.get("logreg").build(grid=None).fit(X, y)
    with pytest.raises(ModelError, match="Pipeline\\(StandardScaler → LogisticRegression\\)"):
        portable.export(logreg, tmp_path / "a.npz")
    assert not portable.exportable(logreg)
    with pytest.raises(ModelError, match="MLPClassifier"):
        portable.export(MLPClassifier(max_iter=5).fit(X, y), tmp_path / "b.npz",
                        feature_kind="stats")
    minmax = Pipeline([("s", MinMaxScaler()), ("c", MLPClassifier(max_iter=5))])
    with pytest.raises(ModelError, match="MinMaxScaler"):
        portable.export(minmax, tmp_path / "c.npz", feature_kind="stats")
    unfitted = Pipeline([("s", StandardScaler()), ("c", MLPClassifier())])
    with pytest.raises(ModelError, match="not fitted"):
        portable.export(unfitted, tmp_path / "d.npz", feature_kind="stats")
    with pytest.raises(ModelError, match="not fitted"):
        portable.export(registry.get("mlp").build(), tmp_path / "d.npz")
    with pytest.raises(ModelError, match="feature_kind"):
        portable.export(pipe, tmp_path / "e.npz")
    with pytest.raises(ModelError, match=".npz"):
        portable.export(pipe, tmp_path / "f.skops", feature_kind="stats")
    assert not list(tmp_path.iterdir())
    bad = tmp_path / "g.npz"
    np.savez(bad, x=np.zeros(3))
    with pytest.raises(ModelError, match="not a serlib portable model"):
        portable.load(bad)
    np.savez(bad, x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ModelError, match="not a readable portable model"):
        portable.load(bad)


@pytest.mark.filterwarnings("ignore:Got `batch_size`")
def test_train_writes_the_export(sample_root, tmp_path, monkeypatch, capsys):
    """`serlib train --model mlp` (a tiny grid, two actors, two emotions) writes the .npz,
    names it in the sidecar, and `serlib predict` then uses it: the 2-class case end to end."""
    from serlib.cli import main
    from serlib.models import registry

    root = tmp_path / "data"
    for actor in sorted((sample_root / "ravdess").glob("Actor_*"))[:2]:
        (root / "ravdess" / actor.name).mkdir(parents=True)
        for clip in actor.glob("03-01-0[45]-*"):  # sad, angry
            (root / "ravdess" / actor.name / clip.name).symlink_to(clip)
    spec = registry.get("mlp")
    monkeypatch.setitem(registry.MODELS, "mlp", dataclasses.replace(
        spec, params={"grid": {"clf__alpha": [0.1, 1.0]}, "max_iter": 60}))
    out = tmp_path / "m.skops"
    assert main(["train", "--model", "mlp", "--train", "ravdess", "--out", str(out),
                 "--data-root", str(root)]) == 0
    assert "m.npz" in capsys.readouterr().out
    meta = io.read_metadata(out)
    assert meta["emotions"] == ["angry", "sad"]
    assert meta["portable"]["file"] == "m.npz"
    assert meta["portable"]["sha256"] == portable.file_sha256(out.with_suffix(".npz"))
    fast, full = load_model(out), load_model(out, portable=False)
    assert isinstance(fast, portable.PortableMLP) and fast.out_activation == "logistic"
    clips = sorted((root / "ravdess").glob("Actor_*/*"))[:6]
    for clip in clips:
        a, b = predict_file(fast, clip), predict_file(full, clip)
        assert a.emotion == b.emotion
        assert a.probabilities == pytest.approx(b.probabilities, abs=1e-9)
    # saving the loaded model elsewhere does not carry the export's entry along
    io.save(full, tmp_path / "copy.skops")
    assert "portable" not in io.read_metadata(tmp_path / "copy.skops")
