"""Download the public corpora from their official sources into a data root.

``serlib datasets download NAME`` (or :func:`download`) fetches:

* RAVDESS from Zenodo record 1188976 (speech zip, optionally the song zip),
* EMO-DB from its authors' site (``download.zip``),
* TESS from its Borealis dataverse (doi:10.5683/SP2/E8H2MF), file by file with the
  MD5 sums the dataverse publishes,
* CREMA-D from its GitHub repository's Git LFS storage, file by file (7442 clips,
  about 0.6 GB) plus ``VideoDemographics.csv``,

and prints the registration steps for SAVEE and IEMOCAP.

Fetching (with its progress bar), hashing and unzipping are done by pooch, the data
fetcher of the scientific-Python ecosystem (librosa uses it too). Our own code is left
only where pooch has no answer: resuming a dropped download with an HTTP ``Range``
request (pooch always starts again from byte 0, which hurts for a 200 MB zip),
refusing zips with unsafe member paths (pooch's ``Unzip`` quietly renames them),
recognising a login page sent instead of a file, and the atomic renames below.

How a download stays honest:

* bytes go to ``NAME.part``; when the connection drops, the part is kept and the
  next run resumes it with an HTTP ``Range`` request (when the server allows ranges;
  otherwise it starts again). Each run also retries a dropped connection itself;
* a file that starts like a web page (a proxy's or Wi-Fi portal's login page, an error
  page) is not mistaken for the corpus: it is kept as ``NAME.corrupt`` and the message
  says to open the address in a browser;
* the finished file is checked against its published checksum (MD5 or SHA-256).
  Where no checksum is published (EMO-DB), its SHA-256 is computed, printed and stored
  in ``ROOT/.serlib-downloads/checksums.json`` so that a later download is compared
  with the first one;
* on a checksum mismatch the file is moved to ``NAME.corrupt`` (kept so you can look
  at it, e.g. a proxy's HTML page; never used again) and a
  :class:`~serlib.errors.DownloadError` says so. The next run starts from scratch;
* only a verified file is renamed (atomically) to its final name, and archives are
  unpacked into a temporary folder inside the root that is renamed to ``ROOT/NAME``
  only when complete, so a broken download or extraction never looks like a corpus.

The URL table :data:`SOURCES` is plain data; tests point it at a local server.

Notebook: 04_datasets.ipynb
"""
from __future__ import annotations

import csv
import http.client
import io
import json
import os
import re
import shutil
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from serlib import config
from serlib.datasets.corpora import CORPORA, MANUAL_STEPS, canonical_name
from serlib.datasets.table import is_audio
from serlib.errors import DownloadError

#: Folder inside the data root for partial downloads, archives and recorded checksums.
WORK_DIR = ".serlib-downloads"
CHUNK = 1 << 16
#: pooch's read size: a dropped connection loses the chunk in flight (urllib3 discards a
#: short read), so it is kept small (pooch's own default) to keep nearly every byte.
POOCH_CHUNK = 1024
USER_AGENT = "serlib-datasets/0.1 (+https://github.com/; teaching package)"


@dataclass
class Remote:
    """One file to fetch: where from, where to (relative), and what it must look like.

    Notebook: 04_datasets.ipynb
    """

    url: str
    name: str
    size: int | None = None
    md5: str | None = None
    sha256: str | None = None


@dataclass
class Source:
    """How to get one corpus.

    ``kind`` is ``"archive"`` (zip files unpacked into the corpus folder), ``"files"``
    (a listing fetched from ``listing_url`` turned into :class:`Remote` files by
    ``lister``) or ``"manual"``. ``parts`` names optional archives (RAVDESS ``song``).
    ``present`` is a glob (relative to the corpus folder) with the number of files that
    show a part is already there, per part name.

    Notebook: 04_datasets.ipynb
    """

    name: str
    kind: str
    archives: dict[str, Remote] = field(default_factory=dict)
    default_parts: tuple[str, ...] = ()
    present: dict[str, tuple[str, int]] = field(default_factory=dict)
    listing_url: str = ""
    lister: str = ""
    file_base: str = ""
    extra: list[Remote] = field(default_factory=list)
    size_note: str = ""


_ZENODO = "https://zenodo.org/records/1188976/files/{}?download=1"
_BOREALIS = "https://borealisdata.ca/api"
_TESS_DOI = "doi:10.5683/SP2/E8H2MF"
_CREMA_RAW = "https://raw.githubusercontent.com/CheyneyComputerScience/CREMA-D/master/"
_CREMA_LFS = "https://media.githubusercontent.com/media/CheyneyComputerScience/CREMA-D/master/"

#: Where each corpus comes from. Checksums: RAVDESS speech MD5 and size as published on
#: Zenodo (confirmed by several independent downloads); RAVDESS song MD5 as listed on
#: Zenodo (not independently confirmed here); EMO-DB publishes none (SHA-256 recorded
#: on first download); TESS files carry the dataverse's MD5 sums; CREMA-D files are
#: checked for their full length and a readable WAV header only.
SOURCES: dict[str, Source] = {
    "ravdess": Source(
        "ravdess", "archive",
        archives={
            "speech": Remote(_ZENODO.format("Audio_Speech_Actors_01-24.zip"),
                             "Audio_Speech_Actors_01-24.zip", size=208_468_073,
                             md5="bc696df654c87fed845eb13823edef8a"),
            "song": Remote(_ZENODO.format("Audio_Song_Actors_01-24.zip"),
                           "Audio_Song_Actors_01-24.zip",
                           md5="5411230427d67a21e18aa4d466e6d1b2"),
        },
        default_parts=("speech",),
        present={"speech": ("Actor_*/03-01-*", 1440), "song": ("Actor_*/03-02-*", 1012)},
        size_note="speech 208 MB (1440 clips); song about 200 MB (1012 clips) with --song",
    ),
    "emodb": Source(
        "emodb", "archive",
        archives={"all": Remote("http://emodb.bilderbar.info/download/download.zip", "download.zip")},
        default_parts=("all",),
        present={"all": ("wav/*", 535)},
        size_note="about 41 MB (535 clips)",
    ),
    "tess": Source(
        "tess", "files",
        listing_url=f"{_BOREALIS}/datasets/:persistentId/?persistentId={_TESS_DOI}",
        lister="tess",
        present={"all": ("**/*_*.*", 2800)},
        size_note="2800 files, about 280 MB, fetched one by one from Borealis",
    ),
    "cremad": Source(
        "cremad", "files",
        listing_url=_CREMA_RAW + "SentenceFilenames.csv",
        lister="cremad",
        file_base=_CREMA_LFS + "AudioWAV/",
        extra=[Remote(_CREMA_RAW + "VideoDemographics.csv", "VideoDemographics.csv")],
        present={"all": ("AudioWAV/*", 7442)},
        size_note="7442 files, about 0.6 GB, fetched one by one from GitHub LFS (slow: "
                  "expect 15-60 minutes)",
    ),
    "savee": Source("savee", "manual"),
    "iemocap": Source("iemocap", "manual"),
}


# --------------------------------------------------------------------------- HTTP
# Fetching and progress bars are pooch's (``pooch.HTTPDownloader``, on requests); hashing
# is ``pooch.file_hash``. Our own HTTP code is left for the one thing pooch cannot do:
# resume a dropped download with a ``Range`` request (``_resume``), which matters for a
# 200 MB zip on a classroom network.


class _Dropped(Exception):
    """The connection ended before the whole body arrived (the part file is kept)."""


class _Unreachable(Exception):
    """No answer from the host (offline, DNS, refused, timeout); ``args[0]`` is the cause."""


def _say(msg: str, quiet: bool = False) -> None:
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def _downloader(progress: bool, timeout: float):
    """pooch's HTTP downloader with our User-Agent and timeout."""
    import pooch

    return pooch.HTTPDownloader(progressbar=progress, chunk_size=POOCH_CHUNK, timeout=timeout,
                                headers={"User-Agent": USER_AGENT})


def _unreachable(url: str, exc: Exception, dest: Path | None) -> DownloadError:
    host = urllib.parse.urlsplit(url).netloc
    where = f" and put it at {dest}" if dest is not None else ""
    reason = getattr(exc, "reason", None)
    if reason is None:  # requests hides the cause in a long message: keep its errno part
        found = re.search(r"\[Errno -?\d+\][^)'\"]*", str(exc))
        reason = found.group(0).strip() if found else (
            "timed out" if "timed out" in str(exc).lower() else type(exc).__name__)
    return DownloadError(
        f"could not reach {host} ({reason}). Check your internet "
        f"connection or proxy settings (HTTPS_PROXY), then run the command again; or "
        f"download {url} by hand in a browser{where}, then run the command again.")


def _http_error(url: str, code: int, reason: str) -> DownloadError:
    return DownloadError(f"{url}: the server answered HTTP {code} {reason}. "
                         f"The source may have moved; check {url} in a browser.")


def get_bytes(url: str, timeout: float = 30.0) -> bytes:
    """The body of a small file (a listing), fetched with pooch; clear errors when offline.

    Notebook: 04_datasets.ipynb
    """
    import requests

    buf = io.BytesIO()
    try:
        _downloader(False, timeout)(url, buf, None)
    except requests.HTTPError as exc:
        raise _http_error(url, exc.response.status_code, exc.response.reason) from None
    except requests.RequestException as exc:
        raise _unreachable(url, exc, None) from None
    return buf.getvalue()


def _first(url: str, part: Path, progress: bool, timeout: float) -> None:
    """Fetch ``url`` into ``part`` from the start with pooch (the usual case)."""
    import requests

    try:
        _downloader(progress, timeout)(url, str(part), None)
    except requests.HTTPError as exc:
        part.unlink(missing_ok=True)  # pooch opened it; nothing was written
        raise _http_error(url, exc.response.status_code, exc.response.reason) from None
    except requests.exceptions.ChunkedEncodingError as exc:  # body cut short
        have = part.stat().st_size if part.exists() else 0
        raise _Dropped(f"connection lost after {have} bytes") from exc
    except requests.RequestException as exc:
        have = part.stat().st_size if part.exists() else 0
        if have:  # the body had started: a drop, not an unreachable host
            raise _Dropped(f"connection lost after {have} bytes ({type(exc).__name__})") from exc
        part.unlink(missing_ok=True)
        raise _Unreachable(exc) from None


def _resume(url: str, part: Path, progress: bool, timeout: float, desc: str) -> None:
    """Append the rest of ``url`` to ``part`` with an HTTP Range request.

    pooch always starts a download from byte 0, so this is our own code: it asks for
    ``bytes=<size of part>-``, appends a 206 answer, and starts again from zero when the
    server ignores ranges (200) or answers oddly.
    """
    offset = part.stat().st_size
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT,
                                               "Range": f"bytes={offset}-"})
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416:  # nothing left to send: the part may be complete
            return
        raise _http_error(url, exc.code, exc.reason) from None
    except (urllib.error.URLError, OSError) as exc:
        raise _Unreachable(exc) from None
    with resp:
        length = resp.headers.get("Content-Length")
        length = int(length) if length and length.isdigit() else None
        crange = resp.headers.get("Content-Range", "") if resp.status == 206 else ""
        if crange.split(" ")[-1].split("-")[0] != str(offset):
            offset = 0  # 200 (the server ignored Range) or an odd answer: start again
        total = offset + length if length is not None else None
        done = offset
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=total, initial=offset, unit="B", unit_scale=True,
                       unit_divisor=1024, desc=desc, leave=False)
        try:
            with open(part, "ab" if offset else "wb") as out:
                while chunk := resp.read(CHUNK):
                    out.write(chunk)
                    done += len(chunk)
                    if bar is not None:
                        bar.update(len(chunk))
        except (OSError, http.client.HTTPException) as exc:
            raise _Dropped(f"connection lost after {done} bytes ({exc})") from exc
        finally:
            if bar is not None:
                bar.close()
    if total is not None and done < total:
        raise _Dropped(f"connection closed after {done} of {total} bytes")


def _digest(path: Path, algo: str) -> str:
    import pooch

    return pooch.file_hash(str(path), alg=algo)


def _looks_like_html(path: Path) -> bool:
    """True when a file starts like a web page (a login, captive-portal or error page)."""
    with open(path, "rb") as fh:
        head = fh.read(512).lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml")) or b"<html" in head


def fetch(remote: Remote, dest: Path, *, progress: bool = True, retries: int = 2,
          timeout: float = 30.0, quiet: bool = False) -> Path:
    """Download ``remote`` to ``dest`` via ``dest.part``: resumable, verified, atomic.

    pooch fetches (with its progress bar) and hashes; a part left by a dropped
    connection is resumed with our own Range request. Raises
    :class:`~serlib.errors.DownloadError` when the host cannot be reached, the
    connection drops more than ``retries`` times (the part is kept; running again
    resumes it), the server sends a web page instead of the file, or the checksum or
    size is wrong (the file becomes ``dest.corrupt``).

    Notebook: 04_datasets.ipynb
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    attempt = 0
    while True:
        try:
            if part.exists() and part.stat().st_size:
                _resume(remote.url, part, progress, timeout, dest.name)
            else:
                _first(remote.url, part, progress, timeout)
            break
        except _Dropped as exc:
            if attempt >= retries:
                have = part.stat().st_size if part.exists() else 0
                raise DownloadError(
                    f"download of {remote.url} interrupted: {exc}. The {have} bytes received "
                    f"are kept in {part}; run the same command again to resume.") from None
            attempt += 1
            _say(f"{dest.name}: {exc}; resuming (try {attempt} of {retries})", quiet)
        except _Unreachable as exc:
            raise _unreachable(remote.url, exc.args[0], dest) from None
    problem = None
    size = part.stat().st_size
    if _looks_like_html(part) and not remote.name.lower().endswith((".html", ".htm")):
        kind = "zip file" if remote.name.lower().endswith(".zip") else "file"
        problem = (f"not a valid {kind}: the server sent a web page (HTML: a login, "
                   f"captive-portal or error page) instead")
    elif remote.size is not None and size != remote.size:
        problem = f"size {size} bytes, expected {remote.size}"
    elif remote.md5 and _digest(part, "md5") != remote.md5.lower():
        problem = f"MD5 {_digest(part, 'md5')}, expected {remote.md5}"
    elif remote.sha256 and _digest(part, "sha256") != remote.sha256.lower():
        problem = f"SHA-256 {_digest(part, 'sha256')}, expected {remote.sha256}"
    if problem:
        corrupt = dest.with_name(dest.name + ".corrupt")
        os.replace(part, corrupt)
        raise DownloadError(
            f"{remote.url} arrived damaged or changed: {problem}. The file is kept for "
            f"inspection as {corrupt} (delete it when done); run the command again to "
            f"download afresh. If it fails again, a proxy may be altering the download: "
            f"open {remote.url} in a browser (log in to the network if it asks), "
            f"or fetch it by hand and compare.")
    os.replace(part, dest)
    return dest


# --------------------------------------------------------------------------- archives


def _record_checksum(work: Path, name: str, path: Path, quiet: bool) -> None:
    """Store the SHA-256 of a download that has no published checksum; compare if seen before."""
    store = work / "checksums.json"
    known = json.loads(store.read_text()) if store.exists() else {}
    digest = _digest(path, "sha256")
    if name in known and known[name] != digest:
        _say(f"warning: {name} has SHA-256 {digest}, but an earlier download had {known[name]}; "
             f"the source has changed since (or one download was altered)", quiet)
    known[name] = digest
    store.write_text(json.dumps(known, indent=1, sort_keys=True))
    _say(f"{name}: no published checksum; SHA-256 {digest} recorded in {store}", quiet)


def _check_members(archive: Path) -> None:
    """Refuse a zip that is not one, or that names a path outside the folder it unpacks to.

    pooch unpacks with :meth:`zipfile.ZipFile.extractall`, which already keeps every file
    inside the target (it drops ``..`` and leading ``/``), but silently renames such an
    entry. An official corpus never holds one, so we refuse the archive instead.
    """
    try:
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
    except zipfile.BadZipFile as exc:
        raise DownloadError(f"{archive} is not a valid zip file ({exc}). Delete it and run the "
                            f"command again; if it fails again, download it by hand.") from None
    for name in names:
        if name.startswith(("/", "\\")) or ".." in Path(name.replace("\\", "/")).parts:
            raise DownloadError(f"{archive} holds an unsafe path {name!r}; not unpacking it")


def _safe_extract(archive: Path, target: Path) -> None:
    """Unpack ``archive`` into ``target`` with ``pooch.Unzip``, after :func:`_check_members`.

    pooch's log line is silenced (we print our own); macOS resource forks
    (``__MACOSX/``) are removed afterwards.
    """
    import logging

    import pooch

    _check_members(archive)
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        pooch.Unzip(extract_dir=str(target))(str(archive), "download", None)
    finally:
        logger.setLevel(level)
    shutil.rmtree(target / "__MACOSX", ignore_errors=True)


def _count(folder: Path, pattern: str) -> int:
    """Number of audio files (.wav/.flac) matching ``pattern`` below ``folder``."""
    if not folder.is_dir():
        return 0
    return sum(1 for p in folder.glob(pattern) if p.is_file() and is_audio(p))


def _content_root(extracted: Path, pattern: str) -> Path:
    """The folder inside an unpacked archive that holds the layout (skips one wrapper folder)."""
    if _count(extracted, pattern):
        return extracted
    entries = [p for p in extracted.iterdir() if p.name != "__MACOSX"]
    if len(entries) == 1 and entries[0].is_dir() and _count(entries[0], pattern):
        return entries[0]
    return extracted


def _merge(src: Path, dst: Path) -> None:
    """Move ``src``'s files into ``dst`` (no overwrites), or rename ``src`` when ``dst`` is new."""
    if not dst.exists():
        os.replace(src, dst)
        return
    for path in sorted(src.rglob("*")):
        if path.is_file():
            target = dst / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                os.replace(path, target)


def _download_archives(src: Source, root: Path, parts, force: bool, keep_archive: bool,
                       progress: bool, retries: int, quiet: bool) -> None:
    folder, work = root / src.name, root / WORK_DIR
    work.mkdir(parents=True, exist_ok=True)
    for part in parts:
        pattern, expected = src.present[part]
        if not force and _count(folder, pattern) >= expected:
            _say(f"{src.name} ({part}) is already in {folder}: skipped (--force to fetch again)", quiet)
            continue
        remote = src.archives[part]
        archive = work / remote.name
        if not archive.exists():
            _say(f"downloading {remote.url}", quiet)
            fetch(remote, archive, progress=progress, retries=retries, quiet=quiet)
            if not (remote.md5 or remote.sha256):
                _record_checksum(work, remote.name, archive, quiet)
        tmp = Path(tempfile.mkdtemp(prefix=f"{src.name}-extract-", dir=work))
        try:
            _say(f"unpacking {archive.name}", quiet)
            _safe_extract(archive, tmp)
            content = _content_root(tmp, pattern)
            found = _count(content, pattern)
            if found < expected:
                raise DownloadError(f"{archive} unpacked to {found} clips where {expected} were "
                                    f"expected; delete it and run the command again")
            _merge(content, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if not keep_archive:
            archive.unlink(missing_ok=True)
        _say(f"{src.name} ({part}): {expected} clips in {folder}", quiet)


# --------------------------------------------------------------------------- file lists

_TESS_FOLDERS = {"ps": "pleasant_surprise"}


def _list_tess(data: bytes, src: Source) -> list[Remote]:
    """Dataverse dataset JSON -> one Remote per audio file, in the official folder layout."""
    files = json.loads(data.decode("utf-8"))["data"]["latestVersion"]["files"]
    base = src.listing_url.split("/datasets/")[0]
    out = []
    for f in files:
        df = f.get("dataFile", {})
        name = df.get("filename", "")
        if not name.lower().endswith((".wav", ".flac")):
            continue
        stem = name.rsplit(".", 1)[0]
        speaker, emotion = stem.split("_")[0].upper(), stem.split("_")[-1].lower()
        speaker = "OAF" if speaker == "OA" else speaker
        sub = f"TESS_Toronto_emotional_speech_set_data/{speaker}_{_TESS_FOLDERS.get(emotion, emotion)}"
        checksum = df.get("checksum") or {}
        md5 = df.get("md5") or (checksum.get("value") if checksum.get("type") == "MD5" else None)
        out.append(Remote(f"{base}/access/datafile/{df['id']}", f"{sub}/{name}",
                          size=df.get("filesize"), md5=md5))
    return out


def _list_cremad(data: bytes, src: Source) -> list[Remote]:
    """``SentenceFilenames.csv`` -> one Remote per clip in ``AudioWAV/``."""
    out = []
    reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
    for rec in reader:
        stem = (rec.get("Filename") or "").strip()
        if stem:
            out.append(Remote(f"{src.file_base}{stem}.wav", f"AudioWAV/{stem}.wav"))
    return out


_LISTERS = {"tess": _list_tess, "cremad": _list_cremad}


def _check_wav(path: Path) -> None:
    import soundfile as sf

    try:
        sf.info(str(path))
    except Exception as exc:
        path.unlink(missing_ok=True)
        raise DownloadError(f"{path.name} is not a readable audio file ({exc}); it was removed. "
                            f"Run the command again to fetch it afresh.") from None


def _download_files(src: Source, root: Path, force: bool, progress: bool, retries: int,
                    quiet: bool, workers: int = 4) -> None:
    folder, work = root / src.name, root / WORK_DIR
    pattern, expected = src.present["all"]
    if not force and _count(folder, pattern) >= expected:
        _say(f"{src.name} is already in {folder}: skipped (--force to fetch again)", quiet)
        return
    staging = work / f"{src.name}.partial"  # kept between runs: finished files are not fetched again
    staging.mkdir(parents=True, exist_ok=True)
    _say(f"fetching the file list {src.listing_url}", quiet)
    listing = get_bytes(src.listing_url)
    remotes = _LISTERS[src.lister](listing, src) + list(src.extra)
    todo = [r for r in remotes if not (staging / r.name).exists()]
    _say(f"{src.name}: {len(remotes)} files, {len(remotes) - len(todo)} already here, "
         f"{len(todo)} to fetch", quiet)

    def one(remote: Remote) -> None:
        dest = staging / remote.name
        fetch(remote, dest, progress=False, retries=retries, quiet=True)
        if dest.suffix.lower() == ".wav" and not (remote.md5 or remote.sha256):
            _check_wav(dest)

    from concurrent.futures import ThreadPoolExecutor

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), unit="file", desc=src.name)
    errors: list[str] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for remote, fut in [(r, pool.submit(one, r)) for r in todo]:
            try:
                fut.result()
            except DownloadError as exc:
                errors.append(f"{remote.name}: {exc}")
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    if errors:
        raise DownloadError(f"{len(errors)} of {len(todo)} {src.name} files failed (first: "
                            f"{errors[0]}). The {len(todo) - len(errors)} that arrived are kept "
                            f"in {staging}; run the same command again to fetch the rest.")
    found = _count(staging, pattern)
    if found < expected:
        raise DownloadError(f"{src.name}: the source listed {found} clips, {expected} expected; "
                            f"the files are in {staging}. The source may have changed.")
    _merge(staging, folder)
    shutil.rmtree(staging, ignore_errors=True)
    _say(f"{src.name}: {found} clips in {folder}", quiet)


# --------------------------------------------------------------------------- entry point


def instructions(name: str, root: str | os.PathLike | None = None) -> str:
    """What to do by hand for a corpus that needs registration (SAVEE, IEMOCAP).

    Notebook: 04_datasets.ipynb
    """
    key = canonical_name(name)
    base = config.data_root(root)
    if key not in MANUAL_STEPS:
        return f"`serlib datasets download {key}` fetches {key} automatically ({SOURCES[key].size_note})."
    return MANUAL_STEPS[key].format(folder=base / key, root=base)


def download(name: str, root: str | os.PathLike | None = None, *, parts=None, force: bool = False,
             keep_archive: bool = False, progress: bool = True, retries: int = 2,
             quiet: bool = False, sources: dict[str, Source] | None = None) -> Path:
    """Fetch corpus ``name`` from its official source into ``root/name``; return that folder.

    ``parts`` picks archives (RAVDESS: ``("speech",)`` by default, ``("speech", "song")``
    for both). Parts already present are skipped unless ``force``. For SAVEE and IEMOCAP
    raises :class:`~serlib.errors.DownloadError` whose message lists the manual steps.

    Notebook: 04_datasets.ipynb
    """
    key = canonical_name(name)
    table = SOURCES if sources is None else sources
    src = table[key]
    base = config.data_root(root)
    if src.kind == "manual":
        raise DownloadError(f"{CORPORA[key]['full_name']} cannot be downloaded automatically.\n"
                            + instructions(key, base))
    if key == "ravdess" and base.absolute() == config.BUNDLED_DATA.absolute():
        raise DownloadError(
            f"{base / key} holds the bundled RAVDESS sample; download the full corpus into "
            f"another folder, e.g. `serlib datasets download ravdess --data-root ~/ser-data`, "
            f"then set SERLIB_DATA to that folder (or pass --data-root) to use it.")
    try:
        base.mkdir(parents=True, exist_ok=True)
        (base / WORK_DIR).mkdir(exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot write to the data root {base} ({exc}); choose a writable "
                            f"folder with --data-root DIR or SERLIB_DATA") from None
    if src.kind == "archive":
        chosen = tuple(parts) if parts else src.default_parts
        unknown = [p for p in chosen if p not in src.archives]
        if unknown:
            raise DownloadError(f"{key} has no part {', '.join(unknown)}; choose from "
                                f"{', '.join(src.archives)}")
        _download_archives(src, base, chosen, force, keep_archive, progress, retries, quiet)
    else:
        _download_files(src, base, force, progress, retries, quiet)
    return base / key
