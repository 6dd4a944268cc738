"""``serlib predict FILE...``: the emotion of each clip, with the shipped model or ``--model``.

Imports only scikit-learn and the feature code (never TensorFlow for a scikit-learn
model), so a cold start stays within a few seconds.

A file with no speech in it (silence, very quiet noise, a steady hum) is not judged:
it gets "no speech heard (level ... dBFS) ..." (``"emotion": null`` and the reason with
``--json``), from the same test the live demo uses (:func:`serlib.speech.check_speech`).
A file cut off in the middle, or with samples beyond full scale, is judged with a warning.

``--speaker-norm`` judges the files as takes of one speaker (a folder of one person's
clips): every file's features are z-normalised with the statistics of all the given files
in which speech was heard, shrunk towards the training population's
(:mod:`serlib.adaptation`), as the live demo does with a student's takes. Silent files
never enter those statistics. It needs a model trained with speaker normalisation.

Exit status: 0 when at least one file was judged and every file could be read;
1 when no file had speech to judge; 2 when a file could not be read (or the model, or
``--speaker-norm`` was given for a model trained without speaker normalisation).

Notebook: 06_mlp_grid_search.ipynb
"""
from __future__ import annotations

#: Exit statuses of ``serlib predict``, as ``--help`` lists them.
EXIT_OK, EXIT_NO_SPEECH, EXIT_UNREADABLE = 0, 1, 2


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "predict", help="predict the emotion of audio files",
        description="Predict the emotion of each audio file (WAV, FLAC, OGG; any rate; mono or "
                    "stereo). Files with no speech in them (silence, faint noise, a steady hum) "
                    "are not judged: they get 'no speech heard' and the measured level.",
        epilog=f"exit status: {EXIT_OK} when files were judged; {EXIT_NO_SPEECH} when no file had "
               f"speech to judge; {EXIT_UNREADABLE} when a file (or the model) could not be "
               "read, or --speaker-norm was given for a model trained without speaker "
               "normalisation.")
    add_arguments(p)
    p.set_defaults(func=run)


def add_arguments(p) -> None:
    """Every option of ``serlib predict``, in one place."""
    p.add_argument("files", nargs="+", metavar="FILE", help="audio files")
    p.add_argument("--model", default=None, metavar="PATH",
                   help="a model saved by `serlib train` (default: the shipped model in models/)")
    p.add_argument("--json", action="store_true",
                   help='one JSON object per line: {"file", "emotion", "probabilities"}, plus '
                        '"warnings" when a file was cut off or beyond full scale, "status", '
                        '"reason" and the levels when no speech was heard ("emotion": null), '
                        'and "adapt_takes" (how many files the speaker statistics used; 0: the '
                        'training population\'s) for a model trained with speaker normalisation')
    p.add_argument("--speaker-norm", action="store_true",
                   help="treat all FILEs as one speaker (e.g. a folder of one person's clips): "
                        "each file is judged with its features z-normalised by the statistics "
                        "of all the files in which speech was heard (no labels needed; silent "
                        "files never enter them), shrunk towards the training population's. "
                        "More files adapt better; one file adapts little. Needs a model trained "
                        "with speaker normalisation (`serlib train --recipe robust`)")


def _show(pred, path, as_json: bool) -> None:
    """Print one file's answer: JSON line, or a line for people (warnings on stderr)."""
    import json
    import sys

    if as_json:
        print(json.dumps(pred.to_dict()), flush=True)
        return
    for note in pred.warnings:
        print(f"serlib predict: warning: {note}", file=sys.stderr, flush=True)
    if pred.heard:
        top = ", ".join(f"{e} {p:.2f}" for e, p in pred.top(3))
        print(f"{path}: {pred.emotion}  ({top})", flush=True)
    else:
        print(f"{path}: {pred.reason}", flush=True)


def _check_model_option(model: str | None) -> None:
    """Catch an audio file given as ``--model`` with advice in command-line terms."""
    from pathlib import Path

    from serlib.cli import CommandError
    from serlib.models.io import audio_given_as_model

    if model is None or not Path(model).is_file():
        return
    kind = audio_given_as_model(model)
    if kind is not None:
        raise CommandError(f"--model {model}: this is an audio file ({kind}), not a model. Put the "
                           f"audio files after `serlib predict` (`serlib predict {model}` uses the "
                           "shipped model) and give --model a .skops file written by "
                           "`serlib train --out`.")


def _check_speaker_prior(model, option: str | None) -> None:
    """``--speaker-norm`` needs a model trained on speaker-normalised features."""
    from serlib.adaptation import prior_of
    from serlib.cli import CommandError

    if prior_of(model) is None:
        which = f"the model {option}" if option else "the shipped model"
        raise CommandError(f"--speaker-norm: {which} was trained without speaker normalisation, "
                           "so it cannot use a speaker's statistics. Retrain it with "
                           "`serlib train --recipe robust` (and give it with --model), or drop "
                           "--speaker-norm.")


def _read_speaker(model, files):
    """Pass 1 of ``--speaker-norm``: ``(loaded, takes, failed)`` - every readable file as
    ``(path, signal, notes)``, the raw feature rows of the files with speech in them
    (``None`` when there are none), and how many files could not be read."""
    import sys

    import numpy as np

    from serlib.audio import load_with_notes
    from serlib.errors import AudioError
    from serlib.predict import features_for
    from serlib.speech import check_speech

    loaded, rows, failed = [], [], 0
    for path in files:
        try:
            y, notes = load_with_notes(path)
            heard = check_speech(y).heard  # a silent file never enters the statistics
            X = features_for(model, y) if heard else None
        except AudioError as exc:
            failed += 1
            print(f"serlib predict: {exc}", file=sys.stderr)
            continue
        loaded.append((path, y, notes))
        if X is not None:
            rows.append(X)
    takes = np.vstack(rows) if rows else None
    if takes is not None:
        note = (" - one take adapts little (its statistics are mostly the training "
                "population's); give several files of the same speaker" if len(takes) == 1
                else "")
        print(f"serlib predict: --speaker-norm: the files are judged as one speaker, with the "
              f"statistics of the {len(takes)} file{'s' * (len(takes) != 1)} in which speech "
              f"was heard{note}", file=sys.stderr, flush=True)
    return loaded, takes, failed


def _judged(model, files, speaker_norm: bool, counts: dict):
    """``(path, Prediction)`` for every file that could be read, as it is judged; a file
    that could not be read is reported on stderr and counted in ``counts["failed"]``."""
    import sys
    import warnings

    from serlib.errors import AudioError, AudioWarning
    from serlib.predict import predict_file, predict_signal

    if speaker_norm:
        loaded, takes, counts["failed"] = _read_speaker(model, files)
    else:
        loaded, takes = [(path, None, []) for path in files], None
    for path, y, notes in loaded:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", AudioWarning)  # shown by _show, in our words
                if y is None:
                    pred = predict_file(model, path)
                else:
                    pred = predict_signal(model, y, takes=takes)
                    pred.file, pred.warnings[:0] = str(path), notes
        except AudioError as exc:
            counts["failed"] += 1
            print(f"serlib predict: {exc}", file=sys.stderr)
            continue
        yield path, pred


def run(args) -> int:
    from serlib.speech import preload_detector

    preload_detector()  # the voice-activity detector loads while the model does
    from serlib.predict import load_model

    _check_model_option(args.model)
    model = load_model(args.model)
    if args.speaker_norm:
        _check_speaker_prior(model, args.model)
    counts, judged = {"failed": 0}, 0
    for path, pred in _judged(model, args.files, args.speaker_norm, counts):
        judged += pred.heard
        _show(pred, path, args.json)
    if counts["failed"]:
        return EXIT_UNREADABLE
    return EXIT_OK if judged else EXIT_NO_SPEECH
