"""serlib.models: the registry, the classical classifiers and safe save/load."""
from __future__ import annotations

import json

import numpy as np
import pytest

from serlib.errors import ModelError
from serlib.models import io, registry
from serlib.models.classical import SEED_MLP_PARAMS, GridSearchClassifier


def blobs(n_per_class=40, n_speakers=6, seed=0):
    """Three well-separated classes in 5-D, spoken by ``n_speakers`` 'speakers'.

    40 per class: an inner grid-search fold then trains on 80 clips, more than the mlp's
    ``batch_size=64``. With 30 (60 clips per inner fit) scikit-learn clipped the batch
    and warned 36 times per run, burying the test summary.
    """
    rng = np.random.default_rng(seed)
    centres = {"angry": 3.0, "sad": -3.0, "happy": 0.0}
    X, y, g = [], [], []
    for label, c in centres.items():
        X.append(rng.normal(c, 1.0, (n_per_class, 5)))
        y += [label] * n_per_class
        g += [f"spk-{i % n_speakers}" for i in range(n_per_class)]
    return np.vstack(X), np.array(y), np.array(g)


def test_registry_lists_every_model_the_brief_names():
    assert registry.names("classical") == ["seed-mlp", "mlp", "svm", "logreg", "forest", "vote"]
    assert registry.names("deep") == ["cnn1d", "cnn1d-bn", "dnn", "cnn2d", "bilstm", "multi",
                                      "resnet"]
    assert registry.get("multi").feature_kinds == ("logmel", "mfcc_seq")
    assert registry.get("seed-mlp").feature_kind == "seed180"
    with pytest.raises(ModelError, match="choose one of"):
        registry.get("transformer")


def test_registry_import_is_light():
    from helpers import modules_loaded_by

    code = "from serlib.models import registry; registry.get('mlp').build()"
    assert modules_loaded_by(code, ("tensorflow", "keras")) == []


def test_missing_factory_module_is_a_clear_model_error():
    spec = registry.ModelSpec("ghost", "deep", "logmel", "serlib.models.no_such_module:net", "x")
    with pytest.raises(ModelError, match="no_such_module"):
        spec.build()
    spec = registry.ModelSpec("ghost", "classical", "stats", "serlib.models.classical:nope", "x")
    with pytest.raises(ModelError, match="nope"):
        spec.build()


def test_seed_mlp_is_the_seeds_model_as_it_was():
    model = registry.get("seed-mlp").build()
    clf = model.estimator
    from sklearn.neural_network import MLPClassifier

    assert isinstance(clf, MLPClassifier)  # no scaler in front
    for key, value in SEED_MLP_PARAMS.items():
        assert clf.get_params()[key] == value
    assert model.param_grid is None and model.feature_kind == "seed180"


@pytest.mark.parametrize("name", ["mlp", "svm", "logreg", "forest", "vote"])
def test_classical_models_learn_separable_blobs(name):
    X, y, g = blobs()
    model = registry.get(name).build(random_state=0)
    assert model.feature_kind == "stats"
    model.fit(X, y, groups=g)
    assert set(model.classes_) == {"angry", "sad", "happy"}
    proba = model.predict_proba(X)
    assert proba.shape == (len(y), 3) and np.allclose(proba.sum(axis=1), 1)
    assert (model.predict(X) == y).mean() > 0.9
    if getattr(model, "param_grid", None):
        for key in model.param_grid:
            assert key in model.best_params_
        assert 0.8 < model.best_score_ <= 1.0


def test_soft_vote_is_the_mean_of_its_members_probabilities():
    X, y, g = blobs()
    model = registry.get("vote").build(random_state=0).fit(X, y, groups=g)
    assert len(model.estimators_) == 3
    members = [m.predict_proba(X) for m in model.estimators_]
    np.testing.assert_allclose(model.predict_proba(X), np.mean(members, axis=0))
    # a member that knows the classes in another order is realigned, not mixed up
    swapped = model.estimators_[0]
    order = np.argsort(swapped.classes_)[::-1]
    fake = type("Fake", (), {"classes_": swapped.classes_[order],
                             "predict_proba": lambda self, X: swapped.predict_proba(X)[:, order]})()
    model.estimators_ = [fake, *model.estimators_[1:]]
    np.testing.assert_allclose(model.predict_proba(X), np.mean(members, axis=0))
    with pytest.raises(TypeError, match="no model settings"):
        registry.get("vote").build(C=3.0)


def test_soft_vote_round_trips_through_skops(tmp_path):
    X, y, g = blobs()
    model = registry.get("vote").build(random_state=0).fit(X, y, groups=g)
    back = io.load(io.save(model, tmp_path / "vote.skops", command="serlib train --model vote"))
    np.testing.assert_allclose(back.predict_proba(X), model.predict_proba(X))
    assert back.feature_kind == "stats"


def test_build_params_override_fixed_settings_and_grid():
    model = registry.get("svm").build(C=5.0)
    assert model.estimator.get_params()["clf__C"] == 5.0
    assert "clf__C" not in model.param_grid
    model = registry.get("logreg").build(grid=None)
    assert model.param_grid is None


def test_save_load_round_trip(tmp_path):
    X, y, g = blobs()
    model = registry.get("logreg").build().fit(X, y, groups=g)
    path = io.save(model, tmp_path / "m.skops", command="serlib train --model logreg",
                   training_data={"corpora": ["blobs"], "n_clips": len(y)})
    meta = json.loads((tmp_path / "m.json").read_text())
    for key in ("versions", "feature_kind", "feature_config_key", "emotions", "command",
                "training_data", "date"):
        assert key in meta
    assert meta["emotions"] == ["angry", "happy", "sad"]
    loaded = io.load(path)
    assert loaded.feature_kind == "stats"
    assert np.allclose(loaded.predict_proba(X), model.predict_proba(X))
    assert (loaded.predict(X) == model.predict(X)).all()


def _tamper(path, **changes):
    meta_path = io.sidecar(path)
    meta = json.loads(meta_path.read_text())
    for key, value in changes.items():
        if key == "sklearn":
            meta["versions"]["sklearn"] = value
        else:
            meta[key] = value
    meta_path.write_text(json.dumps(meta))


def test_incompatible_models_are_refused_with_advice(tmp_path):
    X, y, g = blobs()
    model = registry.get("logreg").build().fit(X, y, groups=g)
    path = io.save(model, tmp_path / "m.skops", command="serlib train --model logreg")
    _tamper(path, feature_config_key="0000")
    with pytest.raises(ModelError, match="serlib train --model logreg"):
        io.load(path)
    io.save(model, path, command="serlib train --model logreg")
    _tamper(path, sklearn="0.24.2")
    with pytest.raises(ModelError, match="scikit-learn 0.24.2"):
        io.load(path)
    io.sidecar(path).unlink()
    with pytest.raises(ModelError, match="metadata"):
        io.load(path)
    with pytest.raises(ModelError, match="no such model"):
        io.load(tmp_path / "missing.skops")


def test_corrupt_and_untrusted_files_are_refused(tmp_path):
    X, y, g = blobs()
    model = registry.get("logreg").build().fit(X, y, groups=g)
    path = io.save(model, tmp_path / "m.skops")
    path.write_bytes(b"not a zip file")
    with pytest.raises(ModelError, match="skops"):
        io.load(path)
    # a pipeline with a type serlib does not trust (it could call any function)
    import skops.io as sio
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.linear_model import LogisticRegression

    import copy

    evil = make_pipeline(FunctionTransformer(copy.deepcopy), LogisticRegression()).fit(X, y)
    evil.feature_kind = "stats"
    path = io.save(evil, tmp_path / "evil.skops")
    with pytest.raises(ModelError, match="copy.deepcopy"):
        io.load(path)


def test_save_refuses_unfitted_and_wrong_suffix(tmp_path):
    with pytest.raises(ModelError, match="not fitted"):
        io.save(registry.get("logreg").build(), tmp_path / "m.skops")
    X, y, g = blobs()
    model = registry.get("logreg").build().fit(X, y, groups=g)
    with pytest.raises(ModelError, match=".skops"):
        io.save(model, tmp_path / "m.pkl")
