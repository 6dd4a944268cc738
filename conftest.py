"""Root conftest: every notebook and test runs in quick mode unless told otherwise.

nbval starts the notebook kernels from this process, so the variable set here reaches them.
"""
import os

os.environ.setdefault("SERLIB_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Two pytest-xdist workers share two cores: one maths thread each avoids oversubscription,
# which on a loaded 2-core machine made scikit-learn's cross-validation 60x slower.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
