"""Corpus loaders, the bundled sample, the label mapping and the data-root check.

Corpora we do not have (SAVEE, CREMA-D, IEMOCAP) are tested on small trees written
here with real (short) audio files and names taken from each corpus' documentation,
including malformed names that must be reported and never guessed.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from serlib import config
from serlib.datasets import (CORPORA, EMOTIONS, LABEL_MAP, available_corpora, check,
                             label_mapping_frame, label_mapping_table, load_corpora,
                             load_corpus, load_sample)
from serlib.datasets.table import BASE_COLUMNS
from serlib.errors import DatasetError

SR = 16000


def write_clip(path: Path, seconds: float = 0.1, freq: float = 220.0) -> Path:
    """A short real tone at ``path`` (format from the extension: .wav/.flac, any case)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * SR)) / SR
    fmt = "FLAC" if path.suffix.lower() == ".flac" else "WAV"
    sf.write(str(path), 0.3 * np.sin(2 * np.pi * freq * t), SR, format=fmt)
    return path


def assert_base_columns(df):
    assert list(df.columns[: len(BASE_COLUMNS)]) == list(BASE_COLUMNS)
    assert set(df["emotion"]) <= set(EMOTIONS)
    assert set(df["gender"]) <= {"male", "female", "unknown"}
    assert all(Path(p).is_file() for p in df["path"])


# --------------------------------------------------------------------------- sample


def test_sample_has_both_genders_all_emotions_and_fits_budget():
    df = load_sample()
    assert_base_columns(df)
    assert df["speaker"].nunique() >= 4
    assert set(df["gender"]) == {"male", "female"}
    assert set(df["emotion"]) == set(LABEL_MAP["ravdess"].values())
    assert set(df["intensity"]) == {"normal", "strong"}
    assert df["statement"].nunique() == 2
    assert df.attrs["problems"] == []
    files = list((config.BUNDLED_DATA / "ravdess").rglob("*"))
    size = sum(f.stat().st_size for f in files if f.is_file())
    assert size <= 15 * 1024 * 1024
    for f in files:
        if f.is_file():
            assert re.fullmatch(r"Actor_\d\d", f.parent.name) and f.suffix == ".flac"
            assert sf.info(str(f)).samplerate == SR


def test_sample_is_the_default_root_without_env(monkeypatch):
    monkeypatch.delenv(config.DATA_ENV, raising=False)
    assert "ravdess" in available_corpora()
    assert len(load_corpus("RAVDESS")) == len(load_sample())


def test_data_readme_has_attribution_and_mapping_table():
    text = (config.BUNDLED_DATA / "README.md").read_text(encoding="utf-8")
    for needed in ("CC BY-NC-SA 4.0", "Livingstone", "e0196391", "1188976", "16 kHz"):
        assert needed in text
    assert label_mapping_table() in text


# --------------------------------------------------------------------------- RAVDESS


def test_ravdess_speech_song_and_bad_names(tmp_path):
    root = tmp_path
    a = root / "ravdess"
    write_clip(a / "Actor_01" / "03-01-05-02-01-01-01.wav")   # speech, angry, strong
    write_clip(a / "Actor_01" / "03-02-03-01-02-02-01.WAV")   # song, happy (upper-case ext)
    write_clip(a / "Actor_12" / "03-01-01-01-01-01-12.flac")  # neutral, female
    write_clip(a / "Actor_12" / "03-01-01-02-01-01-12.wav")   # neutral + strong: impossible
    write_clip(a / "Actor_12" / "03-02-08-01-01-01-12.wav")   # song has no surprised
    write_clip(a / "Actor_12" / "03-01-09-01-01-01-12.wav")   # emotion 09
    write_clip(a / "Actor_12" / "03-01-05-01-01-01-07.wav")   # actor 07 in Actor_12
    write_clip(a / "Actor_12" / "03-01-05-01-01-12.wav")      # six fields
    write_clip(a / "Actor_12" / "._03-01-05-01-01-01-12.wav")  # macOS resource fork: skipped
    (a / "Actor_12" / "notes.txt").write_text("not audio")
    df = load_corpus("ravdess", root)
    assert_base_columns(df)
    assert len(df) == 3
    rows = {Path(p).name: r for p, r in zip(df["path"], df.to_dict("records"))}
    r = rows["03-01-05-02-01-01-01.wav"]
    assert (r["speaker"], r["gender"], r["emotion"], r["label"]) == ("ravdess-01", "male", "angry", "05")
    assert (r["intensity"], r["vocal_channel"], r["repetition"], r["actor"]) == ("strong", "speech", 1, 1)
    assert r["statement"] == "Kids are talking by the door"
    s = rows["03-02-03-01-02-02-01.WAV"]
    assert (s["vocal_channel"], s["emotion"], s["statement"]) == ("song", "happy",
                                                                   "Dogs are sitting by the door")
    assert rows["03-01-01-01-01-01-12.flac"]["gender"] == "female"
    problems = df.attrs["problems"]
    assert len(problems) == 5
    joined = "\n".join(problems)
    for name in ("03-01-01-02-01-01-12.wav", "03-02-08-01-01-01-12.wav", "03-01-09-01-01-01-12.wav",
                 "03-01-05-01-01-01-07.wav", "03-01-05-01-01-12.wav"):
        assert name in joined


# --------------------------------------------------------------------------- TESS


@pytest.mark.parametrize("outer", ["TESS_Toronto_emotional_speech_set_data", ""])
def test_tess_layouts_and_quirks(tmp_path, outer):
    t = tmp_path / "tess" / outer if outer else tmp_path / "tess"
    write_clip(t / "OAF_angry" / "OAF_back_angry.wav")
    write_clip(t / "YAF_pleasant_surprised" / "YAF_bar_ps.wav")    # Kaggle folder spelling
    write_clip(t / "OAF_Pleasant_surprise" / "OAF_base_ps.flac")
    write_clip(t / "OAF_neutral" / "OA_bite_neutral.wav")          # real typo in the release
    write_clip(t / "YAF_fear" / "YAF_chalk_fear.wav")
    write_clip(t / "YAF_fear" / "YAF_chalk_angry.wav")             # emotion disagrees with folder
    write_clip(t / "YAF_fear" / "OAF_chalk_fear.wav")              # speaker disagrees with folder
    write_clip(t / "YAF_fear" / "YAF_chalk_scared.wav")            # unknown emotion
    write_clip(t / "loose" / "XX_word_sad.wav")                    # unknown speaker, no folder hint
    df = load_corpus("tess", tmp_path)
    assert_base_columns(df)
    by_name = {Path(p).name: r for p, r in zip(df["path"], df.to_dict("records"))}
    assert set(by_name) == {"OAF_back_angry.wav", "YAF_bar_ps.wav", "OAF_base_ps.flac",
                            "OA_bite_neutral.wav", "YAF_chalk_fear.wav"}
    assert by_name["YAF_bar_ps.wav"]["emotion"] == "surprised"
    assert by_name["YAF_bar_ps.wav"]["speaker"] == "tess-YAF"
    assert by_name["YAF_bar_ps.wav"]["age"] == 26
    assert by_name["OA_bite_neutral.wav"]["speaker"] == "tess-OAF"
    assert by_name["OAF_back_angry.wav"]["word"] == "back"
    assert by_name["YAF_chalk_fear.wav"]["emotion"] == "fearful"
    assert set(df["gender"]) == {"female"}
    problems = "\n".join(df.attrs["problems"])
    assert len(df.attrs["problems"]) == 5   # 4 rejected + the kept OA_ file
    for name in ("OA_bite_neutral", "YAF_chalk_angry", "OAF_chalk_fear", "YAF_chalk_scared", "XX_word_sad"):
        assert name in problems


# --------------------------------------------------------------------------- SAVEE


def test_savee_original_and_kaggle_layouts(tmp_path):
    s = tmp_path / "savee"
    write_clip(s / "AudioData" / "DC" / "a01.wav")
    write_clip(s / "AudioData" / "KL" / "n30.wav")
    write_clip(s / "AudioData" / "JE" / "sa03.wav")
    write_clip(s / "ALL" / "JK_sa15.wav")
    write_clip(s / "ALL" / "JE_su01.wav")
    write_clip(s / "ALL" / "DC_d10.wav")
    write_clip(s / "ALL" / "XY_a01.wav")        # unknown speaker
    write_clip(s / "ALL" / "DC_x01.wav")        # unknown code
    write_clip(s / "ALL" / "DC_a16.wav")        # only 15 angry sentences
    write_clip(s / "ALL" / "a01.wav")           # no speaker anywhere
    write_clip(s / "AudioData" / "DC" / "info.wav")
    df = load_corpus("savee", tmp_path)
    assert_base_columns(df)
    got = sorted(zip(df["speaker"], df["emotion"], df["label"], df["number"]))
    assert got == [("savee-DC", "angry", "a", 1), ("savee-DC", "disgust", "d", 10),
                   ("savee-JE", "sad", "sa", 3), ("savee-JE", "surprised", "su", 1),
                   ("savee-JK", "sad", "sa", 15), ("savee-KL", "neutral", "n", 30)]
    assert set(df["gender"]) == {"male"}
    assert len(df.attrs["problems"]) == 5


# --------------------------------------------------------------------------- CREMA-D

DEMOGRAPHICS = """ActorID,Age,Sex,Race,Ethnicity
1001,51,Male,Caucasian,Not Hispanic
1002,21,Female,Caucasian,Not Hispanic
"""


@pytest.mark.parametrize("with_demographics", [True, False])
def test_cremad_names_levels_and_demographics(tmp_path, with_demographics):
    c = tmp_path / "cremad"
    write_clip(c / "AudioWAV" / "1001_DFA_ANG_XX.wav")
    write_clip(c / "AudioWAV" / "1001_IEO_HAP_HI.wav")
    write_clip(c / "AudioWAV" / "1002_IEO_SAD_LO.wav")
    write_clip(c / "AudioWAV" / "1002_TSI_NEU_X.wav")
    write_clip(c / "AudioWAV" / "1003_WSI_FEA_MD.wav")      # actor not in the csv
    write_clip(c / "AudioWAV" / "1001_XYZ_ANG_XX.wav")      # unknown sentence
    write_clip(c / "AudioWAV" / "1001_DFA_SUR_XX.wav")      # no surprise in CREMA-D
    write_clip(c / "AudioWAV" / "1001_DFA_ANG_ZZ.wav")      # unknown level
    write_clip(c / "AudioWAV" / "1001-DFA-ANG-XX.wav")      # wrong separators
    if with_demographics:
        (c / "VideoDemographics.csv").write_text(DEMOGRAPHICS)
    df = load_corpus("cremad", tmp_path)
    assert_base_columns(df)
    assert len(df) == 5 and len(df.attrs["problems"]) == 4
    r = df.set_index(df["path"].map(lambda p: Path(p).stem))
    assert r.loc["1001_DFA_ANG_XX", "text"] == "Don't forget a jacket"
    assert r.loc["1001_IEO_HAP_HI", "level"] == "high"
    assert r.loc["1002_IEO_SAD_LO", "level"] == "low"
    assert r.loc["1002_TSI_NEU_X", "level"] == "unspecified"
    assert r.loc["1003_WSI_FEA_MD", "emotion"] == "fearful"
    assert r.loc["1003_WSI_FEA_MD", "speaker"] == "cremad-1003"
    if with_demographics:
        assert r.loc["1001_DFA_ANG_XX", "gender"] == "male"
        assert r.loc["1002_IEO_SAD_LO", "gender"] == "female"
        assert r.loc["1001_DFA_ANG_XX", "age"] == 51
        assert r.loc["1003_WSI_FEA_MD", "gender"] == "unknown"
        assert any("1003" in n for n in df.attrs["notes"])
    else:
        assert set(df["gender"]) == {"unknown"}
        assert any("VideoDemographics.csv" in n for n in df.attrs["notes"])


# --------------------------------------------------------------------------- IEMOCAP

EVAL_IMPRO = """% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]

[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]
C-E2:\tNeutral;\t()
C-E3:\tNeutral;\t()

[10.0100 - 11.3925]\tSes01F_impro01_F001\txxx\t[2.5000, 2.5000, 2.5000]
C-E2:\tNeutral;\t()

[14.8872 - 18.0175]\tSes01F_impro01_M000\tfru\t[2.0000, 3.5000, 3.5000]

[19.2900 - 20.7875]\tSes01F_impro01_M001\tang\t[1.5000, 4.0000, 4.0000]

[21.0000 - 22.0000]\tSes01F_impro01_M002\tsad\t[2.0000, 2.0000, 2.0000]

[23.0000 - 24.0000]\tSes01F_impro01_F002\tzzz\t[2.0000, 2.0000, 2.0000]
"""
EVAL_SCRIPT = """% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]

[1.0000 - 2.5000]\tSes02M_script01_1_F003\texc\t[4.0000, 3.5000, 3.0000]

[3.0000 - 4.0000]\tSes02M_script01_1_M010\thap\t[4.5000, 3.0000, 3.0000]
"""


def test_iemocap_labels_speakers_and_problems(tmp_path):
    i = tmp_path / "iemocap"
    ev1 = i / "Session1" / "dialog" / "EmoEvaluation"
    ev1.mkdir(parents=True)
    (ev1 / "Ses01F_impro01.txt").write_text(EVAL_IMPRO)
    (ev1 / "Categorical").mkdir()  # sub-folders of per-annotator files are not summaries
    (ev1 / "Categorical" / "Ses01F_impro01_e2_cat.txt").write_text("Ses01F_impro01_F000 :Neutral; ()\n")
    w1 = i / "Session1" / "sentences" / "wav" / "Ses01F_impro01"
    for utt in ("F000", "F001", "M000", "M001", "F002", "F009"):  # M002 missing, F009 unlabelled
        write_clip(w1 / f"Ses01F_impro01_{utt}.wav")
    ev2 = i / "Session2" / "dialog" / "EmoEvaluation"
    ev2.mkdir(parents=True)
    (ev2 / "Ses02M_script01_1.txt").write_text(EVAL_SCRIPT)
    w2 = i / "Session2" / "sentences" / "wav" / "Ses02M_script01_1"
    write_clip(w2 / "Ses02M_script01_1_F003.wav")
    write_clip(w2 / "Ses02M_script01_1_M010.flac")
    df = load_corpus("iemocap", tmp_path)
    assert_base_columns(df)
    r = df.set_index("utterance")
    assert sorted(r.index) == ["Ses01F_impro01_F000", "Ses01F_impro01_M000", "Ses01F_impro01_M001",
                               "Ses02M_script01_1_F003", "Ses02M_script01_1_M010"]
    assert r.loc["Ses01F_impro01_F000", "speaker"] == "iemocap-01F"
    assert r.loc["Ses01F_impro01_M000", "speaker"] == "iemocap-01M"
    assert r.loc["Ses01F_impro01_M000", "gender"] == "male"
    assert r.loc["Ses01F_impro01_M000", "emotion"] == "frustrated"
    assert r.loc["Ses01F_impro01_M001", "activation"] == 4.0
    assert r.loc["Ses01F_impro01_M001", "valence"] == 1.5
    assert r.loc["Ses01F_impro01_F000", "start"] == pytest.approx(6.2901)
    assert bool(r.loc["Ses01F_impro01_F000", "improvised"]) is True
    assert bool(r.loc["Ses02M_script01_1_F003", "improvised"]) is False
    assert r.loc["Ses02M_script01_1_F003", "dialog"] == "Ses02M_script01_1"
    assert r.loc["Ses02M_script01_1_F003", "speaker"] == "iemocap-02F"
    assert r.loc["Ses02M_script01_1_F003", "emotion"] == "excited"
    assert r.loc["Ses02M_script01_1_M010", "session"] == 2
    assert df.attrs["excluded"] == {"xxx": 1}
    problems = "\n".join(df.attrs["problems"])
    assert "Ses01F_impro01_M002" in problems        # labelled, audio missing
    assert "zzz" in problems                        # unknown label
    assert "Ses01F_impro01_F009" in problems        # audio without label
    assert len(df.attrs["problems"]) == 3


# --------------------------------------------------------------------------- EMO-DB


def test_emodb_names_speakers_and_recognition(tmp_path):
    e = tmp_path / "emodb"
    write_clip(e / "wav" / "03a01Fa.wav")
    write_clip(e / "wav" / "08b10Lc.wav")
    write_clip(e / "wav" / "16a07Wb.flac")
    write_clip(e / "wav" / "04a01Fa.wav")      # speaker 04 does not exist
    write_clip(e / "wav" / "03a03Fa.wav")      # no text a03
    write_clip(e / "wav" / "03a01Xa.wav")      # no emotion X
    write_clip(e / "wav" / "03a01F.wav")       # no version letter
    rec = "Nr.\tSatz\terkannt\tnatuerlich\n1\xa0\t03a01Fa.wav\t90,00\xa0\t75,00\xa0\n" \
          "2\t08b10Lc.wav\t62,50\t87,50\n"
    (e / "erkennung.txt").write_bytes(rec.encode("latin-1"))
    df = load_corpus("emodb", tmp_path)
    assert_base_columns(df)
    r = df.set_index(df["path"].map(lambda p: Path(p).stem))
    assert r.loc["03a01Fa", "emotion"] == "happy" and r.loc["03a01Fa", "gender"] == "male"
    assert r.loc["03a01Fa", "age"] == 31
    assert r.loc["03a01Fa", "text"] == "Der Lappen liegt auf dem Eisschrank."
    assert r.loc["03a01Fa", "recognition"] == 90.0 and r.loc["03a01Fa", "naturalness"] == 75.0
    assert r.loc["08b10Lc", "emotion"] == "boredom" and r.loc["08b10Lc", "gender"] == "female"
    assert r.loc["08b10Lc", "recognition"] == 62.5
    assert r.loc["16a07Wb", "emotion"] == "angry" and math.isnan(r.loc["16a07Wb", "recognition"])
    assert r.loc["16a07Wb", "speaker"] == "emodb-16"
    assert len(df.attrs["problems"]) == 4


# --------------------------------------------------------------------------- errors, check, tables


def test_missing_corpus_says_where_and_how(tmp_path):
    with pytest.raises(DatasetError) as err:
        load_corpus("emodb", tmp_path)
    msg = str(err.value)
    assert str(tmp_path / "emodb") in msg and "serlib datasets download emodb" in msg
    with pytest.raises(DatasetError, match="licence agreement"):
        load_corpus("iemocap", tmp_path)
    with pytest.raises(DatasetError, match="unknown corpus"):
        load_corpus("timit", tmp_path)


def test_folder_without_usable_clips_is_an_error(tmp_path):
    (tmp_path / "tess").mkdir()
    with pytest.raises(DatasetError, match="no .wav or .flac"):
        load_corpus("tess", tmp_path)
    write_clip(tmp_path / "tess" / "random_name.wav")
    with pytest.raises(DatasetError, match="naming scheme"):
        load_corpus("tess", tmp_path)


def test_check_counts_seconds_and_reports_unreadable_files(tmp_path):
    e = tmp_path / "emodb" / "wav"
    write_clip(e / "03a01Fa.wav", seconds=0.5)
    write_clip(e / "09a02Wa.flac", seconds=0.25)
    (e / "10a04Na.wav").write_text("this is text, not audio")    # parses, unreadable
    (e / "11a05Ta.wav").write_bytes(b"")                           # empty
    write_clip(e / "bad.wav")
    report = check(tmp_path)
    assert list(report) == ["emodb"]
    r = report["emodb"]
    assert r["clips"] == 2 and r["speakers"] == 2
    assert r["seconds"] == pytest.approx(0.75, abs=0.01)
    assert r["emotions"] == {"happy": 1, "angry": 1}
    probs = "\n".join(r["problems"])
    assert "10a04Na.wav" in probs and "11a05Ta.wav" in probs and "bad.wav" in probs
    assert check(tmp_path / "nothing-here") == {}


def test_load_corpora_concatenates_and_merges_problems(tmp_path):
    write_clip(tmp_path / "emodb" / "wav" / "03a01Fa.wav")
    write_clip(tmp_path / "emodb" / "wav" / "zz.wav")
    write_clip(tmp_path / "ravdess" / "Actor_02" / "03-01-04-01-01-01-02.wav")
    df = load_corpora(["ravdess", "emodb"], tmp_path)
    assert list(df["corpus"]) == ["ravdess", "emodb"]
    assert list(df["emotion"]) == ["sad", "happy"]
    emodb_problems = load_corpus("emodb", tmp_path).attrs["problems"]
    assert len(emodb_problems) == 1 and "zz.wav" in emodb_problems[0]
    assert df.attrs["problems"] == [f"emodb: {emodb_problems[0]}"]
    assert sorted(load_corpora("all", tmp_path)["corpus"]) == ["emodb", "ravdess"]


def test_label_mapping_covers_every_code():
    frame = label_mapping_frame()
    table = label_mapping_table()
    for corpus, mapping in LABEL_MAP.items():
        for code, emotion in mapping.items():
            assert code in frame.loc[emotion].to_string()
            assert emotion in table
    assert frame.loc["calm", "EMO-DB"] == "-"
    assert frame.loc["boredom", "EMO-DB"].startswith("L")


def test_corpora_metadata_is_complete():
    assert tuple(CORPORA) == config.CORPUS_FOLDERS
    for name, meta in CORPORA.items():
        for key in ("full_name", "language", "speakers", "emotions", "licence", "citation",
                    "url", "download"):
            assert meta[key], (name, key)
        assert meta["download"] in ("auto", "manual")
    assert {n for n, m in CORPORA.items() if m["download"] == "manual"} == {"savee", "iemocap"}


# --------------------------------------------------------------------------- full corpora


@pytest.mark.corpora
def test_check_full_corpora(corpora_root):
    report = check(corpora_root, ["ravdess", "tess", "emodb"])
    rav = report["ravdess"]
    assert rav["clips"] == 1440 and rav["speakers"] == 24
    assert rav["emotions"]["neutral"] == 96
    assert all(n == 192 for e, n in rav["emotions"].items() if e != "neutral")
    assert rav["seconds"] / 60 == pytest.approx(88.8, abs=0.1)
    assert rav["problems"] == []
    tess = report["tess"]
    assert tess["clips"] == 2800 and tess["speakers"] == 2
    assert set(tess["emotions"].values()) == {400} and len(tess["emotions"]) == 7
    emo = report["emodb"]
    assert emo["clips"] == 535 and emo["speakers"] == 10
    assert emo["emotions"] == {"neutral": 79, "happy": 71, "sad": 62, "angry": 127,
                               "fearful": 69, "disgust": 46, "boredom": 81}
    assert emo["problems"] == []


@pytest.mark.corpora
def test_full_corpora_tables(corpora_root):
    rav = load_corpus("ravdess", corpora_root)
    assert rav.groupby("gender")["speaker"].nunique().to_dict() == {"female": 12, "male": 12}
    tess = load_corpus("tess", corpora_root)
    assert tess["word"].nunique() == 200
    assert tess.groupby("speaker").size().to_dict() == {"tess-OAF": 1400, "tess-YAF": 1400}
    emo = load_corpus("emodb", corpora_root)
    assert emo["recognition"].notna().all() and (emo["recognition"] >= 50).all()
    assert emo.groupby("gender")["speaker"].nunique().to_dict() == {"female": 5, "male": 5}
