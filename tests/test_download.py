"""The download code, for real, against a small HTTP server on 127.0.0.1 started here.

The server serves real zip archives and audio files, honours (or ignores) Range
requests and can drop the connection half-way through a body, so the tests see the
same failures a user's network produces: a good download, a checksum mismatch, a
dropped connection, a resume, a closed port, a login page instead of the file, a 404.
Fetching, hashing and unzipping go through pooch; resuming is serlib's own code.
"""
from __future__ import annotations

import hashlib
import io
import json
import socket
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from serlib.datasets import download as dl
from serlib.datasets import load_corpus
from serlib.errors import DownloadError

EMODB_NAMES = ("03a01Fa", "08b10Lc", "16a07Wb")


def wav_bytes(seconds=0.05, freq=330.0) -> bytes:
    buf = io.BytesIO()
    t = np.arange(int(16000 * seconds)) / 16000
    sf.write(buf, 0.3 * np.sin(2 * np.pi * freq * t), 16000, format="WAV")
    return buf.getvalue()


def make_zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


EMODB_ZIP = make_zip({**{f"wav/{n}.wav": wav_bytes(freq=200 + 50 * i) for i, n in enumerate(EMODB_NAMES)},
                      "erklaerung.txt": b"Beschreibung"})


class Handler(BaseHTTPRequestHandler):
    """Serves ``files``; ``modes[path]`` is ok / drop (half the body, then close) /
    drop-once / norange (ignores Range)."""

    files: dict[str, bytes] = {}
    modes: dict[str, str] = {}
    log: list[tuple[str, str | None]] = []

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        path = self.path
        type(self).log.append((path, self.headers.get("Range")))
        data = self.files.get(path)
        if data is None:
            self.send_error(404)
            return
        mode = self.modes.get(path, "ok")
        if mode == "drop-once":
            self.modes[path] = "ok"
            mode = "drop"
        start = 0
        rng = self.headers.get("Range")
        if rng and mode != "norange" and rng.startswith("bytes="):
            start = int(rng[6:].split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if mode == "drop":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)


@pytest.fixture()
def server():
    Handler.files, Handler.modes, Handler.log = {}, {}, []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", Handler
    httpd.shutdown()
    httpd.server_close()


def emodb_source(url: str, md5: str | None = None, size: int | None = None) -> dict:
    remote = dl.Remote(url, "download.zip", size=size, md5=md5)
    return {"emodb": dl.Source("emodb", "archive", archives={"all": remote}, default_parts=("all",),
                               present={"all": ("wav/*", len(EMODB_NAMES))})}


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def leftovers(root: Path) -> list[str]:
    work = root / dl.WORK_DIR
    return sorted(p.name for p in work.iterdir()) if work.exists() else []


def test_good_download_extracts_official_layout(server, tmp_path):
    base, h = server
    h.files["/download.zip"] = EMODB_ZIP
    folder = dl.download("emodb", tmp_path, sources=emodb_source(base + "/download.zip", md5(EMODB_ZIP),
                                                                  len(EMODB_ZIP)),
                         progress=False, quiet=True)
    assert folder == tmp_path / "emodb"
    df = load_corpus("emodb", tmp_path)
    assert sorted(Path(p).stem for p in df["path"]) == sorted(EMODB_NAMES)
    assert (folder / "erklaerung.txt").read_bytes() == b"Beschreibung"
    assert leftovers(tmp_path) == []          # zip removed, no .part, no temp folder
    # a second run sees the corpus and fetches nothing
    n = len(h.log)
    dl.download("emodb", tmp_path, sources=emodb_source(base + "/download.zip"), progress=False, quiet=True)
    assert len(h.log) == n


def test_unknown_checksum_is_recorded_then_compared(server, tmp_path, capsys):
    base, h = server
    h.files["/download.zip"] = EMODB_ZIP
    dl.download("emodb", tmp_path, sources=emodb_source(base + "/download.zip"), progress=False)
    store = json.loads((tmp_path / dl.WORK_DIR / "checksums.json").read_text())
    assert store == {"download.zip": hashlib.sha256(EMODB_ZIP).hexdigest()}
    assert hashlib.sha256(EMODB_ZIP).hexdigest() in capsys.readouterr().err


def test_checksum_mismatch_keeps_nothing_that_looks_complete(server, tmp_path):
    base, h = server
    h.files["/download.zip"] = EMODB_ZIP
    with pytest.raises(DownloadError) as err:
        dl.download("emodb", tmp_path, sources=emodb_source(base + "/download.zip", md5=md5(b"other")),
                    progress=False, quiet=True)
    assert "MD5" in str(err.value) and "download.zip.corrupt" in str(err.value)
    assert not (tmp_path / "emodb").exists()
    assert leftovers(tmp_path) == ["download.zip.corrupt"]
    assert (tmp_path / dl.WORK_DIR / "download.zip.corrupt").read_bytes() == EMODB_ZIP


def test_wrong_size_is_a_mismatch_too(server, tmp_path):
    base, h = server
    h.files["/download.zip"] = EMODB_ZIP
    with pytest.raises(DownloadError, match="size"):
        dl.download("emodb", tmp_path, sources=emodb_source(base + "/download.zip", size=len(EMODB_ZIP) + 1),
                    progress=False, quiet=True)
    assert not (tmp_path / "emodb").exists()


def test_dropped_connection_keeps_part_and_resumes(server, tmp_path):
    base, h = server
    h.files["/download.zip"] = EMODB_ZIP
    h.modes["/download.zip"] = "drop"
    sources = emodb_source(base + "/download.zip", md5(EMODB_ZIP), len(EMODB_ZIP))
    with pytest.raises(DownloadError) as err:
        dl.download("emodb", tmp_path, sources=sources, progress=False, retries=0, quiet=True, )
    assert "interrupted" in str(err.value) and "again to resume" in str(err.value)
    part = tmp_path / dl.WORK_DIR / "download.zip.part"
    got = part.stat().st_size
    assert 0 < got < len(EMODB_ZIP)
    assert part.read_bytes() == EMODB_ZIP[:got]
    assert not (tmp_path / "emodb").exists()
    # the network is back: the next run asks only for the rest
    h.modes["/download.zip"] = "ok"
    h.log.clear()
    dl.download("emodb", tmp_path, sources=sources, progress=False, quiet=True)
    assert h.log == [("/download.zip", f"bytes={got}-")]
    assert len(load_corpus("emodb", tmp_path)) == len(EMODB_NAMES)
    assert leftovers(tmp_path) == []


def test_drop_is_retried_within_one_run(server, tmp_path):
    base, h = server
    h.files["/download.zip"] = EMODB_ZIP
    h.modes["/download.zip"] = "drop-once"
    dl.download("emodb", tmp_path, sources=emodb_source(base + "/download.zip", md5(EMODB_ZIP)),
                progress=False, retries=1, quiet=True)
    assert len(h.log) == 2 and h.log[1][1] is not None and h.log[1][1].startswith("bytes=")
    assert len(load_corpus("emodb", tmp_path)) == len(EMODB_NAMES)


def test_server_without_ranges_restarts_from_zero(server, tmp_path):
    base, h = server
    h.files["/download.zip"] = EMODB_ZIP
    work = tmp_path / dl.WORK_DIR
    work.mkdir(parents=True)
    (work / "download.zip.part").write_bytes(b"garbage from an older attempt")
    h.modes["/download.zip"] = "norange"
    dl.download("emodb", tmp_path, sources=emodb_source(base + "/download.zip", md5(EMODB_ZIP)),
                progress=False, quiet=True)
    assert len(load_corpus("emodb", tmp_path)) == len(EMODB_NAMES)


def closed_port() -> int:
    """A local port nothing listens on (the same answer as a machine that is offline)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_unreachable_host_says_what_to_do(tmp_path):
    port = closed_port()
    with pytest.raises(DownloadError) as err:
        dl.download("emodb", tmp_path, sources=emodb_source(f"http://127.0.0.1:{port}/download.zip"),
                    progress=False, quiet=True)
    msg = str(err.value)
    assert "could not reach 127.0.0.1" in msg and "proxy" in msg
    assert "by hand" in msg and str(tmp_path / dl.WORK_DIR / "download.zip") in msg
    assert not (tmp_path / "emodb").exists()


def test_not_a_zip_and_incomplete_archive_are_errors(server, tmp_path):
    base, h = server
    h.files["/download.zip"] = b"<html>proxy login page</html>"
    with pytest.raises(DownloadError, match="not a valid zip"):
        dl.download("emodb", tmp_path, sources=emodb_source(base + "/download.zip"),
                    progress=False, quiet=True)
    assert not (tmp_path / "emodb").exists()
    short = make_zip({"wav/03a01Fa.wav": wav_bytes()})
    h.files["/short.zip"] = short
    with pytest.raises(DownloadError, match="expected"):
        dl.download("emodb", tmp_path / "r2", sources=emodb_source(base + "/short.zip"),
                    progress=False, quiet=True)
    assert not (tmp_path / "r2" / "emodb").exists()
    assert [p for p in (tmp_path / "r2" / dl.WORK_DIR).iterdir() if "extract" in p.name] == []


LOGIN_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Sign in to the campus network</title></head>"
              b"<body><form action='/login'>user <input name=u></form></body></html>\n")


def test_login_page_instead_of_the_archive_is_named(server, tmp_path):
    """A captive portal answers 200 with its login page: say so, not just 'MD5 mismatch'."""
    base, h = server
    h.files["/download.zip"] = LOGIN_PAGE
    with pytest.raises(DownloadError) as err:
        dl.download("emodb", tmp_path, sources=emodb_source(base + "/download.zip", md5(EMODB_ZIP)),
                    progress=False, quiet=True)
    msg = str(err.value)
    assert "web page" in msg and "login" in msg and "in a browser" in msg
    assert not (tmp_path / "emodb").exists()
    assert leftovers(tmp_path) == ["download.zip.corrupt"]
    assert (tmp_path / dl.WORK_DIR / "download.zip.corrupt").read_bytes() == LOGIN_PAGE


def test_http_error_names_the_status(server, tmp_path):
    base, _h = server
    with pytest.raises(DownloadError, match="HTTP 404") as err:
        dl.download("emodb", tmp_path, sources=emodb_source(base + "/moved.zip"), progress=False, quiet=True)
    assert "in a browser" in str(err.value)
    assert leftovers(tmp_path) == []


def test_pooch_fetches_with_its_progress_bar_and_unzips(server, tmp_path, monkeypatch, capsys):
    """The first fetch and the unpacking go through pooch; the bar shows on stderr."""
    import pooch

    base, h = server
    h.files["/download.zip"] = EMODB_ZIP
    calls = []
    for cls in (pooch.HTTPDownloader, pooch.Unzip):
        original = cls.__call__

        def spy(self, *args, _original=original, _cls=cls.__name__, **kwargs):
            calls.append((_cls, str(args[0])))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__call__", spy)
    dl.download("emodb", tmp_path, sources=emodb_source(base + "/download.zip", md5(EMODB_ZIP)))
    archive = str(tmp_path / dl.WORK_DIR / "download.zip")
    assert calls == [("HTTPDownloader", base + "/download.zip"), ("Unzip", archive)]
    assert "100%" in capsys.readouterr().err
    assert len(load_corpus("emodb", tmp_path)) == len(EMODB_NAMES)


def test_listing_offline_says_what_to_do(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/api/datasets/x"
    src = dl.Source("tess", "files", listing_url=url, lister="tess", present={"all": ("**/*_*.*", 3)})
    with pytest.raises(DownloadError, match="could not reach 127.0.0.1") as err:
        dl.download("tess", tmp_path, sources={"tess": src}, progress=False, quiet=True)
    assert "again" in str(err.value)
    assert not (tmp_path / "tess").exists()


def test_wrapper_folder_and_second_part_merge(server, tmp_path):
    """RAVDESS-like: speech then song into the same Actor folders; a wrapper folder is skipped."""
    base, h = server
    speech = make_zip({"Actor_01/03-01-05-01-01-01-01.wav": wav_bytes(),
                       "Actor_02/03-01-03-02-02-01-02.wav": wav_bytes()})
    song = make_zip({"Audio_Song_Actors_01-24/Actor_01/03-02-05-01-01-01-01.wav": wav_bytes(),
                     "__MACOSX/Actor_01/._03-02-05-01-01-01-01.wav": b"junk"})
    h.files.update({"/speech.zip": speech, "/song.zip": song})
    src = dl.Source("ravdess", "archive",
                    archives={"speech": dl.Remote(base + "/speech.zip", "speech.zip", md5=md5(speech)),
                              "song": dl.Remote(base + "/song.zip", "song.zip", md5=md5(song))},
                    default_parts=("speech",),
                    present={"speech": ("Actor_*/03-01-*", 2), "song": ("Actor_*/03-02-*", 1)})
    dl.download("ravdess", tmp_path, sources={"ravdess": src}, progress=False, quiet=True)
    assert len(load_corpus("ravdess", tmp_path)) == 2
    dl.download("ravdess", tmp_path, parts=("speech", "song"), sources={"ravdess": src},
                progress=False, quiet=True)
    df = load_corpus("ravdess", tmp_path)
    assert sorted(df["vocal_channel"]) == ["song", "speech", "speech"]
    assert df.attrs["problems"] == []
    assert [p for _, p in h.log].count(None) == 2   # speech was not fetched twice


def test_zip_with_unsafe_paths_is_refused(server, tmp_path):
    base, h = server
    h.files["/evil.zip"] = make_zip({"../escape.wav": wav_bytes(), "wav/03a01Fa.wav": wav_bytes()})
    with pytest.raises(DownloadError, match="unsafe"):
        dl.download("emodb", tmp_path / "root", sources=emodb_source(base + "/evil.zip"),
                    progress=False, quiet=True)
    assert not (tmp_path / "escape.wav").exists() and not (tmp_path / "root" / "escape.wav").exists()


def test_file_by_file_dataverse_listing_with_md5(server, tmp_path):
    """TESS-like: a dataverse JSON listing, one request per file, MD5 per file, resumable."""
    base, h = server
    names = ["OAF_back_angry.wav", "YAF_bar_ps.wav", "OA_bite_neutral.wav"]
    blobs = {n: wav_bytes(freq=150 + 40 * i) for i, n in enumerate(names)}
    files = []
    for i, n in enumerate(names, start=1):
        h.files[f"/api/access/datafile/{i}"] = blobs[n]
        files.append({"dataFile": {"id": i, "filename": n, "filesize": len(blobs[n]), "md5": md5(blobs[n])}})
    files.append({"dataFile": {"id": 99, "filename": "README.txt", "filesize": 3, "md5": "x"}})
    files[1]["dataFile"]["md5"] = md5(b"wrong")   # one file fails its check at first
    listing = "/api/datasets/:persistentId/?persistentId=doi:10.5683/SP2/E8H2MF"
    h.files[listing] = json.dumps({"data": {"latestVersion": {"files": files}}}).encode()
    src = dl.Source("tess", "files", listing_url=base + listing, lister="tess",
                    present={"all": ("**/*_*.*", 3)})
    with pytest.raises(DownloadError) as err:
        dl.download("tess", tmp_path, sources={"tess": src}, progress=False, quiet=True)
    assert "1 of 3" in str(err.value) and "again" in str(err.value)
    assert not (tmp_path / "tess").exists()
    # fixed at the source: only the missing file is fetched
    files[1]["dataFile"]["md5"] = md5(blobs["YAF_bar_ps.wav"])
    h.files[listing] = json.dumps({"data": {"latestVersion": {"files": files}}}).encode()
    h.log.clear()
    dl.download("tess", tmp_path, sources={"tess": src}, progress=False, quiet=True)
    assert sorted(p for p, _ in h.log) == sorted([listing, "/api/access/datafile/2"])
    df = load_corpus("tess", tmp_path)
    assert sorted(df["emotion"]) == ["angry", "neutral", "surprised"]
    assert (tmp_path / "tess" / "TESS_Toronto_emotional_speech_set_data" / "YAF_pleasant_surprise"
            / "YAF_bar_ps.wav").is_file()
    assert leftovers(tmp_path) == []


def test_file_by_file_csv_listing_checks_audio(server, tmp_path):
    """CREMA-D-like: SentenceFilenames.csv, clips from an LFS-style base URL, demographics."""
    base, h = server
    h.files["/repo/SentenceFilenames.csv"] = b"Stimulus_Number,Filename\n1,1001_DFA_ANG_XX\n2,1002_IEO_HAP_HI\n"
    h.files["/lfs/AudioWAV/1001_DFA_ANG_XX.wav"] = wav_bytes()
    h.files["/lfs/AudioWAV/1002_IEO_HAP_HI.wav"] = b"version https://git-lfs.github.com/spec/v1\n"
    h.files["/repo/VideoDemographics.csv"] = b"ActorID,Age,Sex,Race,Ethnicity\n1001,51,Male,Caucasian,Not Hispanic\n"
    src = dl.Source("cremad", "files", listing_url=base + "/repo/SentenceFilenames.csv", lister="cremad",
                    file_base=base + "/lfs/AudioWAV/",
                    extra=[dl.Remote(base + "/repo/VideoDemographics.csv", "VideoDemographics.csv")],
                    present={"all": ("AudioWAV/*", 2)})
    with pytest.raises(DownloadError, match="not a readable audio file"):
        dl.download("cremad", tmp_path, sources={"cremad": src}, progress=False, quiet=True)
    h.files["/lfs/AudioWAV/1002_IEO_HAP_HI.wav"] = wav_bytes()
    dl.download("cremad", tmp_path, sources={"cremad": src}, progress=False, quiet=True)
    df = load_corpus("cremad", tmp_path)
    assert sorted(df["gender"]) == ["male", "unknown"]


def test_manual_corpora_explain_the_steps(tmp_path):
    for name, needle in (("savee", "AudioData/DC/a01.wav"), ("iemocap", "EmoEvaluation")):
        with pytest.raises(DownloadError) as err:
            dl.download(name, tmp_path, progress=False)
        assert needle in str(err.value) and str(tmp_path / name) in str(err.value)


def test_source_table_points_at_official_sources():
    assert dl.SOURCES["ravdess"].archives["speech"].url.startswith("https://zenodo.org/records/1188976/")
    assert dl.SOURCES["ravdess"].archives["speech"].md5 == "bc696df654c87fed845eb13823edef8a"
    assert dl.SOURCES["emodb"].archives["all"].url == "http://emodb.bilderbar.info/download/download.zip"
    assert "10.5683/SP2/E8H2MF" in dl.SOURCES["tess"].listing_url
    assert "CheyneyComputerScience/CREMA-D" in dl.SOURCES["cremad"].file_base
    assert {n for n, s in dl.SOURCES.items() if s.kind == "manual"} == {"savee", "iemocap"}


def test_full_ravdess_is_not_merged_into_the_bundled_sample():
    from serlib import config

    with pytest.raises(DownloadError, match="bundled RAVDESS sample"):
        dl.download("ravdess", config.BUNDLED_DATA, progress=False, quiet=True)
    assert not (config.BUNDLED_DATA / dl.WORK_DIR).exists()
