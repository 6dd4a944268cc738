"""One table: how each corpus' own emotion labels map onto serlib's shared vocabulary.

Notebook: 04_datasets.ipynb
"""
from __future__ import annotations

from serlib.datasets.vocabulary import EMOTIONS, LABEL_MAP

#: Column titles of the mapping table.
CORPUS_TITLES = {"ravdess": "RAVDESS", "tess": "TESS", "savee": "SAVEE", "cremad": "CREMA-D",
                 "iemocap": "IEMOCAP", "emodb": "EMO-DB"}

#: What the codes stand for where the code alone does not say it.
CODE_NOTES = {
    "tess": {"ps": "ps (pleasant surprise)"},
    "emodb": {"W": "W (Wut)", "L": "L (Langeweile)", "E": "E (Ekel)", "A": "A (Angst)",
              "F": "F (Freude)", "T": "T (Trauer)", "N": "N (neutral)"},
    "savee": {"a": "a", "sa": "sa", "su": "su"},
}

#: Labels a corpus has that serlib leaves out on purpose.
EXCLUDED = {"iemocap": "xxx (annotators did not agree) is left out and counted"}


def label_mapping_frame():
    """DataFrame: one row per shared emotion, one column per corpus with its code (``-`` = none).

    Notebook: 04_datasets.ipynb
    """
    import pandas as pd

    used = [e for e in EMOTIONS if any(e in m.values() for m in LABEL_MAP.values())]
    data = {}
    for corpus, title in CORPUS_TITLES.items():
        col = []
        for emotion in used:
            codes = [c for c, e in LABEL_MAP[corpus].items() if e == emotion]
            col.append(", ".join(CODE_NOTES.get(corpus, {}).get(c, c) for c in codes) or "-")
        data[title] = col
    frame = pd.DataFrame(data, index=pd.Index(used, name="emotion"))
    return frame


def label_mapping_table() -> str:
    """The label mapping as a Markdown table (shown in notebook 04 and in data/README.md).

    Notebook: 04_datasets.ipynb
    """
    frame = label_mapping_frame()
    header = "| emotion | " + " | ".join(frame.columns) + " |"
    rule = "|---|" + "---|" * len(frame.columns)
    lines = [header, rule]
    for emotion, row in frame.iterrows():
        lines.append(f"| {emotion} | " + " | ".join(f"`{v}`" if v != "-" else "-" for v in row) + " |")
    lines.append("")
    for corpus, text in EXCLUDED.items():
        lines.append(f"{CORPUS_TITLES[corpus]}: `{text.split(' ', 1)[0]}` {text.split(' ', 1)[1]}.")
    return "\n".join(lines)
