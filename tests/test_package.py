"""The package itself: importing it is cheap and safe, and the command line answers."""
from __future__ import annotations

import os
import subprocess
import sys

from serlib import config

HEAVY = ("tensorflow", "keras", "sounddevice", "torch")


def _python(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)


def test_import_serlib_loads_no_heavy_or_optional_dependency():
    code = ("import sys, serlib, serlib.audio, serlib.features, serlib.datasets, serlib.cli;"
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_import_works_without_any_corpus(tmp_path):
    out = _python("import serlib, serlib.datasets; print('ok')", SERLIB_DATA=str(tmp_path / "nothing"))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_cli_help_lists_the_commands():
    out = subprocess.run([sys.executable, "-m", "serlib", "--help"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for name in ("datasets", "features", "evaluate", "predict"):
        assert name in out.stdout


def test_data_root_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv(config.DATA_ENV, raising=False)
    assert config.data_root() == config.BUNDLED_DATA
    monkeypatch.setenv(config.DATA_ENV, str(tmp_path))
    assert config.data_root() == tmp_path
    assert config.data_root(tmp_path / "x") == tmp_path / "x"


def test_cache_dir_honours_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert config.cache_dir() == tmp_path / "serlib"


def test_quick_mode_flag(monkeypatch):
    for value, expected in (("1", True), ("yes", True), ("0", False), ("", False)):
        monkeypatch.setenv(config.QUICK_ENV, value)
        assert config.quick_mode() is expected


def test_requirements_name_every_required_package():
    text = (config.REPO_DIR / "requirements.txt").read_text().lower()
    for name in ("jupyterlab", "ipywidgets", "sounddevice", "librosa", "soundfile",
                 "scikit-learn", "matplotlib", "numpy", "tensorflow", "nbval", "-e ."):
        assert name in text, name


def _imported_modules(path) -> set[str]:
    """Every module a file imports, at top level or inside functions (relative ones resolved)."""
    import ast

    package = ".".join(path.relative_to(config.REPO_DIR).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def test_models_layer_never_imports_the_evaluation_layer():
    """Data flows one way (CONVENTIONS.md): serlib.models sits below serlib.evaluation."""
    folder = config.PACKAGE_DIR / "models"
    files = sorted(folder.rglob("*.py"))
    assert len(files) > 5
    offenders = {f"{p.relative_to(config.REPO_DIR)}: {name}"
                 for p in files for name in _imported_modules(p)
                 if name == "serlib.evaluation" or name.startswith("serlib.evaluation.")}
    assert not offenders, sorted(offenders)
