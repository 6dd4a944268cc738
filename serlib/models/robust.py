"""Training for a new voice through a new microphone: channel augmentation + speaker adaptation.

A model trained on studio recordings meets, in a classroom, a voice it never heard through
a laptop microphone in a noisy room. Two things prepare it for that:

1. **Channel augmentation.** Every training speaker's clips are split into small
   *pseudo-sessions* (:func:`pseudo_sessions`); each pseudo-session goes through one
   random microphone-room-noise channel (:func:`serlib.channels.session_channel`), the
   same for all its clips, because all takes of one student come through the same
   microphone in the same room. Each clip is used clean and through ``copies`` channels.
2. **Speaker adaptation.** Features are z-normalised per (pseudo-)session with shrunk
   statistics (:mod:`serlib.adaptation`): half of the training rows with the session's
   full statistics, half with the statistics of 0, 1, 3 or 8 takes, as a session has them
   while it runs. The same normalisation removes much of a fixed channel's colouration.

:func:`corpus_features` computes (once, then from a cache) the clean and channel-augmented
``stats`` vectors of whole corpora; :func:`fit_robust` trains the MLP on any subset of
them (the benchmark's training folds, or everything for the shipped model).

The MLP is the registry's ``mlp`` (one hidden layer of 256 units); its L2 penalty is
chosen by a grid search in folds of the *training* speakers, never on a test fold.

Notebook: 10_live_demo.ipynb
"""
from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

from serlib.config import SAMPLE_RATE

#: The live demo's emotions: present in all six corpora, the classic four-class set of
#: the literature (IEMOCAP), one per quadrant of arousal and valence, and easy to act and
#: to picture; fearful, disgust, surprised and calm are the ones listeners and models
#: confuse most across corpora.
DEMO_EMOTIONS = ("neutral", "happy", "sad", "angry")
#: Clips per pseudo-session (one channel each).
SESSION_SIZE = 24
#: Channel-augmented copies of every training clip.
COPIES = 2
#: Takes a session has while it runs, simulated on half of the training rows (-1 = all).
SIMULATED_TAKES = (0, 1, 3, 8, -1)
#: The MLP's settings (the registry's ``mlp``, with a larger batch for the larger data).
MLP_PARAMS = dict(hidden_layer_sizes=(256,), alpha=1.0, batch_size=128, max_iter=200)
#: L2 penalties the grid search on the training speakers chooses from (the registry's).
ALPHAS = (0.1, 1.0, 3.0)


def pseudo_sessions(speakers, size: int = SESSION_SIZE, seed: int = 0) -> np.ndarray:
    """Split each speaker's clips at random into sessions of about ``size`` clips;
    returns one session name (``speaker/k``) per clip.

    Notebook: 10_live_demo.ipynb
    """
    speakers = np.asarray(speakers).astype(str)
    rng = np.random.default_rng(seed)
    out = np.empty(len(speakers), dtype=object)
    for s in sorted(set(speakers.tolist())):
        rows = rng.permutation(np.flatnonzero(speakers == s))
        parts = max(1, round(len(rows) / size))
        for k, chunk in enumerate(np.array_split(rows, parts)):
            out[chunk] = f"{s}/{k}"
    return out.astype(str)


# --------------------------------------------------------------------------- workers
_BABBLE: np.ndarray | None = None


def _channel_work(tasks):
    """Worker: ``(row, path, channel_seed)`` → ``(row, stats vector)`` through the channel."""
    from serlib import audio, channels, features

    out = []
    cache: dict[int, object] = {}
    for row, path, seed in tasks:
        if seed not in cache:
            cache = {seed: channels.session_channel(seed, babble=_BABBLE)}
        y = audio.load(path, sr=SAMPLE_RATE)
        out.append((row, features.compute(cache[seed](y), "stats")["stats"]))
    return out


def _degrade_work(tasks):
    """Worker: ``(row, path, condition, seed, trim)`` → ``(row, stats vector)``."""
    from serlib import audio, channels, features

    out = []
    for row, path, condition, seed, trim in tasks:
        y = channels.degrade(audio.load(path, sr=SAMPLE_RATE), condition, seed=seed,
                             babble=_BABBLE)
        if trim:  # what the demo does with a 7-second recording
            from serlib.speech import speech_part

            y = speech_part(y)
        out.append((row, features.compute(y, "stats")["stats"]))
    return out


def _run_pool(func, tasks, babble, progress: str | None, jobs: int | None = None) -> np.ndarray:
    """Run ``func`` over chunks of ``tasks`` in forked workers; rows in task order."""
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    from serlib import extract, warmup

    global _BABBLE
    _BABBLE = babble
    from serlib import channels  # noqa: F401 - imported here, so forked workers inherit it

    # numba's disk cache filled serially before any worker starts; this also computes the
    # "stats" features once, so forked workers inherit librosa and the filter banks warm
    warmup.warm_up()
    jobs = jobs or extract.default_jobs()
    chunks = [tasks[i:i + 16] for i in range(0, len(tasks), 16)]
    rows: dict[int, np.ndarray] = {}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), desc=progress, unit="clip")
    try:
        if jobs == 1:
            for chunk in chunks:
                rows.update(func(chunk))
                if bar is not None:
                    bar.update(len(chunk))
        else:
            with ProcessPoolExecutor(jobs, mp_context=extract._mp_context(),
                                     initializer=extract._init_worker) as pool:
                futures = [pool.submit(func, chunk) for chunk in chunks]
                try:
                    for fut in as_completed(futures):
                        done = fut.result()
                        rows.update(done)
                        if bar is not None:
                            bar.update(len(done))
                except BrokenProcessPool as err:
                    raise extract.broken_pool_error(jobs, resumes=False) from err
    finally:
        if bar is not None:
            bar.close()
        _BABBLE = None
    return np.stack([rows[t[0]] for t in tasks]).astype(np.float32)


def _cache_path(name: str, parts) -> Path:
    from serlib import channels, features
    from serlib.config import cache_dir

    h = hashlib.blake2b(digest_size=10)
    for p in parts:
        h.update(repr(p).encode())
    h.update(str(features.FEATURE_VERSION).encode())
    h.update(Path(channels.__file__).read_bytes())
    folder = cache_dir() / "robust"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}-{h.hexdigest()}.npy"


def _digest(array) -> str | None:
    """A short hash of ``array`` (the babble noise), so a cache never serves features made
    with another noise."""
    if array is None:
        return None
    return hashlib.blake2b(np.ascontiguousarray(array).tobytes(), digest_size=8).hexdigest()


def _speech_digest() -> str:
    """A short hash of the speech test's code (``serlib/speech.py``): features of a trimmed
    recording depend on where :func:`serlib.speech.speech_part` cuts, so a cache of them
    never outlives a change of it."""
    from serlib import speech

    return hashlib.blake2b(Path(speech.__file__).read_bytes(), digest_size=8).hexdigest()


def _cached(name: str, parts, compute) -> np.ndarray:
    path = _cache_path(name, parts)
    if path.is_file():
        return np.load(path)
    X = compute()
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, X)
    tmp.replace(path)
    return X


def babble_for(table, seconds: float = 60.0, *, seed: int = 0, talkers: int = 6) -> np.ndarray:
    """A babble noise made of clips in ``table`` (the caller picks clips of speakers other
    than the ones it will be mixed with)."""
    from serlib import audio, channels

    rng = np.random.default_rng(seed)
    paths = table["path"].to_numpy()
    pick = rng.choice(len(paths), size=min(len(paths), 60), replace=False)
    clips = [audio.load(paths[i], sr=SAMPLE_RATE) for i in sorted(pick)]
    return channels.make_babble(clips, seconds, seed=seed, talkers=talkers)


def channel_features(table, sessions, copy: int, *, seed: int = 0, babble=None,
                     progress: bool = False) -> np.ndarray:
    """``stats`` vectors of every clip in ``table`` through its pseudo-session's channel
    number ``copy`` (cached). Notebook: 10_live_demo.ipynb"""
    sessions = np.asarray(sessions).astype(str)
    names = sorted(set(sessions.tolist()))
    seeds = {s: int.from_bytes(hashlib.blake2b(f"{seed}/{copy}/{s}".encode(), digest_size=4)
                               .digest(), "little") for s in names}
    order = np.argsort(sessions, kind="stable")  # one channel per worker chunk, mostly
    tasks = [(int(i), str(table["path"].iloc[i]), seeds[sessions[i]]) for i in order]
    parts = ("channel", copy, seed, [(t[1], t[2]) for t in tasks], _digest(babble))
    X = _cached("channel", parts, lambda: _run_pool(_channel_work, tasks, babble,
                                                     f"channel copy {copy + 1}" if progress else None))
    out = np.empty_like(X)
    out[order] = X
    return out


def degraded_features(table, condition: str, *, seed: int = 0, babble=None,
                      progress: bool = False) -> np.ndarray:
    """``stats`` vectors of every clip in ``table`` through the fixed test ``condition``
    of :data:`serlib.channels.CONDITIONS` (cached). ``window-7s`` recordings are trimmed
    to their speech as the demo does. Notebook: 10_live_demo.ipynb"""
    trim = condition.startswith("window")
    tasks = [(i, str(p), condition, seed * 100_003 + i, trim) for i, p in enumerate(table["path"])]
    parts = ("degraded", condition, seed, [t[1] for t in tasks], _digest(babble),
             _speech_digest() if trim else None)
    return _cached(f"degraded-{condition}", parts,
                   lambda: _run_pool(_degrade_work, tasks, babble,
                                     condition if progress else None))


def corpus_features(table, *, copies: int = COPIES, seed: int = 0, babble=None,
                    progress: bool = False) -> dict:
    """Clean and channel-augmented features of every clip in ``table``.

    Returns ``{"clean": X, "augmented": [X_copy0, ...], "sessions": [names_copy0, ...]}``;
    row ``i`` of each matrix is clip ``i`` of ``table``.

    Notebook: 10_live_demo.ipynb
    """
    from serlib.extract import extract

    clean = np.asarray(extract(table, kind="stats", progress=progress), dtype=np.float32)
    augmented, sessions = [], []
    for c in range(copies):
        names = pseudo_sessions(table["speaker"].astype(str) + "@" + table["corpus"].astype(str),
                                seed=seed + c)
        names = np.char.add(names.astype(str), f"#{c}")
        augmented.append(channel_features(table, names, c, seed=seed, babble=babble,
                                          progress=progress))
        sessions.append(names)
    return {"clean": clean, "augmented": augmented, "sessions": sessions}


def training_rows(table, feats: dict, rows=None):
    """``(X, y, groups)`` stacking the clean rows (grouped by speaker) and every augmented
    copy (grouped by pseudo-session) of the clips ``rows`` of ``table``."""
    rows = np.arange(len(table)) if rows is None else np.asarray(rows)
    speakers = (table["speaker"].astype(str) + "@" + table["corpus"].astype(str)).to_numpy()
    X = [feats["clean"][rows]] + [A[rows] for A in feats["augmented"]]
    groups = [speakers[rows]] + [s[rows] for s in feats["sessions"]]
    y = np.tile(table["emotion"].to_numpy()[rows], len(X))
    return np.vstack(X).astype(np.float64), y, np.concatenate(groups)


def fit_robust(X, y, groups, *, seed: int = 0, adapt: bool = True, select: bool = True,
               mlp_params: dict | None = None):
    """Train the scaler + MLP on speaker-normalised rows; returns ``(model, prior)``.

    With ``adapt`` the rows are z-normalised per group (:mod:`serlib.adaptation`): once
    with the group's full statistics and once with 0-8 simulated takes; ``prior`` is the
    :class:`~serlib.adaptation.SpeakerPrior` to store with the model. Without it the raw
    rows are used and ``prior`` is ``None``.

    With ``select`` the L2 penalty is chosen among :data:`ALPHAS` by the registry's grid
    search on the clean rows only (groups without ``/``), in inner folds grouped by
    speaker - the training speakers alone choose it; then the MLP is fitted on all rows.

    Notebook: 10_live_demo.ipynb
    """
    from serlib import adaptation
    from serlib.models import classical

    y = np.asarray(y)
    groups = np.asarray(groups).astype(str)
    speakers = np.array([g.split("/")[0] for g in groups])
    params = {**MLP_PARAMS, **(mlp_params or {})}
    prior = adaptation.SpeakerPrior.fit(X, groups) if adapt else None
    full = adaptation.normalize_groups(X, groups, prior) if adapt else np.asarray(X, float)
    info = {}
    if select and "alpha" not in (mlp_params or {}):
        clean = np.array(["/" not in g for g in groups])
        search = classical.mlp(random_state=seed, grid={"clf__alpha": list(ALPHAS)},
                               **{k: v for k, v in params.items() if k != "alpha"})
        search.fit(full[clean], y[clean], groups=speakers[clean])
        params["alpha"] = search.best_params_["clf__alpha"]
        info = {"alpha": params["alpha"], "inner_uar": round(float(search.best_score_), 4)}
    if adapt:
        rng = np.random.default_rng(seed)
        Z = np.vstack([full, adaptation.simulate_adaptation(X, groups, prior,
                                                            takes=SIMULATED_TAKES, rng=rng)])
        y, speakers = np.concatenate([y, y]), np.concatenate([speakers, speakers])
    else:
        Z = full
    model = classical.mlp(random_state=seed, grid=None, **params)
    t0 = time.perf_counter()
    model.fit(Z, y, groups=speakers)
    model.selection_ = {**info, "fit_seconds": round(time.perf_counter() - t0, 1),
                        "rows": int(len(Z))}
    return model, prior


#: Speaker-grouped folds of the training speakers whose out-of-fold verdicts fit the
#: temperature (:func:`fit_calibration`).
CALIBRATION_FOLDS = 3
#: The numbers of adaptation takes those verdicts are judged with, pooled: a session's
#: first, unadapted verdict and its adapted ones (both are shown, with one temperature).
CALIBRATION_TAKES = (0, 1, 3, 8)


def judge_takes(model, prior, X, groups, *, takes=None, seed: int = 0) -> dict[int, np.ndarray]:
    """Probabilities of every row of ``X`` (raw features) for each number of adaptation
    ``takes`` (default :data:`BENCHMARK_TAKES`): ``0`` the population's statistics, ``n``
    ``n`` *other* rows of the row's group drawn at random (never the judged row,
    :func:`serlib.adaptation.normalize_with_takes`, seed ``seed + n``), ``-1`` all rows of
    the group in hindsight (as ``Session.rescore``). A model without a ``prior`` is judged
    on raw rows, for ``0`` takes only. Uncalibrated: the network's own probabilities.

    Notebook: 10_live_demo.ipynb
    """
    from serlib import adaptation

    out = {}
    for n in (BENCHMARK_TAKES if takes is None else takes):
        if prior is None:
            if n:
                continue
            Z = X
        elif n < 0:
            Z = adaptation.normalize_groups(X, groups, prior)
        else:
            Z = adaptation.normalize_with_takes(X, groups, prior, n, rng=seed + n)
        out[n] = np.asarray(model.predict_proba(Z))
    return out


def _columns(model, labels) -> np.ndarray:
    """Column of each of ``labels`` in ``model.classes_`` (a label the model lacks: -1)."""
    classes = [str(c) for c in model.classes_]
    return np.array([classes.index(e) if e in classes else -1 for e in labels])


def out_of_fold_proba(table, feats: dict, rows=None, *, alpha: float, seed: int = 0,
                      folds: int = CALIBRATION_FOLDS, takes=CALIBRATION_TAKES):
    """Out-of-fold probabilities of the training clips ``rows`` of ``table``: their
    speakers are dealt into ``folds`` speaker-grouped folds (gender-balanced,
    :func:`serlib.datasets.table.assign_speaker_folds`); the recipe (with the L2
    penalty ``alpha`` already chosen on these speakers) is fitted on the other folds and
    judges the held-out speakers' clips - clean (grouped by speaker) and through every
    channel copy (grouped by pseudo-session, the takes from the same channel) - with each
    number of adaptation ``takes``.

    Returns ``(P, y, takes_of_row, speaker_of_row)``: probabilities (columns: the emotions
    of ``table`` in :data:`serlib.datasets.vocabulary.EMOTIONS` order), true emotion names,
    the number of takes each row was judged with, and its speaker (``speaker@corpus``).
    Notebook: 09_claims.ipynb
    """
    from serlib.datasets.vocabulary import EMOTIONS
    from serlib.datasets.table import assign_speaker_folds

    rows = np.arange(len(table)) if rows is None else np.asarray(rows)
    speakers = (table["speaker"].astype(str) + "@" + table["corpus"].astype(str)).to_numpy()
    genders = table["gender"].astype(str).to_numpy() if "gender" in table else None
    labels = [e for e in EMOTIONS if e in set(table["emotion"].iloc[rows])]
    emotion = table["emotion"].to_numpy()
    fold_of = assign_speaker_folds(speakers[rows], None if genders is None
                                          else genders[rows], k=folds, seed=seed)
    fold = np.array([fold_of[s] for s in speakers[rows]])
    copies = [(feats["clean"], speakers)] + list(zip(feats["augmented"], feats["sessions"]))
    P, y, t, who = [], [], [], []
    for f in range(folds):
        train, held = rows[fold != f], rows[fold == f]
        Xtr, ytr, gtr = training_rows(table, feats, train)
        model, prior = fit_robust(Xtr, ytr, gtr, seed=seed, select=False,
                                  mlp_params={"alpha": alpha})
        cols = _columns(model, labels)
        for c, (X, groups) in enumerate(copies):
            judged = judge_takes(model, prior, X[held].astype(np.float64), groups[held],
                                 takes=takes, seed=seed + 1000 * f + 100 * c)
            for n, Q in judged.items():
                full = np.where(cols >= 0, Q[:, np.maximum(cols, 0)], 0.0)
                P.append(full / full.sum(axis=1, keepdims=True))
                y.append(emotion[held])
                t.append(np.full(len(held), n))
                who.append(speakers[held])
    return np.vstack(P), np.concatenate(y), np.concatenate(t), np.concatenate(who)


def fit_calibration(table, feats: dict, rows=None, *, alpha: float, seed: int = 0,
                    folds: int = CALIBRATION_FOLDS, takes=CALIBRATION_TAKES) -> dict:
    """The temperature of the recipe, fitted on training speakers only: temperature
    scaling (:func:`serlib.calibration.fit_temperature`) of the out-of-fold verdicts of
    :func:`out_of_fold_proba`, all numbers of takes pooled, **every training speaker
    weighted equally** (a row weighs ``1 / rows of its speaker``): one voice, one vote, as
    the demo meets one student at a time - pooled clip by clip, a corpus with hundreds of
    clips per speaker (TESS: 2 speakers, 61 % of the demo's clips) would set the
    temperature for every voice. Returns the sidecar's
    ``"calibration"`` entry: ``temperature``, how it was fitted, and the out-of-fold ECE
    and NLL before and after (training speakers; the unseen speakers' figures come from
    ``scripts/benchmark_calibration.py``), plus the temperature each number of takes alone
    would get (for information; one temperature is used).

    Guo et al. (2017), On Calibration of Modern Neural Networks, ICML.
    Notebook: 09_claims.ipynb
    """
    from serlib import calibration as cal
    from serlib.datasets.vocabulary import EMOTIONS

    t0 = time.perf_counter()
    rows = np.arange(len(table)) if rows is None else np.asarray(rows)
    labels = [e for e in EMOTIONS if e in set(table["emotion"].iloc[rows])]
    P, y, n, who = out_of_fold_proba(table, feats, rows, alpha=alpha, seed=seed, folds=folds,
                                     takes=takes)
    _, inverse, counts = np.unique(who, return_inverse=True, return_counts=True)
    weight = 1.0 / counts[inverse]
    T = cal.fit_temperature(P, y, classes=labels, sample_weight=weight)
    after = cal.apply_temperature(P, T)
    idx = np.array([labels.index(e) for e in y])
    nll = (lambda Q: float(-np.log(np.clip(Q[np.arange(len(y)), idx], 1e-12, None)).mean()))
    return {
        "temperature": round(T, 4),
        "method": "temperature scaling (Guo et al. 2017): one T minimising the negative "
                  "log-likelihood of out-of-fold verdicts on the training speakers, every "
                  "speaker weighted equally",
        "fitted_on": f"{folds} speaker-grouped folds of the training speakers; each fold's "
                     "clips (clean and through every channel copy) judged by the recipe "
                     f"fitted on the other folds, with {', '.join(map(str, takes))} "
                     "adaptation takes, pooled",
        "rows": int(len(y)),
        "oof_ece_before": round(cal.expected_calibration_error(P, y, classes=labels), 4),
        "oof_ece_after": round(cal.expected_calibration_error(after, y, classes=labels), 4),
        "oof_nll_before": round(nll(P), 4), "oof_nll_after": round(nll(after), 4),
        "temperature_by_takes": {str(k): round(cal.fit_temperature(
            P[n == k], y[n == k], classes=labels, sample_weight=weight[n == k]), 4)
            for k in takes},
        "temperature_unweighted": round(cal.fit_temperature(P, y, classes=labels), 4),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _json_ready(value):
    """Tuples → lists, recursively (for a model card)."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_json_ready(v) for v in value]
    return value


def benchmark_figures(folder=None) -> dict:
    """The new-voice benchmark's headline figures (``results/new_voice/*.json``), for the
    model card: per row, accuracy / UAR / macro F1 of the robust recipe on every channel
    for 0, 1, 3 and 8 takes. Empty when the benchmark has not been run."""
    import json

    from serlib.config import PACKAGE_DIR

    folder = Path(folder) if folder else PACKAGE_DIR.parent / "results" / "new_voice"
    out = {}
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = json.loads(path.read_text())
        out[data["row"]] = {"protocol": data.get("protocol"), "labels": data.get("labels"),
                            "n_clips": data.get("n_clips"), "command": data.get("command"),
                            "scores": data["scores"].get("robust", {})}
    return out


def train_shipped(data_root=None, *, corpora=None, emotions=DEMO_EMOTIONS, copies: int = COPIES,
                  seed: int = 0, out=None, progress: bool = False):
    """Train the demo's model on every corpus in ``data_root`` that has ``emotions`` and
    save it (``.skops`` + sidecar with the speaker prior + portable ``.npz``).

    The recipe of this module: each clip clean and through ``copies`` random session
    channels, speaker-normalised rows (full statistics and simulated takes), the L2
    penalty chosen on speaker-grouped folds of the training clips; then a temperature
    fitted on out-of-fold verdicts of the training speakers (:func:`fit_calibration`)
    goes into the sidecar's ``"calibration"`` entry, which :mod:`serlib.predict` and the
    demo apply to every verdict. Returns ``(path, metadata)``.

    Notebook: 10_live_demo.ipynb
    """
    import pandas as pd

    from serlib import channels
    from serlib.config import default_model_path
    from serlib.datasets import available_corpora, load_corpus, name_list
    from serlib.models import io, portable

    t0 = time.perf_counter()
    names = name_list(corpora) if corpora else available_corpora(data_root)
    tables = []
    for name in names:
        t = load_corpus(name, data_root)
        t = t[t["emotion"].isin(emotions)]
        if len(t):
            tables.append(t)
    if not tables:
        from serlib.errors import DatasetError

        raise DatasetError(f"no clips of {', '.join(emotions)} in {', '.join(names) or 'no corpus'}"
                        " - download a corpus first (serlib datasets download --help)")
    table = pd.concat(tables, ignore_index=True)
    babble = babble_for(table, seed=seed)
    feats = corpus_features(table, copies=copies, seed=seed, babble=babble, progress=progress)
    X, y, groups = training_rows(table, feats)
    if progress:
        print(f"training on {len(X)} rows ({len(table)} clips, {copies} channel copies) ...",
              flush=True)
    model, prior = fit_robust(X, y, groups, seed=seed)
    model.feature_kind = "stats"
    if progress:
        print(f"calibrating: {CALIBRATION_FOLDS} speaker-grouped folds of the training "
              "speakers ...", flush=True)
    calibration = fit_calibration(table, feats, alpha=model.selection_["alpha"], seed=seed)
    used = sorted(set(table["corpus"]))
    path = Path(out) if out else default_model_path()
    data = {"corpora": used, "n_clips": int(len(table)),
            "n_speakers": int((table["speaker"].astype(str) + "@" + table["corpus"]).nunique()),
            "clips_per_emotion": {e: int(n) for e, n in table["emotion"].value_counts().items()},
            "inner_cv_score_uar": model.selection_.get("inner_uar"),
            "seconds": round(time.perf_counter() - t0, 1)}
    recipe = {
        "name": "robust",
        "emotions_why": "neutral, happy, sad and angry: present in every corpus serlib reads, "
                        "one per quadrant of arousal and valence, easy to act and to picture; "
                        "calm, fearful, disgust and surprised are the emotions models and "
                        "listeners confuse most across corpora",
        "augmentation": {"copies_per_clip": copies, "session_size": SESSION_SIZE,
                         "library": "audiomentations (noise, reverberation by convolution, EQ, "
                                    "gain, band-pass; MP3 through fast-mp3-augment)",
                         "session_draw": _json_ready(channels.SESSION_DRAW)},
        "speaker_normalisation": "z-normalised per speaker (per pseudo-session for augmented "
                                 "rows) with statistics shrunk towards the training "
                                 "population's; half the rows with 0, 1, 3, 8 or all takes",
        "mlp": {**MLP_PARAMS, "alpha": model.selection_.get("alpha")},
        "selection": model.selection_,
    }
    command = (f"serlib train --recipe robust" + (f" --train {','.join(names)}" if corpora else "")
               + (f" --seed {seed}" if seed else "") + " --data-root DATA_ROOT")
    io.save(model, path, name="robust-mlp", command=command, training_data=data,
            extra={"recipe": recipe, "speaker_adaptation": prior.to_dict(),
                   "calibration": calibration,
                   "new_voice_benchmark": benchmark_figures()})
    if portable.exportable(model):
        io.record_portable(path, portable.export(model, path.with_suffix(portable.SUFFIX)))
    return path, io.read_metadata(path)


#: The numbers of adaptation takes the benchmark reports; ``-1``: every clip of the test
#: speaker, the judged one included - what :meth:`serlib.demo.Session.rescore` does with a
#: finished session (hindsight, so never a live verdict).
BENCHMARK_TAKES = (0, 1, 3, 8, -1)


def takes_label(n: int) -> str:
    """The column name of ``n`` adaptation takes in :func:`new_voice_table`."""
    if n < 0:
        return "all (rescored)"
    return "no adaptation" if n == 0 else f"{n} take{'s' if n > 1 else ''}"


def new_voice_table(results, *, metric: str = "accuracy"):
    """The new-voice benchmark as a table: one line per row, channel and recipe, one column
    per number of adaptation takes (:func:`takes_label`; ``metric``: ``accuracy``, ``uar``
    or ``f1``, in %; NaN where a result has no such column, e.g. saved before it existed).

    ``results`` is a list of the benchmark's ``results/new_voice/<row>.json`` contents
    (or a folder holding them). Notebook: 10_live_demo.ipynb
    """
    import json

    import pandas as pd

    if isinstance(results, (str, Path)):
        results = [json.loads(p.read_text()) for p in sorted(Path(results).glob("*.json"))]
    lines = []
    for r in results:
        for recipe, by_channel in r["scores"].items():
            for channel, by_n in by_channel.items():
                line = {"row": r["row"], "channel": channel, "recipe": recipe}
                for n in BENCHMARK_TAKES:
                    line[takes_label(n)] = (by_n[str(n)][metric] if str(n) in by_n
                                            else float("nan"))
                lines.append(line)
    return pd.DataFrame(lines)
