"""Emotional speech corpora as tables: six loaders, one vocabulary, checks and downloads.

``load_corpus("ravdess")`` returns a pandas DataFrame with one row per clip and the
columns ``path, corpus, speaker, gender, emotion, label`` plus the corpus' own fields.

Notebook: 04_datasets.ipynb
"""
from __future__ import annotations

from serlib.datasets.checking import check
from serlib.datasets.corpora import CORPORA, canonical_name
from serlib.datasets.loading import (available_corpora, corpus_folder, load_corpora,
                                     load_corpus, load_sample, name_list)
from serlib.datasets.mapping import label_mapping_frame, label_mapping_table
from serlib.datasets.vocabulary import EMOTIONS, LABEL_MAP, order_emotions


__all__ = ["CORPORA", "EMOTIONS", "LABEL_MAP", "available_corpora", "canonical_name", "check",
           "corpus_folder", "label_mapping_frame", "label_mapping_table", "load_corpora",
           "load_corpus", "load_sample", "name_list", "order_emotions"]
