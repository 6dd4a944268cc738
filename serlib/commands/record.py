"""``serlib record``: record once from the microphone and print the emotion heard.

For terminals, and for checking a classroom's microphone before the lesson::

    serlib record --seconds 7                 # countdown, then the verdict
    serlib record --list-devices              # which microphones PortAudio sees
    serlib record --device "USB" --json --save check.wav
    serlib record --session ~/takes/anna      # adapted to Anna's earlier takes, then kept

``--json`` prints the same object as ``serlib predict --json``:
``{"file", "emotion", "probabilities"}`` where ``file`` is the saved WAV (``--save``
or ``--session``) or null. A recording too quiet to judge prints "we heard nothing"
(``emotion`` null) and exits with status 1.

``--session DIR`` treats DIR as one speaker's takes (a folder of that student's earlier
WAVs, or a session folder of ``serlib demo``): the new take is judged adapted to the
takes in DIR in which speech is heard (see :mod:`serlib.demo.session`),
and then saved into DIR, so every call adapts a little more. The JSON then also holds
``adapt_takes`` (how many takes the statistics used) and ``emotion_unadapted`` (the
verdict without adaptation). A take in which nothing was heard is not saved into DIR.

Notebook: 10_live_demo.ipynb
"""
from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "record", help="record from the microphone and predict the emotion",
        description="Record once from this machine's microphone (through PortAudio) and print "
                    "the emotion heard. With --session DIR the take is judged adapted to the "
                    "speaker's earlier takes in DIR and then saved there, so repeated calls "
                    "adapt more and more.")
    p.add_argument("--seconds", type=float, default=7.0, help="recording length (default 7)")
    p.add_argument("--device", default=None, metavar="NAME",
                   help="input device: part of its name or its number (see --list-devices)")
    p.add_argument("--model", default=None, metavar="PATH",
                   help="a model saved by `serlib train` (default: the shipped model in models/)")
    p.add_argument("--save", default=None, metavar="WAV", help="also save the recording here")
    p.add_argument("--session", default=None, metavar="DIR",
                   help="one speaker's folder of takes (earlier WAVs of the same person, or a "
                        "serlib demo session folder; created if missing): judge the new take "
                        "adapted to that voice - z-normalised with the statistics of the takes "
                        "in DIR in which speech is heard, plus this one, shrunk towards the "
                        "training population's while there are few - then save it into DIR "
                        "as take-001.wav, take-002.wav, ... A take in which nothing is heard "
                        "is neither used nor saved. Needs a model trained with speaker "
                        "normalisation (without one, the take is judged as usual and still "
                        "saved)")
    p.add_argument("--json", action="store_true",
                   help='print {"file", "emotion", "probabilities"} as JSON (like serlib predict)')
    p.add_argument("--list-devices", action="store_true", help="list input devices and exit")
    p.set_defaults(func=run)


def _device(value):
    return int(value) if value is not None and value.isdigit() else value


#: The recorder's advice is worded for Python; on the command line the same advice
#: names the options (Python wording -> command-line wording).
_CLI_WORDING = {
    "Pick one of them with device=... (serlib record --device NAME).":
        "Pick one of them with --device NAME (part of its name) or --device NUMBER; "
        "`serlib record --list-devices` lists them.",
    "(sounddevice.query_devices() lists them)": "(`serlib record --list-devices` lists them)",
    "restart the kernel (or the command)": "run the command again",
    "or use the browser microphone (remote kernels) or the file recorder.":
        "or judge a recorded file with `serlib predict FILE.wav`.",
}


def _in_cli_terms(message: str) -> str:
    """A recorder's message with its Python advice (``device=...``) in command-line terms."""
    for python, cli in _CLI_WORDING.items():
        message = message.replace(python, cli)
    return message


def run(args) -> int:
    import json
    import sys

    from serlib.cli import CommandError
    from serlib.demo.recorders import KernelMicrophone, import_sounddevice
    from serlib.demo.session import NOTHING_HEARD, analyse

    if args.list_devices:
        sd = import_sounddevice()
        inputs = [(i, d) for i, d in enumerate(sd.query_devices()) if d["max_input_channels"] > 0]
        if not inputs:
            print("No input devices: PortAudio finds no microphone on this machine.")
            return 1
        for i, d in inputs:
            print(f"{i:3d}  {d['name']}  ({d['max_input_channels']} in, "
                  f"{d['default_samplerate']:.0f} Hz)")
        return 0
    if not 0 < args.seconds <= 120:
        raise CommandError(f"--seconds {args.seconds}: give a length between 0 and 120 seconds")

    from serlib.predict import load_model

    model = load_model(args.model)
    session = _session_folder(args.session) if args.session else None
    mic = KernelMicrophone(_device(args.device))
    reason = mic.why_unavailable()
    if reason:
        raise CommandError(_in_cli_terms(reason))
    show = sys.stderr.isatty()
    last = [None]

    def progress(elapsed, total):
        left = int(total - elapsed + 0.999)
        if show and left != last[0]:
            last[0] = left
            print(f"\rrecording from {mic.describe()}: {left:2d} s left ", end="", file=sys.stderr,
                  flush=True)

    print(f"Speak now ({args.seconds:g} s)...", file=sys.stderr, flush=True)
    y = mic.record(args.seconds, progress=progress)
    if show:
        print(file=sys.stderr)
    path = None
    if args.save:
        from serlib.audio import save

        path = str(save(args.save, y))
    unadapted = None
    if session is not None:
        pred, unadapted, level, contrast, speech, saved, found = _judge_in_session(model, y, session)
        path = saved or path
    else:
        judgement = analyse(model, y)
        pred, level, contrast, found = (judgement.prediction, judgement.level_dbfs,
                                        judgement.contrast_db, judgement.check.found)
    result = {"file": path, "emotion": pred.emotion if pred else None,
              "probabilities": {k: round(float(v), 4) for k, v in pred.probabilities.items()}
              if pred else {}}
    if pred is not None and unadapted is not None and pred.adapt_takes is not None:
        result.update(adapt_takes=pred.adapt_takes, emotion_unadapted=unadapted.emotion)
    if args.json:
        print(json.dumps(result), flush=True)
    elif pred:
        top = ", ".join(f"{e} {p:.2f}" for e, p in pred.top(3))
        print(f"{path or 'recording'}: {pred.emotion}  ({top})", flush=True)
        if unadapted is not None and pred.adapt_takes is not None:
            n = pred.adapt_takes
            if n:
                print(f"  adapted to this voice from {n} earlier take{'s' if n != 1 else ''}; "
                      f"without adaptation: {unadapted.emotion}", flush=True)
            else:
                print("  the first take of this voice: judged against the training voices; "
                      "the next takes are judged against this one too", flush=True)
    if pred is None:
        print(f"serlib record: {NOTHING_HEARD} ({found}; loudest level {level:.0f} dBFS, "
              f"{contrast:.0f} dB between loud and quiet moments): check that the microphone is on "
              "and not muted, and speak closer to it.", file=sys.stderr)
        return 1
    return 0


def _session_folder(value: str):
    """``--session DIR`` as a folder (created when missing); a file is refused."""
    from pathlib import Path

    from serlib.cli import CommandError

    folder = Path(value).expanduser()
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"--session {value}: this is a file, not a folder. Give the folder "
                           "that holds (or will hold) one speaker's takes.")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _judge_in_session(model, y, folder):
    """Judge ``y`` adapted to the takes in ``folder``, then save it there.

    Returns ``(adapted or plain prediction or None, plain prediction, level, contrast,
    speech seconds, saved path or None, what the speech test heard)``. Only takes in which
    speech is heard enter the statistics (the folder's WAVs are checked as the new take is);
    a new take in which nothing was heard is not saved.
    """
    import re
    import sys

    import numpy as np

    from serlib.adaptation import prior_of
    from serlib.audio import save
    from serlib.demo.session import hear, judge, speaker_takes

    check, X = hear(model, y)
    if X is None:
        return None, None, check.level_dbfs, check.contrast_db, check.speech_seconds, None, check.found
    plain = judge(model, X)
    pred = plain
    if prior_of(model) is None:
        print(f"serlib record: this model was trained without speaker normalisation, so "
              f"--session cannot adapt it to the voice; judged as usual, the take is still "
              f"saved in {folder}.", file=sys.stderr)
    else:
        earlier = speaker_takes(model, sorted(folder.glob("*.wav")))
        pred = judge(model, X, np.vstack(earlier) if len(earlier) else None)
    numbers = [int(m.group(1)) for p in folder.glob("take-*.wav")
               if (m := re.fullmatch(r"take-(\d+)\.wav", p.name))]
    path = folder / f"take-{max(numbers, default=0) + 1:03d}.wav"
    saved = str(save(path, y))
    return pred, plain, check.level_dbfs, check.contrast_db, check.speech_seconds, saved, check.found
