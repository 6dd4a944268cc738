"""Root conftest: every notebook and test runs in quick mode unless told otherwise.

nbval starts the notebook kernels from this process, so the variable set here reaches them.
"""
import os

os.environ.setdefault("SERLIB_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
