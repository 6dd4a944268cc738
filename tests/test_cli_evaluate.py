"""The command line: serlib evaluate, serlib predict, serlib train."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from serlib.cli import main


from helpers import sample_clips

def test_evaluate_help_lists_the_models(capsys):
    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    out = capsys.readouterr().out
    for name in ("seed-mlp", "mlp", "svm", "logreg", "forest", "cnn1d", "resnet", "multi"):
        assert name in out
    for option in ("--protocol", "--emotions", "--test-size", "--folds", "--seed",
                   "--data-root", "--json", "--train", "--test"):
        assert option in out


def test_evaluate_json_on_the_sample(sample_root, capsys):
    code = main(["evaluate", "--model", "logreg", "--train", "ravdess", "--protocol", "random",
                 "--emotions", "angry,sad", "--test-size", "0.3", "--seed", "7",
                 "--data-root", str(sample_root), "--json"])
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    res = json.loads(lines[0])
    for key in ("protocol", "train", "test", "emotions", "n_test", "accuracy", "uar",
                "macro_f1", "folds"):
        assert key in res
    assert res["protocol"] == "random" and res["train"] == ["ravdess"]
    assert res["emotions"] == ["sad", "angry"] and len(res["folds"]) == 1
    assert res["n_test"] == res["folds"][0]["n_test"]
    assert 0.0 <= res["accuracy"] <= 1.0


def test_evaluate_table_and_user_errors(sample_root, capsys):
    code = main(["evaluate", "--model", "logreg", "--train", "ravdess", "--protocol", "loso",
                 "--emotions", "angry,sad", "--speaker-norm", "--data-root", str(sample_root)])
    assert code == 0
    out = capsys.readouterr().out
    assert "protocol loso" in out and "mean" in out and out.count("\n") > 8
    assert "speaker-normalised" in out
    assert main(["evaluate", "--model", "logreg", "--emotions", "angry,grumpy",
                 "--data-root", str(sample_root)]) == 2
    assert "grumpy" in capsys.readouterr().err
    assert main(["evaluate", "--train", "emodb", "--data-root", str(sample_root)]) == 2
    assert "emodb" in capsys.readouterr().err.lower()


def test_predict_json_lines(sample_root, capsys):
    clips = sample_clips(sample_root, 2)
    assert main(["predict", *clips, "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    for clip, line in zip(clips, lines):
        obj = json.loads(line)
        assert obj["file"] == clip and obj["emotion"] in obj["probabilities"]
        assert sum(obj["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)


def test_predict_bad_file_and_bad_model(sample_root, tmp_path, capsys):
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF\x00\x00")
    assert main(["predict", str(bad)]) == 2
    assert "broken.wav" in capsys.readouterr().err
    assert main(["predict", sample_clips(sample_root, 1)[0], "--model",
                 str(tmp_path / "none.skops")]) == 2
    assert "serlib train" in capsys.readouterr().err


def test_predict_does_not_import_tensorflow(sample_root):
    code = ("import sys; from serlib.cli import main; "
            f"rc = main(['predict', {sample_clips(sample_root, 1)[0]!r}]); "
            "print('TF' if 'tensorflow' in sys.modules else 'noTF', rc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "noTF 0"


def test_train_then_predict_with_the_new_model(sample_root, tmp_path, capsys):
    out = tmp_path / "m.skops"
    assert main(["train", "--model", "logreg", "--train", "ravdess", "--emotions", "angry,sad",
                 "--out", str(out), "--data-root", str(sample_root)]) == 0
    assert out.is_file() and out.with_suffix(".json").is_file()
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["emotions"] == ["angry", "sad"]
    assert meta["command"].startswith("serlib train --model logreg --train ravdess")
    assert str(tmp_path) not in meta["command"]
    capsys.readouterr()
    assert main(["predict", sample_clips(sample_root, 1)[0], "--model", str(out), "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert set(obj["probabilities"]) == {"angry", "sad"}
