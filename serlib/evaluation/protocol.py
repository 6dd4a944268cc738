"""``evaluate()``: train and test a registered model under one named protocol.

Protocols (``protocol=``):

* ``"random"`` - one stratified random split (``test_size``, ``seed``); speakers are on
  both sides. This is how the seed measured 68.2 %.
* ``"speaker"`` - speaker-independent k-fold (``folds``; both genders in every fold).
* ``"loso"`` - leave one speaker out.
* cross-corpus - give ``test=`` another corpus: train on all of ``train``, test on all
  of ``test``, on the emotions they share (the protocol is then ``"cross-corpus"``).

In every fold the model is built fresh from the registry and fitted with
``groups=speakers`` of the training clips only; grid search and any other choice
happen inside that training part. Scores are computed per fold; the headline numbers
are the means over folds, ``pooled`` holds the scores of all test predictions together.

Notebook: 06_mlp_grid_search.ipynb
"""
from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np

from serlib.datasets.loading import name_list
from serlib.datasets.vocabulary import order_emotions
from serlib.errors import SerlibError
from serlib.evaluation import metrics, splits as _splits

PROTOCOLS = ("random", "speaker", "loso")


def take(X, idx):
    """Rows ``idx`` of ``X``, where ``X`` is an array or a tuple of arrays (multi-input models).

    Notebook: 06_mlp_grid_search.ipynb
    """
    if isinstance(X, (tuple, list)):
        return tuple(np.asarray(x)[idx] for x in X)
    return np.asarray(X)[idx]


def n_rows(X) -> int:
    """Number of clips in ``X`` (an array or a tuple of arrays)."""
    return len(X[0]) if isinstance(X, (tuple, list)) else len(X)


# Moved down to serlib.datasets (serlib.models.train needs them and must not import this
# layer); the old names stay here.
_as_list = name_list


def shared_emotions(*tables) -> list[str]:
    """Emotions present in every corpus of every table given (vocabulary order).

    Notebook: 06_mlp_grid_search.ipynb
    """
    sets = []
    for table in tables:
        for _, part in table.groupby("corpus"):
            sets.append(set(part["emotion"]))
    common = set.intersection(*sets) if sets else set()
    return order_emotions(common)


def load_tables(train, test=None, emotions=None, data_root=None):
    """Corpus tables for a protocol: ``(train_table, test_table_or_None, emotions)``.

    Clips outside ``emotions`` (default: those all the corpora share) are dropped.
    Raises :class:`~serlib.errors.SerlibError` for an emotion no corpus has.

    Notebook: 06_mlp_grid_search.ipynb
    """
    import pandas as pd

    from serlib.datasets import load_corpus
    from serlib.datasets.vocabulary import EMOTIONS

    train = _as_list(train)
    if not train:
        raise SerlibError("no training corpus given; pass e.g. --train ravdess")
    tr = pd.concat([load_corpus(name, data_root) for name in train], ignore_index=True)
    te = load_corpus(_as_list(test)[0], data_root) if test else None
    common = shared_emotions(tr, *([te] if te is not None else []))
    wanted = _as_list(emotions)
    if wanted:
        unknown = [e for e in wanted if e not in EMOTIONS]
        if unknown:
            raise SerlibError(f"unknown emotion(s) {', '.join(unknown)}; the shared vocabulary "
                              f"is: {', '.join(EMOTIONS)}")
        missing = [e for e in wanted if e not in common]
        if missing:
            raise SerlibError(f"emotion(s) {', '.join(missing)} are not in every corpus of "
                              f"this protocol; the shared ones are: {', '.join(common)}")
        chosen = order_emotions(wanted)
    else:
        chosen = common
    if len(chosen) < 2:
        raise SerlibError(f"the corpora share fewer than two emotions ({', '.join(chosen) or 'none'}); "
                          "choose other corpora")
    tr = tr[tr["emotion"].isin(chosen)].reset_index(drop=True)
    if te is not None:
        te = te[te["emotion"].isin(chosen)].reset_index(drop=True)
    return tr, te, chosen


def features_for(table, feature_kind: str, progress: bool = False):
    """Feature matrix (or tuple of matrices for ``"a+b"`` kinds) of a table's clips.

    The same as :func:`serlib.extract.extract_inputs` (where the code lives, so that the
    models layer can use it too).

    Notebook: 06_mlp_grid_search.ipynb
    """
    from serlib.extract import extract_inputs

    return extract_inputs(table, feature_kind, progress=progress)


def make_splits(protocol: str, y, speakers, genders=None, test_size: float = 0.25,
                folds: int = 6, seed: int = 0):
    """The ``(train, test)`` index pairs of a within-corpus protocol.

    Notebook: 06_mlp_grid_search.ipynb
    """
    if protocol == "random":
        return _splits.random_split(y, test_size=test_size, seed=seed)
    if protocol == "speaker":
        return _splits.speaker_folds(speakers, genders, k=folds, seed=seed)
    if protocol == "loso":
        return _splits.loso_splits(speakers)
    raise SerlibError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")


def run_folds(build: Callable[[], object], X, y, speakers, split_list, labels: Sequence[str],
              speaker_norm: bool = False, progress: bool = False) -> dict:
    """Fit a fresh model per fold and score it; returns ``folds``, ``y_true``, ``y_pred``.

    ``build()`` returns an untrained classifier. ``speaker_norm`` z-normalises each
    speaker's features with that speaker's own clips (:func:`~serlib.evaluation.splits.speaker_normalize`).

    Notebook: 06_mlp_grid_search.ipynb
    """
    y = np.asarray(y).astype(str)
    speakers = np.asarray(speakers).astype(str)
    if speaker_norm:
        if isinstance(X, (tuple, list)):
            raise SerlibError("speaker normalisation works on clip vectors, not on multi-input features")
        X = np.asarray(X)
        X = _splits.speaker_normalize(X.reshape(len(y), -1), speakers).reshape(X.shape)
    folds, y_true, y_pred = [], [], []
    for n, (tr, te) in enumerate(split_list):
        t0 = time.perf_counter()
        model = build()
        model.fit(take(X, tr), y[tr], groups=speakers[tr])
        pred = np.asarray(model.predict(take(X, te))).astype(str)
        fold = {"fold": n, "test_speakers": sorted(set(speakers[te].tolist())),
                "n_train": int(len(tr)), "n_test": int(len(te)),
                **metrics.scores(y[te], pred, labels)}
        best = getattr(model, "best_params_", None)
        if best:
            fold["best_params"] = {k: (v if isinstance(v, (int, float, str)) else repr(v))
                                   for k, v in best.items()}
        fold["seconds"] = round(time.perf_counter() - t0, 2)
        folds.append(fold)
        y_true.append(y[te])
        y_pred.append(pred)
        if progress:
            print(f"  fold {n + 1}/{len(split_list)}: accuracy {fold['accuracy']:.3f}, "
                  f"UAR {fold['uar']:.3f} ({fold['seconds']:.1f} s)", flush=True)
    return {"folds": folds, "y_true": np.concatenate(y_true), "y_pred": np.concatenate(y_pred)}


def summarize(run: dict, labels: Sequence[str]) -> dict:
    """Mean and standard deviation over folds, pooled scores and the confusion matrix.

    Notebook: 06_mlp_grid_search.ipynb
    """
    folds = run["folds"]
    out: dict = {}
    for name in metrics.SCORE_NAMES:
        values = np.array([f[name] for f in folds])
        out[name] = float(values.mean())
        out[f"{name}_std"] = float(values.std()) if len(values) > 1 else 0.0
    out["pooled"] = metrics.scores(run["y_true"], run["y_pred"], labels)
    out["confusion"] = {"labels": list(labels),
                        "counts": metrics.confusion(run["y_true"], run["y_pred"], labels).tolist()}
    return out


def command_line(result: dict) -> str:
    """The ``serlib evaluate`` command that reproduces a result dict.

    Notebook: 06_mlp_grid_search.ipynb
    """
    parts = ["serlib evaluate", f"--model {result['model']}", f"--train {','.join(result['train'])}"]
    try:
        from serlib.models.registry import MODELS

        default_kind = MODELS[result["model"]].feature_kind
    except KeyError:
        default_kind = result.get("features")
    if result.get("features") and result["features"] != default_kind:
        parts.append(f"--features {result['features']}")
    if result.get("test"):
        parts.append(f"--test {result['test']}")
    else:
        parts.append(f"--protocol {result['protocol']}")
    parts.append(f"--emotions {','.join(result['emotions'])}")
    if result["protocol"] == "random":
        parts.append(f"--test-size {result['test_size']}")
    if result["protocol"] == "speaker":
        parts.append(f"--folds {result['n_folds']}")
    parts.append(f"--seed {result['seed']}")
    if result.get("speaker_norm"):
        parts.append("--speaker-norm")
    return " ".join(parts)


def evaluate(model_name: str, train=("ravdess",), test=None, protocol: str = "speaker",
             emotions=None, test_size: float = 0.25, folds: int = 6, seed: int = 0,
             data_root=None, speaker_norm: bool = False, model_params: dict | None = None,
             progress: bool = False, features: str | None = None) -> dict:
    """Evaluate registry model ``model_name`` under a protocol; returns a JSON-ready dict.

    Keys: ``model``, ``features``, ``protocol``, ``train``, ``test``, ``emotions``,
    ``n_train``, ``n_test``, ``accuracy``, ``uar``, ``macro_f1``, ``kappa``, ``mcc`` (means
    over folds) with ``*_std``, ``pooled`` (scores over all test clips together),
    ``features`` (the kind the model ate: the registry's, or ``features=`` - a clip-vector
    kind such as ``"voice"`` or ``"stats+voice"`` - for a classical model),
    ``confusion`` (labels, counts), ``folds`` (one dict per fold), ``seed``,
    ``seconds`` and ``command`` (the ``serlib evaluate`` line that reproduces it).

    Notebook: 06_mlp_grid_search.ipynb
    """
    from serlib.models import registry

    t0 = time.perf_counter()
    spec = registry.get(model_name)
    kind = spec.feature_kind
    if features and features != kind:
        from serlib.features import FEATURE_KINDS, feature_shape

        if spec.family != "classical":
            raise SerlibError(f"--features works with the classical models; {model_name} eats "
                              f"{spec.feature_kind!r} (its network is built for it)")
        if features not in FEATURE_KINDS or len(feature_shape(features)) != 1:
            vectors = [k for k in FEATURE_KINDS if len(feature_shape(k)) == 1]
            raise SerlibError(f"unknown or non-vector feature kind {features!r}; a classical "
                              f"model eats one of: {', '.join(vectors)}")
        kind = features
    train_list = _as_list(train)
    tr, te, chosen = load_tables(train_list, test, emotions, data_root)
    params = {"random_state": seed, **(model_params or {})}

    def build():
        model = spec.build(**params)
        if kind != spec.feature_kind:
            model.feature_kind = kind
        return model

    if te is None:
        if protocol not in PROTOCOLS:
            raise SerlibError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
        table = tr
        X = features_for(table, kind, progress)
        split_list = make_splits(protocol, table["emotion"], table["speaker"], table["gender"],
                                 test_size=test_size, folds=folds, seed=seed)
        name = protocol
    else:
        if te["corpus"].iloc[0] in set(tr["corpus"]):
            raise SerlibError(f"the test corpus {te['corpus'].iloc[0]} is also a training corpus; "
                              "for a within-corpus protocol leave --test out")
        import pandas as pd

        table = pd.concat([tr, te], ignore_index=True)
        X = features_for(table, kind, progress)
        idx = np.arange(len(table))
        split_list = [(idx[: len(tr)], idx[len(tr):])]
        name = "cross-corpus"
    run = run_folds(build, X, table["emotion"], table["speaker"], split_list, chosen,
                    speaker_norm=speaker_norm, progress=progress)
    result = {
        "model": model_name,
        "features": kind,
        "protocol": name,
        "train": train_list,
        "test": te["corpus"].iloc[0] if te is not None else None,
        "emotions": list(chosen),
        "n_train": int(len(tr)) if te is not None else int(np.mean([f["n_train"] for f in run["folds"]])),
        "n_test": int(sum(f["n_test"] for f in run["folds"])),
        "n_folds": len(run["folds"]),
        "test_size": test_size if name == "random" else None,
        "seed": seed,
        "speaker_norm": bool(speaker_norm),
        **summarize(run, chosen),
        "folds": run["folds"],
    }
    result["seconds"] = round(time.perf_counter() - t0, 1)
    result["command"] = command_line(result)
    return result


def results_table(results: Sequence[dict]):
    """One row per result dict: model, features, protocol, data, scores (a DataFrame).

    Notebook: 06_mlp_grid_search.ipynb
    """
    import pandas as pd

    rows = []
    for r in results:
        data = "+".join(r["train"]) + (f" → {r['test']}" if r.get("test") else "")
        rows.append({"model": r["model"], "features": r["features"],
                     "speaker z-norm": "yes" if r.get("speaker_norm") else "no",
                     "protocol": r["protocol"],
                     "data": data, "emotions": len(r["emotions"]), "folds": r["n_folds"],
                     "accuracy": r["accuracy"], "UAR": r["uar"], "macro F1": r["macro_f1"],
                     "kappa": r["kappa"]})
    return pd.DataFrame(rows)
