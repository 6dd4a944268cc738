"""``serlib demo``: the image-prompt session as a web page, and the class report.

The page is the small notebook ``serlib/demo/app.ipynb`` served with Voilà (only its
output shows: large pictures, the countdown, the verdict, the final grid)::

    serlib demo                                # browser microphone, http://localhost:8866/
    serlib demo --recorder kernel --seconds 5  # this machine's microphone (PortAudio)
    serlib demo --images my_pictures/ --sessions class_3b/ --port 8900
    serlib demo report class_3b/ --out class_3b.png      # the class report
    serlib demo report uploads/ --json

Every visitor of the page gets their own kernel and their own session folder (in
``--sessions``, default ``$SERLIB_SESSIONS`` or the user's data folder); each take is
on disk before its verdict shows, so closing the page or stopping the server loses at
most the recording under way. The command never opens a browser by itself unless
``--open`` is given (a headless server has none); it prints the address to open.

Settings reach the page through a small JSON file named by ``$SERLIB_DEMO_SETTINGS``
(typed values, no quoting rules, and what the page ran with can be read back).

Notebook: 10_live_demo.ipynb
"""
from __future__ import annotations

from pathlib import Path

#: Voilà's own default port.
DEFAULT_PORT = 8866


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "demo", help="the live demo as a web page (projector, students); `demo report` for a class",
        description="Serve the image-prompt session as a standalone web page (Voila) and print "
                    "its address. `serlib demo report DIR` summarises a class's session folders.")
    p.add_argument("--recorder", choices=("browser", "kernel", "files"), default="browser",
                   help="where the sound comes from: the page's browser microphone (default), "
                        "this machine's microphone (kernel), or replayed sample clips (files)")
    p.add_argument("--seconds", type=float, default=7.0, help="recording length per picture (default 7)")
    p.add_argument("--model", default=None, metavar="PATH",
                   help="a model saved by `serlib train` (default: the shipped model)")
    p.add_argument("--images", default=None, metavar="DIR",
                   help="your own pictures: one sub-folder per emotion (happy/, sad/, ...)")
    p.add_argument("--sessions", default=None, metavar="DIR",
                   help="where session folders go (default: $SERLIB_SESSIONS or the user data folder)")
    p.add_argument("--calibrate", action="store_true", default=True,
                   help="start with a sentence read in a normal voice, the reference for speaker "
                        "adaptation (default)")
    p.add_argument("--no-calibrate", dest="calibrate", action="store_false",
                   help="go straight to the pictures")
    p.add_argument("--no-adapt", dest="adapt", action="store_false", default=True,
                   help="judge without speaker adaptation")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--ip", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 lets other machines in)")
    p.add_argument("--open", action="store_true",
                   help="open the page in this machine's browser (never done otherwise)")
    p.set_defaults(func=run)
    sub = p.add_subparsers(dest="demo_command", metavar="report")
    r = sub.add_parser("report", help="the class report over students' session folders",
                       description="Confusion matrix, per-student accuracy and the takes where "
                                   "nothing was heard, over session folders, folders of them, "
                                   "or zips.")
    r.add_argument("folders", nargs="+", metavar="DIR",
                   help="session folders, a folder holding them (or their zips), or .zip files")
    r.add_argument("--json", action="store_true", help="print the report as JSON")
    r.add_argument("--out", default=None, metavar="PNG", help="save the report's plot here")
    r.set_defaults(func=run_report)


def app_path() -> Path:
    """The page's notebook, shipped inside the package."""
    return Path(__file__).resolve().parents[1] / "demo" / "app.ipynb"


def _check_port(ip: str, port: int) -> None:
    import socket

    from serlib.cli import CommandError

    if not 0 < port < 65536:
        raise CommandError(f"--port {port}: give a port between 1 and 65535 (e.g. {DEFAULT_PORT})")
    with socket.socket() as s:
        try:
            s.bind((ip, port))
        except OSError as exc:
            raise CommandError(
                f"port {port} on {ip} is in use or not allowed ({exc.strerror}): another serlib "
                f"demo or Jupyter may be running. Stop it, or pick another port: serlib demo "
                f"--port {port + 1}") from None


def _check(args) -> dict:
    """Everything that can be checked before the server starts; returns the page settings."""
    from serlib.cli import CommandError
    from serlib.config import default_model_path
    from serlib.demo.images import find_prompts

    if not 0 < args.seconds <= 120:
        raise CommandError(f"--seconds {args.seconds}: give a length between 0 and 120 seconds")
    model = Path(args.model).expanduser().resolve() if args.model else default_model_path()
    if not model.is_file():
        what = f"--model {args.model}" if args.model else f"the shipped model {model.name}"
        raise CommandError(f"{what}: no such file. Give a model saved by `serlib train` "
                           "(serlib train --help), or leave --model out for the shipped one.")
    images = Path(args.images).expanduser().resolve() if args.images else None
    if images is not None and not images.is_dir():
        raise CommandError(f"--images {args.images}: no such folder. Make one sub-folder per emotion "
                           "(happy/, sad/, ...) holding .png or .jpg pictures.")
    prompts = find_prompts(images)  # SerlibError with advice when it holds no pictures
    if args.recorder == "kernel":
        from serlib.demo.recorders import KernelMicrophone

        reason = KernelMicrophone().why_unavailable()
        if reason:
            raise CommandError(f"--recorder kernel: {reason} Or serve the browser microphone: "
                               "serlib demo --recorder browser")
    _check_port(args.ip, args.port)
    sessions = Path(args.sessions).expanduser().resolve() if args.sessions else None
    if sessions is not None:
        sessions.mkdir(parents=True, exist_ok=True)
    return {"recorder": args.recorder, "seconds": args.seconds, "model": str(model),
            "images": str(images) if images else None, "sessions": str(sessions) if sessions else None,
            "calibrate": args.calibrate, "adapt": args.adapt, "pictures": len(prompts)}


def run(args) -> int:
    import json
    import os
    import sys
    import tempfile

    from serlib.demo.session import sessions_dir
    from serlib.demo.ui import SETTINGS_ENV

    settings = _check(args)
    folder = Path(tempfile.mkdtemp(prefix="serlib-demo-"))
    settings_file = folder / "settings.json"
    settings_file.write_text(json.dumps(settings, indent=2) + "\n")
    os.environ[SETTINGS_ENV] = str(settings_file)
    host = "localhost" if args.ip in ("127.0.0.1", "localhost") else args.ip
    url = f"http://{host}:{args.port}/"
    where = settings["sessions"] or str(sessions_dir())
    print(f"serlib demo: {settings['pictures']} pictures, {args.seconds:g} s each, "
          f"{args.recorder} microphone{'' if args.recorder != 'files' else ' (replayed clips)'}; "
          f"sessions are saved in {where}", flush=True)
    print(f"Open this address in a browser: {url}", flush=True)
    if args.recorder == "browser" and host != "localhost":
        print("Note: browsers allow the microphone only on https:// pages or on localhost; other "
              "machines reaching this page over http:// get no microphone (use an https proxy, "
              "JupyterHub, or --recorder kernel).", flush=True)
    print("Press Ctrl-C to stop the server.", flush=True)
    argv = [str(app_path()), f"--port={args.port}", f"--Voila.ip={args.ip}",
            "--Voila.port_retries=0", "--no-browser" if not args.open else "--Voila.open_browser=True",
            "--Voila.root_dir=" + str(app_path().parent)]
    try:
        from voila.app import Voila
    except ImportError as exc:
        from serlib.cli import CommandError

        raise CommandError(f"serlib demo needs Voila ({exc}): pip install -r requirements.txt") from None
    sys.argv = ["voila"]  # Voila reads its own options from argv only
    Voila.launch_instance(argv=argv)
    return 0


def run_report(args) -> int:
    import json

    from serlib.demo.report import class_report

    report = class_report(args.folders)
    if args.out:
        import matplotlib

        matplotlib.use("Agg")
        fig, _ = report.plot()
        fig.savefig(args.out, dpi=110, bbox_inches="tight")
    if args.json:
        print(json.dumps(report.to_dict(), indent=1, default=str))
        return 0 if len(report.takes) else 1
    import pandas as pd

    with pd.option_context("display.width", 120, "display.max_columns", 20):
        print(report.summary())
        if len(report.takes):
            print("\nExpected (rows) x heard (columns), every take:")
            print(report.confusion().rename(columns={"we heard nothing": "nothing"}).to_string())
            if report.has_adaptation:
                print("\nThe same with speaker adaptation:")
                print(report.confusion(adapted=True).rename(
                    columns={"we heard nothing": "nothing"}).to_string())
            print("\nPer student:")
            print(report.students.to_string(float_format=lambda v: f"{v:.0%}"))
            silent = report.nothing_heard
            if len(silent):
                print(f"\nNothing heard ({len(silent)} takes):")
                print(silent.to_string(index=False))
    for problem in report.problems:
        print(f"problem: {problem}")
    if args.out:
        print(f"plot saved to {args.out}")
    return 0 if len(report.takes) else 1
