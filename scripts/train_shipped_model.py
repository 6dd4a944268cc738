#!/usr/bin/env python
"""Rebuild the shipped model in models/ (ser-mlp.skops + ser-mlp.json).

Equivalent to the documented command

    serlib train --recipe robust --data-root DATA_ROOT

where DATA_ROOT holds the corpora in their official layouts (default: $SERLIB_DATA); every
one that has the demo's emotions is used. Run scripts/benchmark_new_voice.py first: its
figures go into the model card. Afterwards run `pytest tests/test_predict.py`.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from serlib.cli import main  # noqa: E402

if __name__ == "__main__":
    extra = sys.argv[1:]
    sys.exit(main(["train", "--recipe", "robust", *extra]))
