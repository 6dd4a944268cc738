#!/usr/bin/env python
"""Rebuild the shipped model in models/ (ser-mlp.skops + ser-mlp.json).

Equivalent to the documented command

    serlib train --model mlp --train ravdess,tess --data-root DATA_ROOT

where DATA_ROOT holds the full RAVDESS speech set and TESS in their official layouts
(default: $SERLIB_DATA). Afterwards run `pytest tests/test_predict.py`.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from serlib.cli import main  # noqa: E402

if __name__ == "__main__":
    extra = sys.argv[1:]
    sys.exit(main(["train", "--model", "mlp", "--train", "ravdess,tess", *extra]))
