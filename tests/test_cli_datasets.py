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
    assert main(["datasets", "check", str(_tree(tmp_path)), "--json"]) == 3  # broken.wav is left out
    report = json.loads(capsys.readouterr().out)
    assert list(report) == ["emodb"]
    r = report["emodb"]
    assert set(r) == {"clips", "speakers", "seconds", "emotions", "problems", "left_out"}
    assert (r["clips"], r["speakers"], r["seconds"]) == (3, 2, 2.0)
    assert r["emotions"] == {"happy": 1, "angry": 2}
    assert len(r["problems"]) == 1 and "broken.wav" in r["problems"][0]
    assert r["left_out"] == 1


def test_check_text_with_data_root_option(tmp_path, capsys):
    assert main(["datasets", "check", "--data-root", str(_tree(tmp_path))]) == 3
    out, err = capsys.readouterr()
    assert "emodb: 3 clips, 2 speakers, 0.0 min" in out
    assert "angry" in out and "problems: 1" in out and "broken.wav" in out
    assert "emodb: 1 problem(s) left clips out" in err


def test_check_uses_env_then_bundled_sample(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(config.DATA_ENV, str(_tree(tmp_path)))
    assert main(["datasets", "check", "--json"]) == 3
    assert list(json.loads(capsys.readouterr().out)) == ["emodb"]
    monkeypatch.delenv(config.DATA_ENV)
    assert main(["datasets", "check", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report) == ["ravdess"] and report["ravdess"]["speakers"] >= 4


def test_check_empty_root_exits_nonzero(tmp_path, capsys):
    assert main(["datasets", "check", str(tmp_path)]) == 1
    assert "no corpus found" in capsys.readouterr().out


def _ravdess_clip(folder, name, seconds=0.5):
    folder.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(16000 * seconds)) / 16000
    sf.write(str(folder / name), 0.3 * np.sin(2 * np.pi * 220 * t), 16000)


def test_check_fails_on_a_corpus_with_no_usable_clip(tmp_path, capsys):
    (tmp_path / "ravdess").mkdir()  # an empty corpus folder
    assert main(["datasets", "check", str(tmp_path)]) == 3
    out, err = capsys.readouterr()
    assert "ravdess: 0 clips" in out and "ravdess has no usable clip" in err
    _ravdess_clip(tmp_path / "ravdess" / "Actor_01", "my-recording.wav")  # unknown name
    assert main(["datasets", "check", str(tmp_path), "--corpus", "ravdess", "--json"]) == 3
    r = json.loads(capsys.readouterr().out)["ravdess"]
    assert r["clips"] == 0 and "naming scheme" in r["problems"][0]


def test_check_fails_when_a_clip_disagrees_with_its_folder(tmp_path, capsys):
    actor = tmp_path / "ravdess" / "Actor_01"
    _ravdess_clip(actor, "03-01-05-01-01-01-01.wav")
    assert main(["datasets", "check", str(tmp_path)]) == 0  # one good clip: all is well
    capsys.readouterr()
    _ravdess_clip(actor, "03-01-05-01-01-01-02.wav")  # actor 02 in Actor_01's folder
    assert main(["datasets", "check", str(tmp_path), "--json"]) == 3
    r = json.loads(capsys.readouterr().out)["ravdess"]
    assert r["clips"] == 1 and r["left_out"] == 1
    assert "actor field 02 disagrees with its folder Actor_01" in r["problems"][0]


def test_strict_also_fails_on_problems_that_kept_the_clip(tmp_path, capsys):
    folder = tmp_path / "tess" / "OAF_neutral"
    _ravdess_clip(folder, "OAF_back_neutral.wav")
    _ravdess_clip(folder, "OA_bite_neutral.wav")  # prefix OA: kept, speaker from the folder
    assert main(["datasets", "check", str(tmp_path), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)["tess"]
    assert r["clips"] == 2 and r["left_out"] == 0 and "kept" in r["problems"][0]
    assert main(["datasets", "check", str(tmp_path), "--strict"]) == 3
    assert "tess: 1 problem(s) (--strict)" in capsys.readouterr().err


def test_check_help_lists_the_exit_statuses(capsys):
    with pytest.raises(SystemExit):
        main(["datasets", "check", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "exit status: 0" in out and "3 a corpus has no usable clip" in out and "--strict" in out


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
