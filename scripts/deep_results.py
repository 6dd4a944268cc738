#!/usr/bin/env python
"""Reproduce the deep-model rows of the results table (notebooks 07 and 08).

    python scripts/deep_results.py rav6-cnn2d            # one row
    python scripts/deep_results.py seed-cnn1d rt-cnn2d   # several
    python scripts/deep_results.py --list                # what there is

Each row trains and tests with serlib's features, splits and Keras models on the data
root ($SERLIB_DATA, else data/) and writes results/deep/<row>.json. Runs on a CPU.
The seed of every run is fixed (0); a re-run of rav6-dnn-znorm-single on the build
machine gave every fold's accuracy exactly as committed. TensorFlow does not promise
bit-for-bit equal threaded sums across machines, so elsewhere expect agreement within
run-to-run noise (a clip or two per fold).

Notebooks: 07_cnn.ipynb, 08_resnet_transfer.ipynb
"""
from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    from serlib.evaluation import deep_runs

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("rows", nargs="*", help="row names (see --list)")
    p.add_argument("--list", action="store_true", help="list the rows and exit")
    p.add_argument("--data-root", default=None)
    args = p.parse_args(argv)
    if args.list or not args.rows:
        for name, r in deep_runs.RUNS.items():
            print(f"{name:<18} {r.model:<9} {r.protocol:<8} {'+'.join(r.train)}"
                  f"{' -> ' + r.test if r.test else ''} ({len(r.emotions)} emotions)")
        return 0
    unknown = [r for r in args.rows if r not in deep_runs.RUNS]
    if unknown:
        print(f"unknown row(s): {', '.join(unknown)}; see --list", file=sys.stderr)
        return 2
    for name in args.rows:
        res = deep_runs.run(name, data_root=args.data_root)
        print(f"{name}: {res['model']} ({res['features']}), {res['protocol']}, "
              f"{'+'.join(res['train'])}{' -> ' + res['test'] if res['test'] else ''}: "
              f"accuracy {100 * res['accuracy']:.1f} % (sd {100 * res['accuracy_std']:.1f}), "
              f"UAR {100 * res['uar']:.1f} %, macro F1 {100 * res['macro_f1']:.1f} % "
              f"[{res['seconds']:.0f} s]", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
