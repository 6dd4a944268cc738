"""Honest evaluation: speaker-independent splits, metrics, confusion matrices, ``evaluate()``.

* :mod:`.splits` - random, speaker k-fold, leave-one-speaker-out, inner folds for model
  selection, speaker normalisation.
* :mod:`.metrics` - accuracy, UAR, macro F1, kappa, MCC, confusion matrix and its plot.
* :mod:`.protocol` - :func:`evaluate`, which runs a registered model under a protocol.

Notebook: 06_mlp_grid_search.ipynb
"""
from serlib.evaluation.metrics import (SCORE_NAMES, confusion, most_confused, per_class_report,
                                       plot_confusion, scores)
from serlib.evaluation.protocol import (PROTOCOLS, command_line, evaluate, load_tables,
                                        make_splits, results_table, run_folds, shared_emotions,
                                        summarize, take)
from serlib.evaluation.splits import (assign_speaker_folds, check_disjoint, inner_cv, loso_splits,
                                      random_split, speaker_folds, speaker_normalize)

__all__ = ["PROTOCOLS", "SCORE_NAMES", "assign_speaker_folds", "check_disjoint", "command_line",
           "confusion", "evaluate", "inner_cv", "load_tables", "loso_splits", "make_splits",
           "most_confused", "per_class_report", "plot_confusion", "random_split", "results_table",
           "run_folds", "scores", "shared_emotions", "speaker_folds", "speaker_normalize",
           "summarize", "take"]
