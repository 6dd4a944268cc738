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

from serlib.demo import KEEP_DAYS

#: Voilà's own default port.
DEFAULT_PORT = 8866


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "demo", help="the live demo as a web page (projector, students); `demo report` for a class",
        usage="serlib demo [options]   (the page; --https: the class on its own devices)\n"
              "       serlib demo report DIR... [--json] [--out PNG]",
        description="Serve the image-prompt session as a standalone web page (Voila) and print "
                    "its address. With --https (or --class), serve the class server instead: one "
                    "page every student opens on their own phone or laptop, and a live board "
                    "for the projector (/board). `serlib demo report DIR` summarises a class's "
                    "session folders.")
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
    p.add_argument("--ip", default=None,
                   help="address to listen on (default 127.0.0.1, with --https 0.0.0.0: other "
                        "machines in)")
    p.add_argument("--open", action="store_true",
                   help="open the page in this machine's browser (never done otherwise)")
    p.add_argument("--keep-days", type=float, default=KEEP_DAYS, metavar="N",
                   help=f"delete session folders older than N days, at start and every hour "
                        f"while serving (default {KEEP_DAYS}; the page tells the students)")
    c = p.add_argument_group("the class on its own devices (one server for every student)")
    c.add_argument("--class", dest="classroom", action="store_true",
                   help="serve the class server (http; add --https for other devices' microphones)")
    c.add_argument("--https", action="store_true",
                   help="the class server over https with a certificate serlib makes for this "
                        "machine (listens on 0.0.0.0 unless --ip is given)")
    c.add_argument("--certfile", default=None, metavar="PEM", help="your own certificate (with --keyfile)")
    c.add_argument("--keyfile", default=None, metavar="PEM", help="its private key")
    c.add_argument("--board", action="store_true",
                   help="the class server, and with --open, open its live board (/board) here")
    c.add_argument("--max-students", type=int, default=40, metavar="N",
                   help="students recording at once; the next is told to try again in a minute "
                        "(default 40)")
    p.add_argument("--idle-minutes", type=float, default=10.0, metavar="M",
                   help="let a student's session go after M minutes without a take; on the Voila "
                        "page, shut a closed page's kernel down after M idle minutes (default 10)")
    p.set_defaults(func=run, ip=None)
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
    if not args.keep_days > 0:
        raise CommandError(f"--keep-days {args.keep_days:g}: give a number of days above 0 "
                           f"(default {KEEP_DAYS})")
    if args.max_students < 1:
        raise CommandError(f"--max-students {args.max_students}: give at least 1")
    if args.idle_minutes <= 0:
        raise CommandError(f"--idle-minutes {args.idle_minutes:g}: give minutes above 0")
    if bool(args.certfile) != bool(args.keyfile):
        raise CommandError("--certfile and --keyfile go together: give both, or neither (serlib "
                           "then makes its own certificate)")
    for name in ("certfile", "keyfile"):
        if getattr(args, name) and not Path(getattr(args, name)).expanduser().is_file():
            raise CommandError(f"--{name} {getattr(args, name)}: no such file")
    if args.ip is None:
        args.ip = "0.0.0.0" if args.https else "127.0.0.1"
    _check_port(args.ip, args.port)
    sessions = Path(args.sessions).expanduser().resolve() if args.sessions else None
    if sessions is not None:
        sessions.mkdir(parents=True, exist_ok=True)
    return {"recorder": args.recorder, "seconds": args.seconds, "model": str(model),
            "images": str(images) if images else None, "sessions": str(sessions) if sessions else None,
            "calibrate": args.calibrate, "adapt": args.adapt, "pictures": len(prompts),
            "keep_days": args.keep_days}


def voila_argv(args) -> list[str]:
    """Voilà's options for the page. A kernel whose page has closed is shut down after
    ``--idle-minutes`` (jupyter_server's culler: Voilà's own shutdown request on closing a
    tab is refused, voila-dashboards/voila#1458, so without it every page load keeps a
    kernel of ~400 MB until the server stops); a page still open keeps its kernel."""
    idle = max(1, round(args.idle_minutes * 60))
    return [str(app_path()), f"--port={args.port}", f"--Voila.ip={args.ip}",
            "--Voila.port_retries=0", "--no-browser" if not args.open else "--Voila.open_browser=True",
            "--Voila.root_dir=" + str(app_path().parent),
            f"--MappingKernelManager.cull_idle_timeout={idle}",
            f"--MappingKernelManager.cull_interval={max(1, min(60, idle // 2))}",
            "--MappingKernelManager.cull_connected=False"]


def run(args) -> int:
    import json
    import os
    import sys
    import tempfile

    from serlib.demo.session import sessions_dir
    from serlib.demo.ui import SETTINGS_ENV

    if args.https or args.certfile or args.classroom or args.board:
        args.https = args.https or bool(args.certfile)
        return run_class(args)
    settings = _check(args)
    from serlib.demo.classroom import keep_purging
    from serlib.demo.session import purge_sessions

    parent = settings["sessions"] or sessions_dir()
    gone = purge_sessions(parent, args.keep_days)
    keep_purging(lambda: purge_sessions(parent, args.keep_days))
    folder = Path(tempfile.mkdtemp(prefix="serlib-demo-"))
    settings_file = folder / "settings.json"
    settings_file.write_text(json.dumps(settings, indent=2) + "\n")
    os.environ[SETTINGS_ENV] = str(settings_file)
    host = "localhost" if args.ip in ("127.0.0.1", "localhost") else args.ip
    url = f"http://{host}:{args.port}/"
    where = settings["sessions"] or str(sessions_dir())
    print(f"serlib demo: {settings['pictures']} pictures, {args.seconds:g} s each, "
          f"{args.recorder} microphone{'' if args.recorder != 'files' else ' (replayed clips)'}; "
          f"sessions are saved in {where} and deleted after {args.keep_days:g} days"
          f"{f' ({len(gone)} old ones deleted now)' if gone else ''}", flush=True)
    print(f"Open this address in a browser: {url}", flush=True)
    if args.recorder == "browser" and host != "localhost":
        print("Note: browsers allow the microphone only on https:// pages or on localhost; other "
              "machines reaching this page over http:// get no microphone: serve the class "
              "with serlib demo --https instead.", flush=True)
    print("Press Ctrl-C to stop the server.", flush=True)
    argv = voila_argv(args)
    try:
        from voila.app import Voila
    except ImportError as exc:
        from serlib.cli import CommandError

        raise CommandError(f"serlib demo needs Voila ({exc}): pip install -r requirements.txt") from None
    sys.argv = ["voila"]  # Voila reads its own options from argv only
    Voila.launch_instance(argv=argv)
    return 0


def run_class(args) -> int:
    """The class server (:mod:`serlib.demo.classroom`): check, print the addresses, serve."""
    import ssl

    from serlib.cli import CommandError
    from serlib.demo import classroom, tls
    from serlib.demo.images import find_prompts
    from serlib.demo.session import purge_sessions, sessions_dir
    from serlib.errors import SerlibError
    from serlib.predict import load_model

    settings = _check(args)
    context = None
    made = False
    if args.https:
        try:
            if args.certfile:
                cert, key = Path(args.certfile).expanduser(), Path(args.keyfile).expanduser()
            else:
                cert, key, made = tls.certificate()
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(cert), str(key))
        except (ssl.SSLError, OSError, SerlibError) as exc:
            raise CommandError(f"https: the certificate could not be used ({exc}). Give "
                               f"--certfile/--keyfile, or delete {tls.tls_dir()} to make a new one.") from None
    model = load_model(settings["model"])
    parent = Path(settings["sessions"]) if settings["sessions"] else sessions_dir()
    gone = purge_sessions(parent, args.keep_days)
    try:
        room = classroom.Classroom(
            model, find_prompts(settings["images"]), seconds=args.seconds, sessions=parent,
            adapt=args.adapt, calibration=args.calibrate, recorder=args.recorder,
            max_students=args.max_students, idle_seconds=args.idle_minutes * 60,
            keep_days=args.keep_days)
    except SerlibError as exc:
        raise CommandError(str(exc)) from None
    classroom.warm_up(model)
    scheme = "https" if args.https else "http"
    if args.ip in ("127.0.0.1", "localhost"):
        host = "localhost"
    elif args.ip in ("0.0.0.0", "::"):
        host = (tls.lan_addresses() or ["localhost"])[0]
    else:
        host = args.ip
    url = f"{scheme}://{host}:{args.port}/"
    print(f"serlib demo (class server): {len(room.prompts)} pictures, {args.seconds:g} s each, "
          f"{args.recorder} microphone{'s' if args.recorder == 'browser' else ''}; at most "
          f"{args.max_students} students at once. Session folders go to {parent} and are deleted "
          f"after {args.keep_days:g} days{f' ({len(gone)} old ones deleted now)' if gone else ''}.",
          flush=True)
    print(f"Students open: {url}", flush=True)
    print(f"The board for the projector: {url}board", flush=True)
    if args.https:
        print(("A certificate for this machine was made: " if made else "Certificate: ")
              + (f"{cert} (names: {', '.join(tls.machine_names())})." if not args.certfile else f"{cert}."),
              flush=True)
        if not args.certfile:
            print(tls.WARNING_ADVICE, flush=True)
    elif host != "localhost" and args.recorder == "browser":
        print("Note: over http:// only this machine's browser gets a microphone; give "
              "--https so that the students' phones and laptops get theirs.", flush=True)
    try:
        print(tls.qr_text(url), flush=True)
    except ImportError:
        pass

    def ready():
        print("Serving. Press Ctrl-C to stop the server.", flush=True)
        if args.open:
            import webbrowser

            webbrowser.open(url + ("board" if args.board else ""))

    classroom.serve(room, ip=args.ip, port=args.port, ssl_context=context, url=url, ready=ready)
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
