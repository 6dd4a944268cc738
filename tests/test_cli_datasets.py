"""``serlib datasets``: check (text and JSON), list, labels and download, run through the CLI."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from serlib import config
from serlib.cli import main
from serlib.datasets import label_mapping_table


def _tree(root):
    for name, secs in (("03a01Fa.wav", 0.5), ("09a02Wa.wav", 1.0), ("09a02Wb.wav", 0.5)):
        path = root / "emodb" / "wav" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(path), np.zeros(int(16000 * secs)), 16000)
    (root / "emodb" / "wav" / "broken.wav").write_bytes(b"RIFF")
    return root


def test_check_json_on_root_argument(tmp_path, capsys):
    assert main(["datasets", "check", str(_tree(tmp_path)), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report) == ["emodb"]
    r = report["emodb"]
    assert set(r) == {"clips", "speakers", "seconds", "emotions", "problems"}
    assert (r["clips"], r["speakers"], r["seconds"]) == (3, 2, 2.0)
    assert r["emotions"] == {"happy": 1, "angry": 2}
    assert len(r["problems"]) == 1 and "broken.wav" in r["problems"][0]


def test_check_text_with_data_root_option(tmp_path, capsys):
    assert main(["datasets", "check", "--data-root", str(_tree(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "emodb: 3 clips, 2 speakers, 0.0 min" in out
    assert "angry" in out and "problems: 1" in out and "broken.wav" in out


def test_check_uses_env_then_bundled_sample(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(config.DATA_ENV, str(_tree(tmp_path)))
    assert main(["datasets", "check", "--json"]) == 0
    assert list(json.loads(capsys.readouterr().out)) == ["emodb"]
    monkeypatch.delenv(config.DATA_ENV)
    assert main(["datasets", "check", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report) == ["ravdess"] and report["ravdess"]["speakers"] >= 4


def test_check_empty_root_exits_nonzero(tmp_path, capsys):
    assert main(["datasets", "check", str(tmp_path)]) == 1
    assert "no corpus found" in capsys.readouterr().out


def test_list_labels_and_manual_download(tmp_path, capsys):
    _tree(tmp_path)
    assert main(["datasets", "list", "--data-root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "emodb" in out and "present" in out and "serlib datasets download ravdess" in out
    assert main(["datasets", "labels"]) == 0
    assert capsys.readouterr().out.strip() == label_mapping_table().strip()
    assert main(["datasets", "download", "iemocap", "--data-root", str(tmp_path)]) == 1
    assert "Session1" in capsys.readouterr().out


def test_download_errors_are_clean_messages(tmp_path, capsys, monkeypatch):
    from serlib.datasets import download as dl

    monkeypatch.setitem(dl.SOURCES, "emodb", dl.Source(
        "emodb", "archive", archives={"all": dl.Remote("http://127.0.0.1:9/download.zip", "download.zip")},
        default_parts=("all",), present={"all": ("wav/*", 535)}))
    assert main(["datasets", "download", "emodb", "--data-root", str(tmp_path / "new"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("serlib datasets: could not reach 127.0.0.1:9")


def test_unknown_corpus_name_is_rejected(capsys):
    with pytest.raises(SystemExit):
        main(["datasets", "download", "timit"])


@pytest.mark.corpora
def test_check_cli_full_corpora(corpora_root):
    out = subprocess.run([sys.executable, "-m", "serlib", "datasets", "check", str(corpora_root), "--json"],
                         capture_output=True, text=True, check=True).stdout
    report = json.loads(out)
    assert report["ravdess"]["clips"] == 1440 and report["ravdess"]["speakers"] == 24
    assert report["tess"]["clips"] == 2800 and report["tess"]["speakers"] == 2
    assert report["emodb"]["clips"] == 535 and report["emodb"]["speakers"] == 10
    assert report["emodb"]["emotions"]["angry"] == 127 and report["emodb"]["emotions"]["boredom"] == 81
