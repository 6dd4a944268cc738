"""The class report: what a whole class taught itself with the image-prompt session.

The teacher gathers the students' session folders (copied into one folder, or the zips
students uploaded) and asks for the report::

    from serlib import demo
    report = demo.class_report("collected/")        # a parent folder, session folders or .zip files
    report.confusion()                              # expected x heard, every take
    report.students                                 # one row per student (session folder)
    fig, axes = report.plot()

    serlib demo report collected/ --out class.png   # the same from the command line

A *student* is one session folder, named by its folder (or by its zip file when the zip
holds one session). Verdicts come from each folder's ``results.csv`` as they were shown
in class; where a session ran with speaker adaptation, the adapted verdicts
(``detected_adapted``) give a second confusion matrix and a second accuracy column.
A folder that cannot be read (no ``results.csv``, a broken CSV, a newer session format,
an unreadable zip) is listed in :attr:`ClassReport.problems` and left out; a WAV that
does not open is listed too, but its verdict, given in class, still counts. Nothing
stops the report.

Notebook: 10_live_demo.ipynb
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from serlib.datasets.vocabulary import order_emotions
from serlib.demo.session import NOTHING_HEARD

#: session.json formats this report reads (1: no "format" key, before speaker adaptation).
KNOWN_FORMATS = (1, 2)
#: Columns a results.csv must have to be read at all.
REQUIRED_COLUMNS = ("index", "expected", "detected", "status")
#: The take status of a calibration prompt (no verdict; left out of the report).
CALIBRATION = "calibration"


@dataclass
class Problem:
    """Something wrong with one session folder or zip; ``skipped`` when it was left out."""

    source: str
    message: str
    skipped: bool = True

    def __str__(self) -> str:
        return f"{self.source}: {self.message}" + (" (left out)" if self.skipped else "")


@dataclass
class ClassReport:
    """The report over many sessions; made by :func:`class_report`.

    Attributes:
        takes: one row per take (calibration takes excluded): ``student``, ``index``,
            ``expected``, ``heard``, ``matched``, ``heard_adapted`` / ``matched_adapted``
            (empty where the session had no adaptation), ``status``, ``wav`` (empty where
            the session kept no recordings), ``prompt`` (the picture's name).
        problems: a :class:`Problem` per bad folder, zip or WAV.

    Notebook: 10_live_demo.ipynb
    """

    takes: object  # pandas.DataFrame
    problems: list = field(default_factory=list)
    _tmp: object = field(default=None, repr=False)  # keeps extracted zips alive

    @property
    def has_adaptation(self) -> bool:
        """True when at least one session judged its takes with speaker adaptation."""
        return bool(self.takes["adapted"].any()) if len(self.takes) else False

    def emotions(self) -> list[str]:
        """Every emotion expected or heard, in serlib's teaching order."""
        heard = set(self.takes["heard"]) | set(self.takes["heard_adapted"].dropna())
        return order_emotions((set(self.takes["expected"]) | heard) - {NOTHING_HEARD})

    def confusion(self, adapted: bool = False):
        """Expected (rows) x heard (columns) counts over every take, as a DataFrame.

        The last column counts the takes where nothing was heard. With ``adapted=True``
        only sessions that ran with speaker adaptation count, judged by their adapted
        verdict.

        Notebook: 10_live_demo.ipynb
        """
        import pandas as pd

        takes = self.takes[self.takes["adapted"]] if adapted else self.takes
        column = "heard_adapted" if adapted else "heard"
        names = self.emotions()
        expected = order_emotions(set(takes["expected"])) if len(takes) else []
        table = pd.crosstab(pd.Categorical(takes["expected"], categories=expected),
                            pd.Categorical(takes[column], categories=names + [NOTHING_HEARD]),
                            dropna=False)
        table.index.name, table.columns.name = "expected", "heard"
        return table

    @property
    def students(self):
        """One row per student: takes, judged, nothing heard, matched, accuracy (matched
        over judged takes), and the same with adaptation (NaN where a session had none).

        Notebook: 10_live_demo.ipynb
        """
        import pandas as pd

        rows = []
        for student, takes in self.takes.groupby("student", sort=False):
            judged = takes[takes["status"] == "ok"]
            adapted = judged[judged["adapted"]]
            rows.append({
                "student": student, "takes": len(takes), "judged": len(judged),
                "nothing_heard": len(takes) - len(judged), "matched": int(judged["matched"].sum()),
                "accuracy": judged["matched"].mean() if len(judged) else float("nan"),
                "matched_adapted": int(adapted["matched_adapted"].sum()) if len(adapted) else None,
                "accuracy_adapted": adapted["matched_adapted"].mean() if len(adapted) else float("nan"),
            })
        columns = ["student", "takes", "judged", "nothing_heard", "matched", "accuracy",
                   "matched_adapted", "accuracy_adapted"]
        return pd.DataFrame(rows, columns=columns).set_index("student")

    @property
    def nothing_heard(self):
        """The takes where nothing was heard (too quiet, no speech): who, which picture."""
        silent = self.takes[self.takes["status"] != "ok"]
        return silent[["student", "index", "expected", "status", "wav"]].reset_index(drop=True)

    def accuracy(self, adapted: bool = False) -> float:
        """Matched over judged takes, over the whole class (NaN when nothing was judged)."""
        judged = self.takes[self.takes["status"] == "ok"]
        if adapted:
            judged = judged[judged["adapted"]]
            return float(judged["matched_adapted"].mean()) if len(judged) else float("nan")
        return float(judged["matched"].mean()) if len(judged) else float("nan")

    def chance(self) -> float:
        """The accuracy of guessing among the pictures' emotions (1 / their number)."""
        return 1 / max(self.takes["expected"].nunique(), 1)

    def summary(self) -> str:
        """A few sentences for the class: how many students and takes, how often it matched."""
        n_students = self.takes["student"].nunique() if len(self.takes) else 0
        judged = int((self.takes["status"] == "ok").sum())
        text = (f"{n_students} students, {len(self.takes)} takes: {judged} judged, "
                f"{len(self.takes) - judged} with nothing heard.")
        if judged:
            text += (f" The heard emotion matched the picture's in {self.accuracy():.0%} of the "
                     f"judged takes (guessing: about {self.chance():.0%}).")
        if self.has_adaptation:
            text += f" With speaker adaptation: {self.accuracy(adapted=True):.0%}."
        skipped = [p for p in self.problems if p.skipped]
        if skipped:
            text += f" {len(skipped)} folder(s) left out (see problems)."
        return text

    def to_dict(self) -> dict:
        """Everything as plain JSON-ready data (``serlib demo report --json``)."""
        def clean(value):
            return None if isinstance(value, float) and not np.isfinite(value) else value

        confusion = {"labels": list(self.confusion().columns.astype(str)),
                     "expected": list(self.confusion().index.astype(str)),
                     "counts": self.confusion().to_numpy().tolist()}
        out = {"summary": self.summary(), "accuracy": clean(self.accuracy()),
               "confusion": confusion, "adapted": None,
               "students": [{k: clean(v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                            for row in self.students.reset_index().to_dict("records")],
               "nothing_heard": self.nothing_heard.to_dict("records"),
               "problems": [{"source": p.source, "message": p.message, "skipped": p.skipped}
                            for p in self.problems]}
        if self.has_adaptation:
            table = self.confusion(adapted=True)
            out["adapted"] = {"accuracy": clean(self.accuracy(adapted=True)),
                              "labels": list(table.columns.astype(str)),
                              "expected": list(table.index.astype(str)),
                              "counts": table.to_numpy().tolist()}
        return out

    def plot(self, *, width: float = 14.0):
        """Confusion matrix (with adaptation beside it, where sessions had it) and the
        students' accuracy against guessing. Returns ``(fig, axes)``.

        Notebook: 10_live_demo.ipynb
        """
        import matplotlib.pyplot as plt

        panels = 3 if self.has_adaptation else 2
        fig, axes = plt.subplots(1, panels, figsize=(width, width / panels * 0.95),
                                 gridspec_kw={"width_ratios": [1.15] * (panels - 1) + [1]})
        _plot_confusion(axes[0], self.confusion(), "What the model heard")
        if self.has_adaptation:
            _plot_confusion(axes[1], self.confusion(adapted=True), "... adapted to each voice")
        _plot_students(axes[-1], self.students, chance=self.chance())
        fig.suptitle(self.summary(), fontsize=10, wrap=True)
        if fig.get_layout_engine() is None:  # notebooks set constrained layout
            fig.tight_layout()
        return fig, axes


def _plot_confusion(ax, table, title: str) -> None:
    counts = table.to_numpy()
    rows = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    labels = [("nothing" if c == NOTHING_HEARD else c) for c in table.columns]
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(table.index)), list(table.index))
    ax.set_xlabel("heard (model's verdict)")
    ax.set_ylabel("expected (the picture's emotion)")
    ax.set_title(title)
    ax.grid(False)
    for (r, c), n in np.ndenumerate(counts):
        if n:
            ax.text(c, r, str(n), ha="center", va="center", fontsize=9,
                    color="white" if share[r, c] > 0.55 else "black")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.03, label="share of the row's takes")


def _plot_students(ax, students, chance: float) -> None:
    y = np.arange(len(students))
    adapted = students["accuracy_adapted"].notna().any()
    height = 0.4 if adapted else 0.7
    ax.barh(y - (height / 2 if adapted else 0), students["accuracy"].fillna(0) * 100, height,
            color="#4c6ef5", label="as heard")
    if adapted:
        ax.barh(y + height / 2, students["accuracy_adapted"].fillna(0) * 100, height,
                color="#2b8a3e", label="adapted to the voice")
    ax.axvline(chance * 100, color="#868e96", linestyle="--", label=f"guessing ({chance:.0%})")
    ax.set_yticks(y, [f"{s} ({n})" for s, n in zip(students.index, students["judged"])])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("matched the picture (% of judged takes)")
    ax.set_title("Per student (judged takes)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=3, fontsize=9, frameon=False)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)


# --------------------------------------------------------------------------- reading


def _is_session(folder: Path) -> bool:
    return (folder / "session.json").is_file() or (folder / "results.csv").is_file()


def _find_sessions(root: Path) -> list[Path]:
    """Session folders at or below ``root`` (a folder with session.json or results.csv)."""
    if _is_session(root):
        return [root]
    found = {p.parent for name in ("session.json", "results.csv") for p in root.rglob(name)}
    return sorted(found)


def _open_zip(path: Path, tmp: Path, problems: list) -> list[tuple[str, Path]]:
    target = tmp / f"{len(list(tmp.iterdir()))}_{path.stem}"
    try:
        with zipfile.ZipFile(path) as zf:
            zf.extractall(target)  # extractall drops absolute paths and '..' parts
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        problems.append(Problem(path.name, f"the zip cannot be read ({exc}): ask the student to "
                                           "zip the session folder again and re-upload it"))
        return []
    sessions = _find_sessions(target)
    if not sessions:
        problems.append(Problem(path.name, "the zip holds no session folder (no results.csv or "
                                           "session.json inside)"))
    if len(sessions) == 1:
        return [(path.stem, sessions[0])]
    return [(f"{path.stem}/{s.relative_to(target).as_posix()}", s) for s in sessions]


def _gather(sources, tmp_factory, problems: list) -> list[tuple[str, Path]]:
    """(student name, session folder) for every source: folders, parents and zips."""
    found: list[tuple[str, Path]] = []
    for source in sources:
        path = Path(source).expanduser()
        if path.is_file() and path.suffix.lower() == ".zip":
            found += _open_zip(path, tmp_factory(), problems)
        elif path.is_dir() and _is_session(path):
            found.append((path.name, path))
        elif path.is_dir():
            zips = sorted(path.glob("*.zip"))
            sessions = _find_sessions(path)
            if not sessions and not zips:
                problems.append(Problem(str(path), "no session folders in it (folders holding "
                                                   "results.csv and session.json), and no zips"))
            found += [(s.relative_to(path).as_posix(), s) for s in sessions]
            for z in zips:
                found += _open_zip(z, tmp_factory(), problems)
        else:
            problems.append(Problem(str(path), "does not exist: give session folders, a folder "
                                               "holding them, or .zip files"))
    return found


def _read_session(student: str, folder: Path, problems: list):
    """The takes of one session folder as a DataFrame, or None when it cannot be read."""
    import pandas as pd

    from serlib import __version__

    meta = {}
    meta_path = folder / "session.json"
    if meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text())
        except (ValueError, OSError) as exc:
            problems.append(Problem(student, f"session.json cannot be read ({exc}); the results "
                                             "are read without it", skipped=False))
    fmt = meta.get("format", 1)
    if fmt not in KNOWN_FORMATS:
        problems.append(Problem(student, f"written by serlib {meta.get('serlib_version', '?')} in "
                                         f"session format {fmt}, which this serlib ({__version__}) "
                                         "does not read: update serlib (pip install -U serlib)"))
        return None
    version = meta.get("serlib_version")
    if version and version != __version__:
        problems.append(Problem(student, f"written by serlib {version} (this is {__version__}); "
                                         f"read as format {fmt}", skipped=False))
    csv = folder / "results.csv"
    if not csv.is_file():
        problems.append(Problem(student, "no results.csv: the session recorded nothing, or the "
                                         "folder was copied without it"))
        return None
    try:
        table = pd.read_csv(csv)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        problems.append(Problem(student, f"results.csv cannot be read ({exc})"))
        return None
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        problems.append(Problem(student, f"results.csv lacks the columns {missing}: not a "
                                         "session's results"))
        return None
    table = table[table["status"].astype(str) != CALIBRATION]
    _check_wavs(student, folder, table, problems)
    ok = table["status"].astype(str) == "ok"
    heard = table["detected"].astype(str).where(ok, NOTHING_HEARD)
    adapted_on = "detected_adapted" in table.columns and bool(
        meta.get("adaptation", {}).get("enabled", table["detected_adapted"].notna().any()))
    if adapted_on:
        raw = table["detected_adapted"]
        heard_adapted = raw.astype(str).where(ok & raw.notna(), heard)
    else:
        heard_adapted = pd.Series([None] * len(table), index=table.index, dtype=object)
    expected = table["expected"].astype(str)
    return pd.DataFrame({
        "student": student, "index": table["index"].astype(int), "expected": expected,
        "heard": heard, "matched": ok & (heard == expected), "status": table["status"].astype(str),
        "adapted": adapted_on, "heard_adapted": heard_adapted,
        "matched_adapted": ok & (heard_adapted == expected) if adapted_on else False,
        "wav": table["wav"].fillna("").astype(str) if "wav" in table.columns else "",
        "prompt": table["prompt"].astype(str) if "prompt" in table.columns else "",
    })


def _check_wavs(student: str, folder: Path, table, problems: list) -> None:
    import soundfile as sf

    if "wav" not in table.columns:
        return
    bad = []
    for name in table["wav"].dropna().astype(str):
        try:
            sf.info(str(folder / name))
        except (RuntimeError, OSError, sf.LibsndfileError):
            bad.append(name)
    if bad:
        problems.append(Problem(student, f"{len(bad)} recording(s) do not open ({', '.join(bad[:3])}"
                                         f"{', ...' if len(bad) > 3 else ''}); their verdicts, given "
                                         "in class, still count", skipped=False))


def class_report(folders) -> ClassReport:
    """Read many session folders into one :class:`ClassReport`.

    Args:
        folders: a session folder, a folder holding session folders (at any depth) and/or
            ``.zip`` files of them, a ``.zip`` file, or a list of any of these.

    Bad folders never stop the report: each is listed in ``report.problems``.

    Notebook: 10_live_demo.ipynb
    """
    import pandas as pd

    if isinstance(folders, (str, os.PathLike)):
        folders = [folders]
    problems: list[Problem] = []
    holder: list = []

    def tmp_factory() -> Path:
        if not holder:
            holder.append(tempfile.TemporaryDirectory(prefix="serlib-report-"))
        return Path(holder[0].name)

    parts, names = [], set()
    for student, folder in _gather(folders, tmp_factory, problems):
        unique, k = student, 2
        while unique in names:
            unique, k = f"{student} ({k})", k + 1
        names.add(unique)
        part = _read_session(unique, folder, problems)
        if part is not None:
            parts.append(part)
    columns = ["student", "index", "expected", "heard", "matched", "status", "adapted",
               "heard_adapted", "matched_adapted", "wav", "prompt"]
    takes = (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns))
    takes["adapted"] = takes["adapted"].astype(bool)
    return ClassReport(takes=takes[columns], problems=problems, _tmp=holder[0] if holder else None)


def replayed_class(parent, prompts=None, *, model=None, speakers: int = 4, table=None,
                   seed: int = 0) -> list[Path]:
    """Make one session per speaker from corpus clips, as if each speaker were a student.

    For trying the class report without a class: speaker *k*'s session replays, for each
    picture, a clip of that speaker with the picture's emotion (a random one of theirs
    when they have none). ``table`` is a corpus table (default: the bundled RAVDESS
    sample); sessions go to ``parent/<speaker>/``. Returns the session folders.

    Notebook: 10_live_demo.ipynb
    """
    from serlib.demo.images import find_prompts
    from serlib.demo.recorders import FileRecorder
    from serlib.demo.session import Session

    if table is None:
        from serlib.datasets import load_sample

        table = load_sample()
    if model is None:
        from serlib.predict import load_model

        model = load_model()
    prompts = list(prompts) if prompts is not None else find_prompts()
    rng = np.random.default_rng(seed)
    folders = []
    for speaker in sorted(table["speaker"].unique())[:speakers]:
        own = table[table["speaker"] == speaker].sort_values("path")
        clips = []
        for prompt in prompts:
            rows = own[own["emotion"] == prompt.emotion]
            rows = rows if len(rows) else own
            clips.append(rows["path"].iloc[int(rng.integers(len(rows)))])
        session = Session(prompts, model, folder=Path(parent) / str(speaker),
                          recorder_name=f"file recorder ({speaker})")
        session.run(FileRecorder(clips))
        folders.append(session.folder)
    return folders
