"""``serlib predict FILE...``: the emotion of each clip, with the shipped model or ``--model``.

Imports only scikit-learn and the feature code (never TensorFlow for a scikit-learn
model), so a cold start stays within a few seconds.

A file with no speech in it (silence, very quiet noise, a steady hum) is not judged:
it gets "no speech heard (level ... dBFS) ..." (``"emotion": null`` and the reason with
``--json``), from the same test the live demo uses (:func:`serlib.speech.check_speech`).
A file cut off in the middle, or with samples beyond full scale, is judged with a warning.

Exit status: 0 when at least one file was judged and every file could be read;
1 when no file had speech to judge; 2 when a file could not be read (or the model).

Notebook: 05_mlp_grid_search.ipynb
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
               f"speech to judge; {EXIT_UNREADABLE} when a file (or the model) could not be read.")
    add_arguments(p)
    p.set_defaults(func=run)


def add_arguments(p) -> None:
    """Every option of ``serlib predict``, in one place."""
    p.add_argument("files", nargs="+", metavar="FILE", help="audio files")
    p.add_argument("--model", default=None, metavar="PATH",
                   help="a model saved by `serlib train` (default: the shipped model in models/)")
    p.add_argument("--json", action="store_true",
                   help='one JSON object per line: {"file", "emotion", "probabilities"}, plus '
                        '"warnings" when a file was cut off or beyond full scale, and "status", '
                        '"reason" and the levels when no speech was heard ("emotion": null)')


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


def run(args) -> int:
    import sys
    import warnings

    from serlib.errors import AudioError, AudioWarning
    from serlib.predict import load_model, predict_file

    _check_model_option(args.model)
    model = load_model(args.model)
    failed = judged = 0
    for path in args.files:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", AudioWarning)  # shown by _show, in our words
                pred = predict_file(model, path)
        except AudioError as exc:
            failed += 1
            print(f"serlib predict: {exc}", file=sys.stderr)
            continue
        judged += pred.heard
        _show(pred, path, args.json)
    if failed:
        return EXIT_UNREADABLE
    return EXIT_OK if judged else EXIT_NO_SPEECH
