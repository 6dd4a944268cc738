"""The shared emotion vocabulary and how each corpus' own labels map onto it.

Notebook: 04_datasets.ipynb
"""
from __future__ import annotations

#: Every emotion name serlib uses, in a fixed teaching order.
EMOTIONS = (
    "neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised",
    "boredom", "frustrated", "excited", "other",
)

#: Corpus label -> shared emotion. Keys are the corpus' own codes as they appear in
#: file names or label files. Labels not listed here are reported, never guessed.
LABEL_MAP: dict[str, dict[str, str]] = {
    "ravdess": {"01": "neutral", "02": "calm", "03": "happy", "04": "sad", "05": "angry",
                "06": "fearful", "07": "disgust", "08": "surprised"},
    "tess": {"neutral": "neutral", "happy": "happy", "sad": "sad", "angry": "angry",
             "fear": "fearful", "disgust": "disgust", "ps": "surprised"},
    "savee": {"n": "neutral", "h": "happy", "sa": "sad", "a": "angry", "f": "fearful",
              "d": "disgust", "su": "surprised"},
    "cremad": {"NEU": "neutral", "HAP": "happy", "SAD": "sad", "ANG": "angry",
               "FEA": "fearful", "DIS": "disgust"},
    "iemocap": {"neu": "neutral", "hap": "happy", "sad": "sad", "ang": "angry",
                "fea": "fearful", "dis": "disgust", "sur": "surprised",
                "fru": "frustrated", "exc": "excited", "oth": "other"},
    "emodb": {"N": "neutral", "F": "happy", "T": "sad", "W": "angry", "A": "fearful",
              "E": "disgust", "L": "boredom"},
}


def order_emotions(emotions) -> list[str]:
    """Emotions in the shared vocabulary's teaching order (unknown ones last, sorted).

    Notebook: 04_datasets.ipynb
    """
    emotions = set(emotions)
    return [e for e in EMOTIONS if e in emotions] + sorted(emotions - set(EMOTIONS))
