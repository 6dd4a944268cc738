"""Solutions to the exercises of notebook 04 (the corpora).

Notebook: 04_datasets.ipynb
"""
from __future__ import annotations

from serlib.exercises import heading


def exercise_parse_ravdess(show_result=True):
    """Exercise 1: read a RAVDESS file name.

    Decode ``03-01-06-02-02-01-17.wav`` by hand: modality, vocal channel, emotion,
    intensity, statement, repetition, actor and the actor's gender. Then check your answer
    with ``serlib.datasets.ravdess.parse_name``. Which of these names cannot exist, and
    why: ``03-01-01-02-01-01-05``, ``03-02-08-01-01-01-05``, ``03-01-05-01-03-01-05``?

    Notebook: 04_datasets.ipynb
    """
    if not show_result:
        return
    from serlib.datasets import ravdess

    heading("decoding RAVDESS names")
    fields = "03-01-06-02-02-01-17".split("-")
    meaning = [
        ("modality", "03 = audio-only"), ("vocal channel", "01 = speech"),
        ("emotion", "06 = fearful"), ("intensity", "02 = strong"),
        ("statement", "02 = 'Dogs are sitting by the door'"), ("repetition", "01 = first take"),
        ("actor", "17 = odd number, so a male actor"),
    ]
    for value, (name, text) in zip(fields, meaning):
        print(f"  {value}  {name:14s} {text}")
    print("\nserlib says:", ravdess.parse_name("03-01-06-02-02-01-17"))
    print()
    for stem in ("03-01-01-02-01-01-05", "03-02-08-01-01-01-05", "03-01-05-01-03-01-05"):
        print(f"{stem}: {ravdess.parse_name(stem)}")


def exercise_parse_emodb(show_result=True):
    """Exercise 2: read EMO-DB file names.

    An EMO-DB name such as ``03a01Fa`` has five parts: speaker (``03``), text code
    (``a01``), emotion as a German initial (``F`` = *Freude*, happiness) and version
    (``a``). Decode ``16b10Wb`` and ``11a05Ld`` and check with
    ``serlib.datasets.emodb.parse_name``. Which emotion does EMO-DB have that RAVDESS
    lacks, and the other way round?

    Notebook: 04_datasets.ipynb
    """
    if not show_result:
        return
    from serlib.datasets import LABEL_MAP, emodb

    heading("decoding EMO-DB names")
    for stem in ("16b10Wb", "11a05Ld"):
        row = emodb.parse_name(stem)
        print(f"{stem}: speaker {stem[:2]} ({row['gender']}, {row['age']}), text {stem[2:5]} "
              f"({row['text']!r}), emotion {stem[5]} -> {row['emotion']}, version {stem[6]}")
    only_emodb = set(LABEL_MAP["emodb"].values()) - set(LABEL_MAP["ravdess"].values())
    only_ravdess = set(LABEL_MAP["ravdess"].values()) - set(LABEL_MAP["emodb"].values())
    print(f"\nonly in EMO-DB: {sorted(only_emodb)}; only in RAVDESS: {sorted(only_ravdess)}")


def exercise_speaker_overlap(show_result=True):
    """Exercise 3: who is in the test set?

    Split the bundled RAVDESS sample (``serlib.datasets.load_sample()``) 75/25 at random,
    stratified by emotion (``sklearn.model_selection.train_test_split``). What fraction of
    the test clips were spoken by an actor who also appears in the training set? Repeat
    with ``GroupShuffleSplit`` and the ``speaker`` column as groups.

    Notebook: 04_datasets.ipynb
    """
    if not show_result:
        return
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    from serlib import datasets

    heading("speakers shared between training and test data")
    df = datasets.load_sample()
    train, test = train_test_split(df, test_size=0.25, stratify=df.emotion, random_state=0)
    shared = test.speaker.isin(set(train.speaker)).mean()
    print(f"random split:  {len(train)} train / {len(test)} test clips; "
          f"{shared:.0%} of test clips come from actors seen in training")
    gss = GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=0)
    tr, te = next(gss.split(df, groups=df.speaker))
    train, test = df.iloc[tr], df.iloc[te]
    shared = test.speaker.isin(set(train.speaker)).mean()
    print(f"grouped split: {len(train)} train / {len(test)} test clips; "
          f"{shared:.0%} of test clips come from actors seen in training "
          f"(test actors: {', '.join(sorted(test.speaker.unique()))})")
    print("\nA random split puts every actor on both sides, so the test measures how well the\n"
          "model knows these six voices, not how it will do on a new one.")
