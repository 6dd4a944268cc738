"""Root conftest: every notebook and test runs in quick mode unless told otherwise.

nbval starts the notebook kernels from this process, so the variable set here reaches them.
"""
import os

import pytest

os.environ.setdefault("SERLIB_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Two pytest-xdist workers share two cores: one maths thread each avoids oversubscription,
# which on a loaded 2-core machine made scikit-learn's cross-validation 60x slower.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


_NUMBA_CACHE = pytest.StashKey[set]()
_NUMBA_GROWN = pytest.StashKey[list]()


# librosa's numba code is compiled once, here, before pytest-xdist starts its workers and
# before any notebook kernel or subprocess: two processes compiling the same function at
# once can damage numba's disk cache (numba issue 10128), after which every process that
# loads it crashes or hangs. At the end, a cache that grew during the run fails the run:
# some librosa path the tests reach is missing from serlib/warmup.py.
def pytest_configure(config):
    if hasattr(config, "workerinput"):  # an xdist worker: its controller did this
        return
    from serlib import warmup

    warmup.warm_up()
    config.stash[_NUMBA_CACHE] = set(warmup.cache_files())


def pytest_sessionfinish(session, exitstatus):
    before = session.config.stash.get(_NUMBA_CACHE, None)
    if before is None:
        return
    from serlib import warmup

    grown = sorted(set(warmup.cache_files()) - before)
    if grown:
        session.config.stash[_NUMBA_GROWN] = grown
        if session.exitstatus == 0:
            session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    grown = config.stash.get(_NUMBA_GROWN, None)
    if grown:
        terminalreporter.write_sep("=", "librosa's numba cache grew during the tests", red=True)
        for path in grown:
            terminalreporter.write_line(f"  new: {path}")
        terminalreporter.write_line(
            "serlib.warmup must compile these before anything runs in parallel (a race there "
            "can damage the cache): add the librosa call that compiles them to "
            "serlib/warmup.py's _exercise().")
