"""``serlib record``: record once from the microphone and print the emotion heard.

For terminals, and for checking a classroom's microphone before the lesson::

    serlib record --seconds 7                 # countdown, then the verdict
    serlib record --list-devices              # which microphones PortAudio sees
    serlib record --device "USB" --json --save check.wav

``--json`` prints the same object as ``serlib predict --json``:
``{"file", "emotion", "probabilities"}`` where ``file`` is the saved WAV (``--save``)
or null. A recording too quiet to judge prints "we heard nothing" (``emotion`` null)
and exits with status 1.

Notebook: 08_live_demo.ipynb
"""
from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser("record", help="record from the microphone and predict the emotion",
                              description="Record once from this machine's microphone (through "
                                          "PortAudio) and print the emotion heard.")
    p.add_argument("--seconds", type=float, default=7.0, help="recording length (default 7)")
    p.add_argument("--device", default=None, metavar="NAME",
                   help="input device: part of its name or its number (see --list-devices)")
    p.add_argument("--model", default=None, metavar="PATH",
                   help="a model saved by `serlib train` (default: the shipped model in models/)")
    p.add_argument("--save", default=None, metavar="WAV", help="also save the recording here")
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
    pred, level, contrast, speech = analyse(model, y)
    result = {"file": path, "emotion": pred.emotion if pred else None,
              "probabilities": {k: round(float(v), 4) for k, v in pred.probabilities.items()}
              if pred else {}}
    if args.json:
        print(json.dumps(result), flush=True)
    elif pred:
        top = ", ".join(f"{e} {p:.2f}" for e, p in pred.top(3))
        print(f"{path or 'recording'}: {pred.emotion}  ({top})", flush=True)
    if pred is None:
        print(f"serlib record: {NOTHING_HEARD} (loudest level {level:.0f} dBFS, {contrast:.0f} dB "
              "between loud and quiet moments): check that the microphone is on and not muted, "
              "and speak closer to it.", file=sys.stderr)
        return 1
    return 0
