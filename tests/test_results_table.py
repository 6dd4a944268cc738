"""The README's results are the repository's results.

Every deep row of the README must carry exactly the scores of its committed
``results/deep/<row>.json`` (written by ``scripts/deep_results.py``), and the classical
rows that are cheap enough (about 30 s together) are recomputed here on the full corpora
with the very command the README shows, then looked up in the README: a number nobody can
reproduce fails. (This is how stale cached features behind the README were found.)
"""
from __future__ import annotations

import json
import re
import sys

import pytest

from serlib import config
from serlib.cli import main

README = config.REPO_DIR / "README.md"
RESULTS = config.REPO_DIR / "results" / "deep"


def _section_rows(title: str) -> list[list[str]]:
    """The table rows (cells, stripped of bold) under the README heading ``title``."""
    text = README.read_text(encoding="utf-8")
    start = text.index(title)
    end = text.find("\n#", start + len(title))
    rows = []
    for line in text[start:end if end > 0 else None].splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([c.strip().replace("**", "") for c in line.strip().strip("|").split("|")])
    return rows[1:]  # without the header


def test_every_deep_row_in_the_readme_is_its_committed_result():
    rows = _section_rows("### Deep models")
    assert len(rows) >= 20, "the deep results table went missing from the README"
    for cells in rows:
        name, acc, uar, f1 = cells[0], cells[3], cells[4], cells[5]
        path = RESULTS / f"{name}.json"
        assert path.is_file(), f"README row {name!r} has no results/deep/{name}.json behind it"
        r = json.loads(path.read_text())
        assert not r["quick"], f"{path.name} is a quick-mode run; its numbers mean nothing"
        assert r["command"] == f"python scripts/deep_results.py {name}"
        want = [f"{100 * r[k]:.1f}" for k in ("accuracy", "uar", "macro_f1")]
        assert [acc, uar, f1] == want, f"README row {name}: {[acc, uar, f1]}, its JSON: {want}"


def test_the_table_parser_sees_a_wrong_number(tmp_path, monkeypatch):
    """The check above can fail: one digit changed in a copy of the README is caught."""
    text = README.read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith("| rav6-cnn2d |"))
    wrong = re.sub(r"\| 54\.8 \|", "| 55.8 |", line, count=1)
    assert wrong != line
    fake = tmp_path / "README.md"
    fake.write_text(text.replace(line, wrong), encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "README", fake)
    with pytest.raises(AssertionError, match="rav6-cnn2d"):
        test_every_deep_row_in_the_readme_is_its_committed_result()


SEED_PROTOCOL = ["--train", "ravdess", "--protocol", "random", "--emotions",
                 "angry,sad,disgust,happy", "--test-size", "0.25", "--seed", "7"]

#: README label, the command's arguments (as the README shows them).
CLASSICAL = [
    ("svm", ["--model", "svm", *SEED_PROTOCOL]),
    ("svm + speaker z-norm²", ["--model", "svm", *SEED_PROTOCOL, "--speaker-norm"]),
    ("svm + speaker z-norm²", ["--model", "svm", "--train", "ravdess", "--protocol", "speaker",
                               "--folds", "6", "--speaker-norm"]),
    ("svm + speaker z-norm²", ["--model", "svm", "--train", "emodb", "--protocol", "loso",
                               "--speaker-norm"]),
]


@pytest.mark.corpora
@pytest.mark.slow
@pytest.mark.parametrize("label,args", CLASSICAL,
                         ids=["seed-protocol-svm", "seed-protocol-svm-znorm", "ravdess-speaker6-svm-znorm",
                              "emodb-loso-svm-znorm"])
def test_classical_readme_rows_reproduce(label, args, corpora_root, capsys):
    """Exact on the machine that wrote the README. Another CPU may round the last bits of
    an FFT differently, which can move a clip or two across a decision boundary, so
    accuracy may differ by one test clip and UAR / macro F1 by 1.5 points - far less than
    what stale features or a changed recipe do (2+ points)."""
    assert main(["evaluate", *args, "--data-root", str(corpora_root), "--json"]) == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    got = [100 * res[k] for k in ("accuracy", "uar", "macro_f1")]
    tol = [100 / res["n_test"] + 0.05, 1.5, 1.5]
    rows = [c for c in _section_rows("### Classical models") if c[0] == label]
    close = [c for c in rows
             if all(abs(float(v) - g) <= t for v, g, t in zip(c[3:6], got, tol))]
    assert close, (f"`serlib evaluate {' '.join(args)}` gives "
                   f"{[f'{g:.1f}' for g in got]}, which no README row labelled {label!r} shows "
                   f"(rows: {[c[3:6] for c in rows]})")
