"""The deep-model rows of the results table: one named run per row, one command per run.

Each entry of :data:`RUNS` fixes a model, its settings, the corpora, the emotions and
the protocol. :func:`run` executes it with serlib's own features and splits and returns
a JSON-ready dict (accuracy, UAR, macro F1 per fold and their means, the seed's figure
where one exists, the seconds it took and the command that reproduces it)::

    python scripts/deep_results.py rav6-cnn2d          # one row
    python scripts/deep_results.py --list              # every row

Protocols:

* ``random``: one stratified random 80/20 split of the clips (the seed's protocol;
  speakers appear on both sides, so it is optimistic). Early stopping holds out random
  training clips, matching the protocol.
* ``speaker``: speaker-independent k-fold (RAVDESS: 6 folds of 4 actors, 2 women and
  2 men each). Early stopping holds out whole *training* speakers.
* ``cross``: train on some corpora, test on another (EMO-DB, German), never seen.

Notebooks: 07_cnn.ipynb, 08_resnet_transfer.ipynb
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from serlib import config

#: Where :func:`run` writes one JSON file per row (small; committed with the notebooks).
RESULTS_DIR = config.REPO_DIR / "results" / "deep"

EIGHT = ("neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised")
FOUR = ("neutral", "happy", "sad", "angry")
FIVE = FOUR + ("fearful",)
SIX = FIVE + ("disgust",)


@dataclass(frozen=True)
class Run:
    """One results row: what to train, on what, tested how."""

    name: str
    model: str                      # registry name
    train: tuple[str, ...]
    emotions: tuple[str, ...]
    protocol: str                   # "random", "speaker" or "cross"
    params: dict = field(default_factory=dict)
    test: str | None = None
    folds: int = 6
    test_size: float = 0.2
    seed: int = 0
    seed_figure: str = ""           # the seed's number for the same row, if any
    note: str = ""
    source: str | None = None       # name of a run whose saved model gives weights=
    save: bool = False              # keep the trained model (cross runs) for transfer
    speaker_norm: bool = False      # z-normalise each speaker's feature vectors (no labels)


_RANDOM_VAL = {"validation": "random"}
_SEED_EXACT = {"epochs": 200, "batch_size": 16, "patience": None, "validation_fraction": 0}

RUNS: dict[str, Run] = {r.name: r for r in [
    # the seed's protocol: RAVDESS + TESS, 8 emotions, random 80/20
    Run("seed-cnn1d", "cnn1d", ("ravdess", "tess"), EIGHT, "random", dict(_SEED_EXACT),
        seed_figure="85.82 %", note="seed Model 1 as the seed trained it: 200 epochs, batch 16"),
    Run("seed-cnn1d-bn", "cnn1d-bn", ("ravdess", "tess"), EIGHT, "random", dict(_SEED_EXACT),
        seed_figure="82.05 %", note="seed Model 2 as the seed trained it: 200 epochs, batch 16"),
    Run("rt-cnn1d", "cnn1d", ("ravdess", "tess"), EIGHT, "random", dict(_RANDOM_VAL),
        seed_figure="85.82 %", note="Model 1 with early stopping"),
    Run("rt-cnn1d-bn-x5", "cnn1d-bn", ("ravdess", "tess"), EIGHT, "random",
        dict(_RANDOM_VAL, members=5), seed_figure="82.05 %",
        note="a committee of five of the seed's Model 2, each stopping on other validation clips"),
    Run("rt-cnn2d", "cnn2d", ("ravdess", "tess"), EIGHT, "random", dict(_RANDOM_VAL)),
    Run("rt-bilstm", "bilstm", ("ravdess", "tess"), EIGHT, "random", dict(_RANDOM_VAL)),
    Run("rt-multi", "multi", ("ravdess", "tess"), EIGHT, "random", dict(_RANDOM_VAL)),
    Run("rt-dnn", "dnn", ("ravdess", "tess"), EIGHT, "random", dict(_RANDOM_VAL)),
    Run("rt-dnn-search", "dnn", ("ravdess", "tess"), EIGHT, "random",
        dict(_RANDOM_VAL, search={"units": [(256, 128), (512, 256)], "dropout": [0.2, 0.4],
                                  "input_dropout": [0.0, 0.2]}),
        note="layer sizes and dropout chosen on the validation clips (8 candidates), "
             "then a committee of 5"),
    Run("rt-dnn-znorm", "dnn", ("ravdess", "tess"), EIGHT, "random", dict(_RANDOM_VAL),
        speaker_norm=True,
        note="inputs z-normalised per speaker with that speaker's own clips (no labels)"),
    # speaker-independent RAVDESS
    Run("rav6-cnn1d", "cnn1d", ("ravdess",), EIGHT, "speaker"),
    Run("rav6-cnn2d", "cnn2d", ("ravdess",), EIGHT, "speaker"),
    Run("rav6-bilstm", "bilstm", ("ravdess",), EIGHT, "speaker",
        seed_figure="60.38 % (4 corpora, other protocol)"),
    Run("rav6-multi", "multi", ("ravdess",), EIGHT, "speaker"),
    Run("rav6-dnn", "dnn", ("ravdess",), EIGHT, "speaker"),
    Run("rav6-dnn-znorm", "dnn", ("ravdess",), EIGHT, "speaker", speaker_norm=True,
        note="inputs z-normalised per speaker with that speaker's own clips (no labels)"),
    Run("rav6-dnn-znorm-single", "dnn", ("ravdess",), EIGHT, "speaker", dict(members=1),
        speaker_norm=True, note="rav6-dnn-znorm with one network instead of a committee of 5"),
    Run("rav6-cnn2d-noaug", "cnn2d", ("ravdess",), EIGHT, "speaker",
        dict(spec_augment=False), note="rav6-cnn2d without SpecAugment"),
    Run("rav6-resnet", "resnet", ("ravdess",), EIGHT, "speaker"),
    # English -> EMO-DB (German), never seen in training
    Run("emodb4-cnn2d", "cnn2d", ("ravdess", "tess"), FOUR, "cross", test="emodb",
        seed_figure="64.60 % (ResNet50, 5 corpora)"),
    Run("emodb4-dnn", "dnn", ("ravdess", "tess"), FOUR, "cross", test="emodb",
        seed_figure="64.60 % (ResNet50, 5 corpora)"),
    Run("emodb4-dnn-znorm", "dnn", ("ravdess", "tess"), FOUR, "cross", test="emodb",
        speaker_norm=True, seed_figure="64.60 % (ResNet50, 5 corpora)",
        note="inputs z-normalised per speaker with that speaker's own clips (no labels)"),
    Run("emodb4-resnet", "resnet", ("ravdess", "tess"), FOUR, "cross", test="emodb",
        seed_figure="64.60 % (ResNet50, 5 corpora)", save=True),
    Run("emodb5-resnet", "resnet", ("ravdess", "tess"), FIVE, "cross", test="emodb",
        seed_figure="46.57 % (ResNet50, 5 corpora)", save=True),
    Run("emodb6-resnet", "resnet", ("ravdess", "tess"), SIX, "cross", test="emodb",
        seed_figure="35.46 % (ResNet50), 48.33 % (ResNet34)", save=True),
    # transfer: pretrained on RAVDESS+TESS, fine-tuned on EMO-DB speakers (5 folds of 2)
    Run("emodb4-transfer", "resnet", ("emodb",), FOUR, "speaker", folds=5,
        source="emodb4-resnet", note="backbone from emodb4-resnet, head + top block tuned"),
    Run("emodb4-scratch", "resnet", ("emodb",), FOUR, "speaker", folds=5,
        note="same network from a random start, EMO-DB only"),
]}


def model_path(name: str, quick: bool = False) -> Path:
    """Where the model trained by cross run ``name`` is kept (user cache, not the repo)."""
    return config.cache_dir() / "deep_models" / f"{name}{'-quick' if quick else ''}.keras"


def command(name: str) -> str:
    """The shell command that reproduces row ``name``."""
    return f"python scripts/deep_results.py {name}"


def _tables(run: Run, data_root=None):
    import pandas as pd

    from serlib.datasets import load_corpus

    tr = pd.concat([load_corpus(c, data_root) for c in run.train], ignore_index=True)
    tr = tr[tr["emotion"].isin(run.emotions)].reset_index(drop=True)
    te = None
    if run.test:
        te = load_corpus(run.test, data_root)
        te = te[te["emotion"].isin(run.emotions)].reset_index(drop=True)
    return tr, te


def subset(table, n: int, seed: int = 0):
    """A stratified-by-speaker-and-emotion subset of at most ``n`` rows (quick mode)."""
    if len(table) <= n:
        return table
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(table))[:n]
    return table.iloc[np.sort(idx)].reset_index(drop=True)


def run(name: str, data_root=None, quick: bool | None = None, save_json: bool = True,
        progress: bool = True, overrides: dict | None = None) -> dict:
    """Execute results row ``name`` (see :data:`RUNS`) and return its result dict.

    ``quick`` (default: ``$SERLIB_QUICK``) shrinks the data and epochs so the row runs in
    seconds (for tests and CI; the numbers then mean nothing and are not saved).
    ``overrides`` changes model settings (e.g. ``{"epochs": 5}``); results with overrides
    are not saved either.

    Notebooks: 07_cnn.ipynb, 08_resnet_transfer.ipynb
    """
    from serlib.evaluation import metrics, splits
    from serlib.evaluation.protocol import features_for
    from serlib.features import feature_shape
    from serlib.models import registry
    from serlib.models.keras_base import take

    spec_run = RUNS[name]
    quick = config.quick_mode() if quick is None else quick
    t0 = time.perf_counter()
    spec = registry.get(spec_run.model)
    if spec_run.speaker_norm and ("+" in spec.feature_kind
                                  or len(feature_shape(spec.feature_kind)) != 1):
        raise ValueError(f"row {name}: speaker_norm z-normalises one feature vector per clip; "
                         f"{spec_run.model} eats {spec.feature_kind!r}")
    params = {"random_state": spec_run.seed, **spec_run.params, **(overrides or {})}
    if quick:
        params.update(epochs=2, head_epochs=1, fine_tune_epochs=1) if spec_run.model == "resnet" \
            else params.update(epochs=2)
        params.pop("patience", None) if spec_run.params.get("patience", 0) is None else None
    if spec_run.source:
        src = model_path(spec_run.source, quick)
        if not src.is_file():
            if progress:
                print(f"(first training the source model: {spec_run.source})")
            run(spec_run.source, data_root=data_root, quick=quick, save_json=save_json,
                progress=progress)
        params["weights"] = str(src)
    tr, te = _tables(spec_run, data_root)
    if quick:
        tr = subset(tr, 120, spec_run.seed)
        te = subset(te, 40, spec_run.seed) if te is not None else None
    labels = [e for e in spec_run.emotions]
    if spec_run.protocol == "cross":
        import pandas as pd

        table = pd.concat([tr, te], ignore_index=True)
        idx = np.arange(len(table))
        split_list = [(idx[: len(tr)], idx[len(tr):])]
    else:
        table = tr
        if spec_run.protocol == "random":
            split_list = splits.random_split(table["emotion"], test_size=spec_run.test_size,
                                             seed=spec_run.seed)
        else:
            k = min(spec_run.folds, table["speaker"].nunique())
            if quick:
                k = min(k, 3)
            split_list = splits.speaker_folds(table["speaker"], table["gender"], k=k,
                                              seed=spec_run.seed)
            if quick:
                split_list = split_list[:1]
    X = features_for(table, spec.feature_kind)
    y = table["emotion"].astype(str).to_numpy()
    speakers = table["speaker"].astype(str).to_numpy()
    if spec_run.speaker_norm:
        X = splits.speaker_normalize(X, speakers)
    folds, histories, models = [], [], []
    for i, (tr_idx, te_idx) in enumerate(split_list):
        t1 = time.perf_counter()
        clf = spec.build(**params)
        clf.fit(take(X, tr_idx), y[tr_idx], groups=speakers[tr_idx])
        pred = np.asarray(clf.predict(take(X, te_idx))).astype(str)
        s = metrics.scores(y[te_idx], pred, labels)
        fold = {"fold": i, "test_speakers": sorted(set(speakers[te_idx].tolist())),
                "n_train": int(len(tr_idx)), "n_test": int(len(te_idx)), **s,
                "best_epoch": getattr(clf, "best_epoch_", None),
                "best_params": getattr(clf, "best_params_", None) or None,
                "validation": clf.validation_["how"],
                "weights_used": getattr(clf, "weights_used_", None),
                "seconds": round(time.perf_counter() - t1, 1),
                "confusion": metrics.confusion(y[te_idx], pred, labels).tolist()}
        h = clf.history_
        if h:
            last = [p for p in h if "val_accuracy" in p]
            if last:
                fold["validation_accuracy"] = float(max(last[-1]["val_accuracy"]))
        folds.append(fold)
        histories.append(h)
        models.append(clf)
        if progress:
            print(f"  {name} fold {i + 1}/{len(split_list)}: accuracy {s['accuracy']:.3f}, "
                  f"UAR {s['uar']:.3f} ({fold['seconds']:.0f} s)", flush=True)
    result = {
        "name": name, "model": spec_run.model, "features": spec.feature_kind,
        "protocol": _protocol_label(spec_run, len(split_list)),
        "train": list(spec_run.train), "test": spec_run.test, "emotions": labels,
        "params": {k: v for k, v in params.items() if k != "weights"},
        "weights": params.get("weights") and Path(params["weights"]).name,
        "seed": spec_run.seed, "quick": bool(quick),
        "speaker_norm": spec_run.speaker_norm,
        "settings": _settings(models[0]),
        "seed_figure": spec_run.seed_figure, "note": spec_run.note,
        "n_train": int(np.mean([f["n_train"] for f in folds])),
        "n_test": int(sum(f["n_test"] for f in folds)),
        "folds": folds, "history": histories[0] if histories else [],
    }
    for key in ("accuracy", "uar", "macro_f1", "kappa"):
        vals = np.array([f[key] for f in folds])
        result[key] = float(vals.mean())
        result[f"{key}_std"] = float(vals.std())
    if "validation_accuracy" in folds[0]:
        result["validation_accuracy"] = float(np.mean([f["validation_accuracy"] for f in folds]))
    result["seconds"] = round(time.perf_counter() - t0, 1)
    result["command"] = command(name)
    if spec_run.save and not overrides:
        models[0].trained_on_ = "+".join(spec_run.train) + f" ({len(labels)} emotions)"
        models[0].save(model_path(name, quick))
    if save_json and not quick and not overrides:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        (RESULTS_DIR / f"{name}.json").write_text(json.dumps(result, indent=1))
    result["_models"] = models
    return result


def available(name: str, data_root=None) -> bool:
    """True when the data root holds every corpus row ``name`` needs."""
    from serlib import notebook

    r = RUNS[name]
    root = config.data_root(data_root)
    return all(notebook.count_clips(root / c) > 0 for c in (*r.train, *([r.test] if r.test else [])))


def load_or_run(name: str, data_root=None, quick: bool | None = None, progress: bool = False):
    """Row ``name``: its saved full-mode result (``results/deep/``), else run it now.

    In quick mode (tests) a missing row is run small (seconds, meaningless numbers,
    not saved) when its corpora are present. Returns None when neither is possible.

    Notebooks: 07_cnn.ipynb, 08_resnet_transfer.ipynb
    """
    quick = config.quick_mode() if quick is None else quick
    saved = load_result(name)
    if quick:
        if saved is None and available(name, data_root):
            return run(name, data_root=data_root, quick=True, save_json=False, progress=progress)
        return saved
    if saved is not None:
        return saved
    if available(name, data_root):
        return run(name, data_root=data_root, quick=False, progress=progress)
    return None


def report(name: str) -> str:
    """:func:`describe` of the saved result of row ``name``, or how to compute it.

    Notebooks: 07_cnn.ipynb, 08_resnet_transfer.ipynb
    """
    r = load_result(name)
    if r is None:
        return f"{name}: not computed for this notebook; run `{command(name)}`"
    return describe(r) + f"\n   reproduce: {r['command']}  ({r['seconds'] / 60:.0f} min on 2 shared CPU cores)"


def describe(result: dict) -> str:
    """One line: the row, its protocol and its scores (every accuracy names its protocol).

    Notebooks: 07_cnn.ipynb, 08_resnet_transfer.ipynb
    """
    if result is None:
        return "(not available: the data root lacks a corpus this row needs)"
    data = "+".join(result["train"]) + (f" -> {result['test']}" if result.get("test") else "")
    sd = f" (sd {100 * result['accuracy_std']:.1f} over folds)" if len(result["folds"]) > 1 else ""
    mode = " [QUICK MODE: tiny subset, numbers meaningless]" if result.get("quick") else ""
    return (f"{result['name']}: {result['model']} on {result['features']}, {data}, "
            f"{len(result['emotions'])} emotions, {result['protocol']}: accuracy "
            f"{100 * result['accuracy']:.1f} %{sd}, UAR {100 * result['uar']:.1f} %, "
            f"macro F1 {100 * result['macro_f1']:.1f} %{mode}")


def _settings(model) -> dict:
    """Every setting the trained model ran with (defaults included), JSON-ready."""
    from serlib.models.keras_base import _jsonable

    try:
        params = model.get_params(deep=False)
    except AttributeError:  # pragma: no cover - every registry model has get_params
        return {}
    return _jsonable({k: v for k, v in params.items() if k != "weights"})


def _protocol_label(r: Run, n_splits: int) -> str:
    norm = ", speaker z-norm" if r.speaker_norm else ""
    if r.protocol == "random":
        return (f"random {int(round((1 - r.test_size) * 100))}/"
                f"{int(round(r.test_size * 100))} (clips){norm}")
    if r.protocol == "speaker":
        return f"speaker-independent {n_splits}-fold{norm}"
    return f"cross-corpus: train {'+'.join(r.train)}, test {r.test}{norm}"


def load_result(name: str) -> dict | None:
    """The saved result of row ``name`` (from ``results/deep/``), or None.

    Notebooks: 07_cnn.ipynb, 08_resnet_transfer.ipynb
    """
    p = RESULTS_DIR / f"{name}.json"
    return json.loads(p.read_text()) if p.is_file() else None


def table(results) -> "pandas.DataFrame":  # noqa: F821
    """One row per result: model, features, protocol, data, accuracy, UAR, macro F1,
    the seed's figure and the reproducing command.

    Notebooks: 07_cnn.ipynb, 08_resnet_transfer.ipynb
    """
    import pandas as pd

    rows = []
    for r in results:
        if r is None:
            continue
        data = "+".join(r["train"]) + (f" → {r['test']}" if r.get("test") else "")
        rows.append({"row": r["name"], "model": r["model"], "features": r["features"],
                     "protocol": r["protocol"], "data": data, "emotions": len(r["emotions"]),
                     "accuracy": round(100 * r["accuracy"], 1), "UAR": round(100 * r["uar"], 1),
                     "macro F1": round(100 * r["macro_f1"], 1),
                     "seed's figure": r.get("seed_figure", ""),
                     "command": r["command"]})
    return pd.DataFrame(rows)
