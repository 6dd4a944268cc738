"""Tests of the notebook machinery: setup(), plots, widgets, exercises, the executor, the lint."""
from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest

from serlib import config, notebook

REPO = config.REPO_DIR


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def fake_root(tmp_path):
    """A data root with 3 RAVDESS clips, 2 EMO-DB clips and some non-audio files."""
    for rel in ["ravdess/Actor_01/a.wav", "ravdess/Actor_01/b.flac", "ravdess/Actor_02/c.WAV",
                "ravdess/Actor_02/notes.txt", "emodb/wav/03a01Fa.wav", "emodb/wav/03a01Wa.flac",
                "emodb/erkennung.txt", "tess/readme.md", "unrelated/x.wav"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"")
    return tmp_path


# ---------------------------------------------------------------------------- setup()
def test_setup_reports_root_without_absolute_path(fake_root, monkeypatch, capsys):
    monkeypatch.setenv("SERLIB_DATA", str(fake_root))
    monkeypatch.delenv("SERLIB_QUICK", raising=False)
    ctx = notebook.setup()
    out = capsys.readouterr().out
    assert ctx.corpora == {"ravdess": 3, "emodb": 2}
    assert ctx.has("ravdess") and not ctx.has("tess")
    assert ctx.quick is False and ctx.mode == "full"
    assert "data root: $SERLIB_DATA" in out
    assert "ravdess (3 clips)" in out and "emodb (2 clips)" in out
    assert "mode: full" in out
    assert str(fake_root) not in out and str(fake_root) not in repr(ctx)
    assert ctx.data_root == fake_root


def test_setup_bundled_sample_and_quick_mode(monkeypatch, capsys):
    monkeypatch.delenv("SERLIB_DATA", raising=False)
    monkeypatch.setenv("SERLIB_QUICK", "1")
    ctx = notebook.setup()
    out = capsys.readouterr().out
    assert ctx.bundled and ctx.quick
    assert "the bundled sample in data/" in out
    assert "mode: quick" in out
    assert ctx.corpora.get("ravdess", 0) >= 60
    assert str(REPO) not in out


def test_setup_empty_root_says_what_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SERLIB_DATA", str(tmp_path))
    ctx = notebook.setup()
    assert ctx.corpora == {}
    assert "none - set SERLIB_DATA" in capsys.readouterr().out


def test_setup_seeds_numpy_and_random():
    import random

    notebook.setup(seed=3, verbose=False)
    a, r1 = np.random.rand(3), random.random()
    notebook.setup(seed=3, verbose=False)
    b, r2 = np.random.rand(3), random.random()
    assert np.array_equal(a, b) and r1 == r2
    notebook.setup(seed=4, verbose=False)
    assert not np.array_equal(a, np.random.rand(3))


def test_setup_sets_house_style():
    import matplotlib as mpl

    notebook.setup(verbose=False)
    assert mpl.rcParams["figure.figsize"][0] == notebook.FIGURE_WIDTH
    assert mpl.rcParams["axes.grid"] is True


def test_setup_never_imports_tensorflow():
    from helpers import modules_loaded_by

    code = ("import serlib.notebook as n; n.setup(verbose=False); "
            "import serlib.plots, serlib.widgets, serlib.exercises.ex01")
    assert modules_loaded_by(code, ("tensorflow",)) == []


def test_describe_root_for_other_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("SERLIB_DATA", raising=False)
    label, bundled = notebook.describe_root(tmp_path / "corpora")
    assert label == "a folder named 'corpora'" and not bundled


# ---------------------------------------------------------------------------- helpers
def test_count_clips_counts_audio_only(fake_root):
    assert notebook.count_clips(fake_root / "ravdess") == 3
    assert notebook.count_clips(fake_root / "tess") == 0
    assert notebook.count_clips(fake_root / "missing") == 0


def test_limit_quick_and_full():
    import pandas as pd

    items = list(range(100))
    assert notebook.limit(items, 10, quick=False) is items
    sub = notebook.limit(items, 10, quick=True)
    assert len(sub) == 10 and sub == sorted(sub) and set(sub) <= set(items)
    assert sub == notebook.limit(items, 10, quick=True)          # reproducible
    df = pd.DataFrame({"x": items})
    assert len(notebook.limit(df, 7, quick=True)) == 7
    arr = np.arange(50)
    assert notebook.limit(arr, 5, quick=True).shape == (5,)
    assert notebook.limit(items[:3], 10, quick=True) == items[:3]


def test_audio_player_cuts_to_max_seconds():
    from IPython.display import Audio

    y = np.zeros(16000 * 10, np.float32)
    y[::100] = 0.5
    player = notebook.audio(y, 16000, max_seconds=2.0)
    assert isinstance(player, Audio)
    n_bytes = len(player.data)
    assert 2 * 16000 * 2 <= n_bytes < 2 * 16000 * 2 + 100        # 16-bit PCM WAV, 2 s
    loud = notebook.audio(np.full(1600, 3.0, np.float32), 16000, normalize=False)
    assert isinstance(loud, Audio)                                # scaled into [-1, 1]


def test_relpath_never_absolute(tmp_path):
    f = tmp_path / "ravdess" / "Actor_01" / "x.flac"
    assert notebook.relpath(f, tmp_path) == "ravdess/Actor_01/x.flac"
    other = notebook.relpath("/somewhere/else/deep/a/b.wav", tmp_path)
    assert other == "deep/a/b.wav" and not other.startswith("/")


# ---------------------------------------------------------------------------- plots
def test_plot_helpers_return_fig_ax_with_labels(monkeypatch):
    import matplotlib.pyplot as plt

    from serlib import audio, features, plots

    monkeypatch.setattr(plt, "show", lambda *a, **k: pytest.fail("plot helpers must not call show()"))
    y = audio.tone(440, 0.5)
    fig, ax = plots.waveform(y, 16000, seconds=0.01)
    assert ax.get_xlabel() == "time (s)" and ax.get_ylabel()
    assert ax.lines[0].get_xdata().size == 160

    spec = features.analyze(y)
    fig, ax = plots.spectrogram(spec.log_mel, title="t")
    assert ax.get_ylabel().startswith("frequency") and ax.get_xlabel() == "time (s)"
    cbar_axes = [a for a in fig.axes if a is not ax]
    assert cbar_axes and cbar_axes[0].get_ylabel() == "level (dB)"
    fig, ax = plots.spectrogram(spec.mfcc, y_axis="mfcc", cbar_label="value")
    assert ax.get_ylabel() == "coefficient"
    with pytest.raises(ValueError):
        plots.spectrogram(spec.mfcc, y_axis="bark")

    fb = features.mel_filters()
    fig, ax = plots.filterbank(fb, every=4)
    assert len(ax.lines) == 32 and ax.get_xlabel() == "frequency (Hz)"

    fig, ax = plots.bar_counts({"angry": 3, "sad": 5})
    assert [p.get_height() for p in ax.patches] == [3, 5]


def test_plot_helpers_draw_into_given_axes():
    import matplotlib.pyplot as plt

    from serlib import audio, plots

    fig, axes = plt.subplots(1, 2)
    f2, a2 = plots.waveform(audio.tone(300, 0.1), ax=axes[1])
    assert f2 is fig and a2 is axes[1] and len(fig.axes) == 2


# ---------------------------------------------------------------------------- widgets
def test_describe_tone_known_values():
    from serlib import widgets

    line = widgets.describe_tone(1000)
    assert "1000.0 Hz" in line and "1000.0 mel (HTK" in line and "15.00 mel (Slaney" in line
    assert "+0.0 semitones" in widgets.describe_tone(440)
    assert "+12.0 semitones" in widgets.describe_tone(880)
    assert widgets.hz_to_mel_htk(700) == pytest.approx(2595 * np.log10(2))


def test_tone_explorer_updates_on_slider_change():
    from serlib import widgets

    box = widgets.tone_explorer(value=440, plot=False)
    assert "440.0 Hz" in box.text.value
    box.slider.value = 1000
    assert "1000.0 Hz" in box.text.value and "1000.0 mel" in box.text.value
    assert 10 ** box.slider.max < 8000                              # below Nyquist at 16 kHz


# ---------------------------------------------------------------------------- exercises
EXERCISE_MODULES = ["ex01", "ex02", "ex03", "ex04"]


@pytest.mark.parametrize("modname", EXERCISE_MODULES)
def test_exercises_hidden_and_revealed(modname, capsys):
    from serlib.exercises import exercises_in, module_for

    module = module_for(int(modname[2:]))
    found = exercises_in(module)
    assert len(found) >= 3, f"{modname} should have at least three exercises"
    for name, func in found.items():
        assert func(show_result=False) is None
        assert capsys.readouterr().out == "", f"{name}(show_result=False) must show nothing"
        assert func(show_result=True) is None
        out = capsys.readouterr().out
        assert out.startswith("Solution - "), f"{name} must print its solution"


def test_exercise_answers_are_right(capsys):
    from serlib.exercises import ex01, ex02, ex03

    ex01.exercise_equal_mel_step()
    assert "900 -> 1060 Hz" in capsys.readouterr().out
    ex02.exercise_quieter_clip()
    assert "-226.27" in capsys.readouterr().out
    ex02.exercise_frame_count()
    assert "= 188; serlib: 188" in capsys.readouterr().out
    ex03.exercise_pitch_classes()
    out = capsys.readouterr().out
    assert "A2" in out and "C4" in out and "B5" in out


# ---------------------------------------------------------------------------- executor
def _load_script(name):
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_machine_paths_found_in_text_not_in_images():
    import nbformat

    ex = _load_script("execute_notebooks")
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="saved to /work/main/x\n"),
                    nbformat.v4.new_output("display_data", data={"image/png": "L3dvcmsv/work/"})]
    nb.cells.append(cell)
    found = ex.machine_paths(nb)
    assert len(found) == 1 and "/work/" in found[0]
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="data root: $SERLIB_DATA\n")]
    assert ex.machine_paths(nb) == []


@pytest.mark.slow
def test_executor_runs_writes_and_refuses(tmp_path, monkeypatch, capsys):
    import nbformat

    ex = _load_script("execute_notebooks")
    good = tmp_path / "good.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import os\nprint(os.path.basename(os.getcwd()))")]
    nbformat.write(nb, good)
    bad = tmp_path / "bad.ipynb"
    nb2 = nbformat.v4.new_notebook()
    nb2.cells = [nbformat.v4.new_code_cell("1/0")]
    nbformat.write(nb2, bad)
    leak = tmp_path / "leak.ipynb"
    nb3 = nbformat.v4.new_notebook()
    nb3.cells = [nbformat.v4.new_code_cell("print('/root/secret')")]
    nbformat.write(nb3, leak)
    monkeypatch.delenv("SERLIB_QUICK", raising=False)

    assert ex.main([str(good)]) == 0
    out = nbformat.read(good, as_version=4).cells[0].outputs
    assert out and out[0]["text"].strip() == tmp_path.name        # kernel cwd = notebook folder
    before = bad.read_text()
    assert ex.main([str(bad)]) == 1
    assert bad.read_text() == before                               # not overwritten on error
    before = leak.read_text()
    assert ex.main([str(leak)]) == 1
    assert leak.read_text() == before
    assert "machine-specific" in capsys.readouterr().out


# ---------------------------------------------------------------------------- the lint itself
def _lint_module():
    spec = importlib.util.spec_from_file_location("nblint", REPO / "tests" / "test_notebook_lint.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _linter_for(path, cells):
    """Write ``cells`` as notebook ``path`` and return the lint's checks aimed at it alone."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    nbformat.write(nb, path)
    lint = _lint_module()
    lint.NOTEBOOKS[:] = [path]
    return lint.TestNotebook()


def test_lint_catches_broken_notebooks(tmp_path):
    import nbformat

    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    path = tmp_path / "01_mel_scale.ipynb"
    c1 = code("import serlib\nserlib.notebook.setup()", execution_count=2)
    c1.outputs = [nbformat.v4.new_output("stream", name="stdout", text="data root /work/x\n")]
    t = _linter_for(path, [md("# 1 · Wrong title"), md("### jumps a level\n[x](#nowhere)"), c1, md("")])
    for check in (t.test_title_cell, t.test_headings_never_jump, t.test_internal_links_resolve,
                  t.test_no_empty_cells, t.test_executed_in_order, t.test_no_machine_paths,
                  t.test_sections, t.test_learning_objectives_and_toc):
        with pytest.raises(AssertionError):
            check(path)
    with pytest.raises(AssertionError):
        t.test_navigation(path, "top")


def test_lint_accepts_a_good_notebook(tmp_path):
    import nbformat

    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    (tmp_path / "README.md").write_text("contents")
    path = tmp_path / "01_x.ipynb"
    c1 = code("import serlib\nctx = serlib.notebook.setup()", execution_count=1)
    c1.outputs = [nbformat.v4.new_output("stream", name="stdout", text="data root: $SERLIB_DATA\n")]
    c2 = code("from serlib.exercises import ex01\nex01.exercise_octaves_in_mel()", execution_count=2)
    t = _linter_for(path, [
        md("# 01 · A title\n\n[Contents](README.md)"),
        md("Learning objectives\n\n[a](#a) [b](#b) [c](#c)"),
        c1,
        md('<a id="a"></a>\n## Part\n### Sub\n<a id="b"></a>\n## Exercises\n<a id="c"></a>\n## References'),
        c2,
        md("[Contents](README.md)"),
    ])
    for check in (t.test_file_name, t.test_title_cell, t.test_headings_never_jump,
                  t.test_internal_links_resolve, t.test_no_empty_cells, t.test_executed_in_order,
                  t.test_no_machine_paths, t.test_sections, t.test_learning_objectives_and_toc,
                  t.test_first_code_cell_sets_up, t.test_no_errors_or_warnings, t.test_size):
        check(path)
    t.test_navigation(path, "top")
    t.test_navigation(path, "bottom")
    with pytest.raises(AssertionError, match="never calls"):
        t.test_exercises_module(path)     # ex01 has three exercises; this notebook uses one


# ---------------------------------------------------------------------------- committed notebooks
@pytest.mark.parametrize("name", ["01_mel_scale", "02_mfcc", "03_chroma", "04_datasets"])
def test_committed_notebooks_have_sound_and_figures(name):
    nb = json.loads((REPO / "notebooks" / f"{name}.ipynb").read_text())
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    html = "".join("".join(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert "<audio" in html, f"{name}: no audio player in the committed outputs"
    assert any("image/png" in o.get("data", {}) for o in outputs), f"{name}: no figure"
    setup_out = "".join(outputs[0].get("text", ""))
    assert "data root" in setup_out and "mode:" in setup_out


# ---------------------------------------------------------------------------- hosted runtimes
_FAKE_PIP = '''
import json, os, shutil, sys
calls = []
class FakeIPython:  # stands in for the kernel: records %pip and "installs" from a local copy
    def run_line_magic(self, name, line):
        calls.append([name, line])
        shutil.copytree(REPO + "/serlib", "src/serlib/serlib",
                        ignore=shutil.ignore_patterns("__pycache__"))
        os.symlink(REPO + "/data", "src/serlib/data")
def get_ipython():
    return FakeIPython()
'''
_REPORT = '''
import serlib, serlib.config
print(json.dumps({"calls": calls, "module": serlib.__file__,
                  "bundled": str(serlib.config.BUNDLED_DATA)}))
'''


def _run_bootstrap(cwd, isolated: bool) -> dict:
    """Run the first-code-cell bootstrap in a fresh Python, with a fake ``%pip``.

    ``isolated`` starts Python with ``-S`` (no site-packages), which is a runtime
    without serlib, like Google Colab; otherwise serlib is importable as on a local
    install. No network: the fake pip copies this checkout where the real one clones.
    """
    import subprocess
    import sys

    from IPython.core.inputtransformer2 import TransformerManager

    cell = TransformerManager().transform_cell("\n".join(notebook.bootstrap_lines()))
    code = f"REPO = {str(REPO)!r}\n" + _FAKE_PIP + cell + _REPORT
    flags = ["-S"] if isolated else []
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    out = subprocess.run([sys.executable, *flags, "-c", code], cwd=cwd, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_bootstrap_installs_pinned_serlib_with_its_sample_where_it_is_missing(tmp_path):
    import serlib

    got = _run_bootstrap(tmp_path, isolated=True)
    url = f"git+https://github.com/{notebook.GITHUB_REPOSITORY}@v{serlib.__version__}#egg=serlib"
    assert got["calls"] == [["pip", f'install --src src -e "{url}" "anywidget>=0.9"']]
    clone = tmp_path / "src" / "serlib"
    assert Path(got["module"]).resolve() == (clone / "serlib" / "__init__.py").resolve()
    # the sample travels with the pinned clone: the clone's serlib finds it as its data/
    assert Path(got["bundled"]) == clone.resolve() / "data"
    assert notebook.count_clips(Path(got["bundled"]) / "ravdess") >= 60


def test_bootstrap_does_nothing_where_serlib_is_installed(tmp_path):
    got = _run_bootstrap(tmp_path, isolated=False)
    assert got["calls"] == []
    assert Path(got["module"]).resolve() == (REPO / "serlib" / "__init__.py").resolve()
    assert not (tmp_path / "src").exists()


def test_pinned_ref_and_install_args_follow_the_version_and_repository():
    assert notebook.pinned_ref("1.2.3") == "v1.2.3"
    args = notebook.install_args("someone/fork", "v1.2.3")
    assert '"git+https://github.com/someone/fork@v1.2.3#egg=serlib"' in args
    assert "--src src -e" in args and '"anywidget>=0.9"' in args  # quoted: %pip uses a shell


@pytest.mark.parametrize("env, modules, expected", [
    ({}, {}, None),
    ({"COLAB_RELEASE_TAG": "release-colab-2026"}, {}, "Google Colab"),
    ({}, {"google.colab": object()}, "Google Colab"),
    ({"BINDER_LAUNCH_HOST": "https://mybinder.org/"}, {}, "Binder"),
    ({"JUPYTERHUB_API_URL": "http://hub:8081/hub/api"}, {}, "a JupyterHub"),
    ({"KAGGLE_KERNEL_RUN_TYPE": "Interactive"}, {}, "Kaggle"),
])
def test_hosted_runtime_detection(env, modules, expected):
    assert notebook.hosted_runtime(env, modules) == expected


def test_setup_names_a_hosted_runtime_and_stays_silent_locally(monkeypatch, capsys):
    import serlib

    for var in ("COLAB_RELEASE_TAG", "BINDER_LAUNCH_HOST", "BINDER_REPO_URL",
                "JUPYTERHUB_API_URL", "KAGGLE_KERNEL_RUN_TYPE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delitem(__import__("sys").modules, "google.colab", raising=False)
    assert notebook.setup().runtime is None
    assert "running on" not in capsys.readouterr().out
    monkeypatch.setenv("JUPYTERHUB_API_URL", "http://hub:8081/hub/api")
    ctx = notebook.setup()
    assert ctx.runtime == "a JupyterHub"
    assert f"running on a JupyterHub with serlib {serlib.__version__}" in capsys.readouterr().out


def test_browser_microphone_enables_colabs_widget_manager(monkeypatch):
    """In Colab, anywidget switches on Colab's custom widget manager by itself.

    What this checks without Colab: creating the browser microphone calls
    ``google.colab.output.enable_custom_widget_manager()`` (through anywidget) and its
    display bundle names Colab's widget manager. Whether Colab's page then renders the
    widget and grants the microphone needs a real Colab session.
    """
    import sys
    import types

    from anywidget import _util

    calls = []
    widgets = types.SimpleNamespace(_installed_url="https://colab.example/widgets.js")
    output = types.SimpleNamespace(enable_custom_widget_manager=lambda: calls.append("on"),
                                   _widgets=widgets)
    monkeypatch.setitem(sys.modules, "google.colab.output", output)
    _util.enable_custom_widget_manager_once.cache_clear()
    try:
        from serlib.demo.browser import BrowserMicrophone

        mic = BrowserMicrophone()
        bundle = mic._repr_mimebundle_()
        assert calls == ["on"]
        meta = bundle[1] if isinstance(bundle, tuple) else {}
        assert "https://colab.example/widgets.js" in json.dumps(meta)
    finally:
        _util.enable_custom_widget_manager_once.cache_clear()


def test_binder_folder_follows_repo2docker_conventions():
    """binder/: PortAudio from apt, the repository's requirements, a tested Python, the
    numba warm-up after the build."""
    import re

    binder = REPO / "binder"
    apt = [line.strip() for line in (binder / "apt.txt").read_text().splitlines()
           if line.strip() and not line.startswith("#")]
    assert "libportaudio2" in apt
    reqs = [line.strip() for line in (binder / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    # one list of packages, kept in one place, at the versions the tests passed with
    assert reqs == ["-r ../requirements.txt", "-c ../constraints.txt"]
    assert (binder / reqs[0].split()[1]).resolve() == REPO / "requirements.txt"
    assert (binder / reqs[1].split()[1]).resolve() == REPO / "constraints.txt"
    post = binder / "postBuild"  # the image carries librosa's compiled numba code
    assert os.access(post, os.X_OK) and "python -m serlib.warmup" in post.read_text()
    runtime = (binder / "runtime.txt").read_text().strip()
    m = re.fullmatch(r"python-3\.(\d+)", runtime)
    assert m and 10 <= int(m.group(1)) <= 12, f"binder/runtime.txt: {runtime!r}"
