"""Train a registered classical model on whole corpora and save it (``serlib train``).

Besides ``NAME.skops`` and its ``NAME.json`` sidecar, a model that
:mod:`serlib.models.portable` can export (the scaler + MLP pipeline, like the shipped
model) also gets ``NAME.npz``, recorded in the sidecar, which ``serlib predict`` loads
without scikit-learn.

Notebook: 06_mlp_grid_search.ipynb
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np


def train_and_save(model_name: str = "mlp", train="ravdess,tess", emotions=None, out=None,
                   seed: int = 0, data_root=None, progress: bool = False):
    """Fit ``model_name`` on every clip of ``train`` and save it; returns ``(path, metadata)``.

    Writes ``out`` (``.skops``), its ``.json`` sidecar and, for a model
    :func:`serlib.models.portable.exportable` accepts, the ``.npz`` inference export named
    in the sidecar (``metadata["portable"]``).

    Hyper-parameters are chosen by the model's own grid search on speaker-grouped folds
    of these clips. ``emotions`` defaults to every emotion any training corpus has (the
    shipped model: RAVDESS's eight). ``out`` defaults to the shipped model's path.

    Notebook: 06_mlp_grid_search.ipynb
    """
    import pandas as pd

    from serlib.config import default_model_path
    from serlib.datasets import load_corpus, name_list, order_emotions
    from serlib.errors import ModelError
    from serlib.extract import extract_inputs
    from serlib.models import io, portable, registry

    spec = registry.get(model_name)
    if spec.family != "classical":
        raise ModelError(f"serlib train saves scikit-learn models; {model_name!r} is a deep "
                         "model - train it in notebook 07/08 and save it with model.save(...)")
    corpora = name_list(train)
    table = pd.concat([load_corpus(c, data_root) for c in corpora], ignore_index=True)
    wanted = name_list(emotions) or order_emotions(set(table["emotion"]))
    table = table[table["emotion"].isin(wanted)].reset_index(drop=True)
    t0 = time.perf_counter()
    X = extract_inputs(table, spec.feature_kind, progress)
    model = spec.build(random_state=seed)
    if progress:
        print(f"training {model_name} on {len(table)} clips ...", flush=True)
    model.fit(X, table["emotion"].to_numpy(), groups=table["speaker"].to_numpy())
    path = Path(out) if out else default_model_path()
    command = (f"serlib train --model {model_name} --train {','.join(corpora)}"
               + (f" --emotions {','.join(wanted)}" if emotions else "")
               + (f" --seed {seed}" if seed else "") + " --data-root DATA_ROOT")
    data = {"corpora": corpora, "n_clips": int(len(table)),
            "n_speakers": int(table["speaker"].nunique()),
            "clips_per_emotion": {e: int(n) for e, n in table["emotion"].value_counts().items()},
            "inner_cv_score_uar": (None if np.isnan(getattr(model, "best_score_", np.nan))
                                   else round(float(model.best_score_), 4)),
            "seconds": round(time.perf_counter() - t0, 1)}
    io.save(model, path, name=model_name, command=command, training_data=data)
    if portable.exportable(model):  # the fast path of `serlib predict` (no scikit-learn)
        io.record_portable(path, portable.export(model, path.with_suffix(portable.SUFFIX)))
    return path, io.read_metadata(path)
