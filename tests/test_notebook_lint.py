"""Lint for the numbered notebooks: structure, navigation, exercises, committed outputs.

Every ``notebooks/NN_topic.ipynb`` must:

* start with a Markdown cell whose first line is ``# NN · Title`` (NN = file prefix);
* carry an "Open in Colab" badge in cell 0 pointing at this notebook in the repository named
  by ``serlib.notebook.GITHUB_REPOSITORY`` (written by ``scripts/colab_links.py``);
* carry a navigation line at the top (cell 0) and at the bottom (last cell): Markdown links
  to the previous notebook (when there is one), the contents page (``README.md``) and the
  next notebook (when there is one), e.g.
  ``[← 01 · The mel scale](01_mel_scale.ipynb) · [Contents](README.md) · [03 · Chroma →](03_chroma.ipynb)``;
* have a learning-objectives section and a linked table of contents near the top; every
  internal link ``](#anchor)`` must point at an anchor defined in the notebook
  (``<a id="anchor"></a>`` or ``<a name="anchor">``);
* have one level-1 heading (cell 0) and heading levels that never jump (# → ## → ###);
* have no empty cells;
* import serlib and call ``setup()`` from ``serlib.notebook`` in the first code cell, which
  opens with the lines that install serlib on Google Colab (``bootstrap_lines()``);
* have an "Exercises" and a "References" section; every ``exercise_*`` it calls exists in
  ``serlib/exercises/exNN.py``, and every exercise there is used;
* end with the closing frame every notebook shares: ``<a id="remember"></a>`` then
  ``## What to remember``, before ``<a id="exercises"></a>`` then ``## Exercises``, before
  ``<a id="references"></a>`` then ``## References`` (the table of contents links all three);
  the first Markdown cell of the exercises says where the solutions live
  (``serlib/exercises/exNN.py``) and that each exercise has a cell for the student's own
  attempt; each exercise k is a Markdown cell ``**Exercise k — title.** ...``, then a code
  cell whose first line is ``# Your attempt at exercise k`` (comments only, no output),
  then the cell that reveals the solution with ``exNN.exercise_name(show_result=True)``
  (the first of them imports ``exNN``);
* be committed executed: every code cell run once, top to bottom, execution counts
  1..n; no error outputs, no tracebacks or warnings on stderr; no machine-specific
  paths in outputs or code; under 3 MB.

Notebook: all of them (this is the house style described in CONVENTIONS.md).
"""
from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NB_DIR = REPO / "notebooks"
NOTEBOOKS = sorted(p for p in NB_DIR.glob("[0-9][0-9]_*.ipynb"))
NAME_RE = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")
TITLE_RE = re.compile(r"^# (\d\d) · \S.*$")
HEADING_RE = re.compile(r"^(#{1,6})\s+\S")
LINK_RE = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")
ANCHOR_RE = re.compile(r"""<a\s+(?:id|name)\s*=\s*["']([^"']+)["']""")
EXERCISE_RE = re.compile(r"\b(exercise_[A-Za-z0-9_]+)\s*\(")
#: Paths that belong to one machine and must never appear in committed outputs.
MACHINE_PATH_RE = re.compile(r"(/work/|/root/|/tmp/|\.\./shared|/home/[^/\s]+/|/Users/[^/\s]+/"
                             r"|[A-Za-z]:\\Users\\)")
#: Absolute paths that must not be written into code cells either.
CODE_PATH_RE = re.compile(r"(/work/|/root/|/home/[^/\s]+/|/Users/[^/\s]+/|\.\./shared)")
WARNING_RE = re.compile(r"Traceback|\b\w*Warning\b:|^Error|Exception:", re.M)
MAX_BYTES = 3_000_000

pytestmark = pytest.mark.filterwarnings("ignore")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _src(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _markdown_lines(cells):
    """Lines of the Markdown cells, outside fenced code blocks."""
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        fenced = False
        for line in _src(cell).splitlines():
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            if not fenced:
                yield line


def _output_text(output: dict) -> str:
    """All text of one output, images excluded (their base64 is not text)."""
    if output.get("output_type") == "stream":
        t = output.get("text", "")
        return "".join(t) if isinstance(t, list) else t
    if output.get("output_type") == "error":
        return "\n".join(output.get("traceback", [])) + output.get("evalue", "")
    parts = []
    for mime, value in output.get("data", {}).items():
        if mime.startswith("image/") and mime != "image/svg+xml":
            continue
        if mime == "text/html" and "<audio" in (value if isinstance(value, str) else "".join(value)):
            continue  # base64 audio
        parts.append(value if isinstance(value, str) else
                     "".join(value) if isinstance(value, list) else json.dumps(value))
    return "\n".join(parts)


def _nav_targets(line: str) -> list[str]:
    return [target for _text, target in LINK_RE.findall(line)]


def _is_contents(target: str) -> bool:
    return target.split("#")[0] in {"README.md", "../README.md", "index.ipynb"}


def _neighbours(path: Path):
    i = NOTEBOOKS.index(path)
    prev = NOTEBOOKS[i - 1].name if i > 0 else None
    nxt = NOTEBOOKS[i + 1].name if i + 1 < len(NOTEBOOKS) else None
    return prev, nxt


def _find_nav_line(text: str):
    for line in text.splitlines():
        if any(_is_contents(t) for t in _nav_targets(line)):
            return line
    return None


ids = [p.name for p in NOTEBOOKS]


def test_notebooks_exist():
    """The first four notebooks are the backbone; the lint must have something to check."""
    names = {p.name for p in NOTEBOOKS}
    for expected in ("01_mel_scale.ipynb", "02_mfcc.ipynb", "03_chroma.ipynb",
                     "04_datasets.ipynb"):
        assert expected in names, f"notebooks/{expected} is missing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
class TestNotebook:
    def test_file_name(self, path):
        assert NAME_RE.match(path.name), (
            f"{path.name}: notebook names are NN_topic.ipynb (two digits, lower-case, underscores)")

    def test_title_cell(self, path):
        cells = _load(path)["cells"]
        assert cells and cells[0]["cell_type"] == "markdown", (
            f"{path.name}: cell 0 must be a Markdown cell with the title '# NN · Title'")
        first = _src(cells[0]).splitlines()[0] if _src(cells[0]).strip() else ""
        m = TITLE_RE.match(first)
        assert m, f"{path.name}: cell 0 must start with '# NN · Title', found {first!r}"
        assert m.group(1) == path.name[:2], (
            f"{path.name}: title number {m.group(1)} does not match the file name")

    @pytest.mark.parametrize("where", ["top", "bottom"])
    def test_navigation(self, path, where):
        cells = _load(path)["cells"]
        cell = cells[0] if where == "top" else cells[-1]
        line = _find_nav_line(_src(cell))
        assert line, (f"{path.name}: the {where} cell needs a navigation line "
                      "'[← previous](NN_x.ipynb) · [Contents](README.md) · [next →](NN_y.ipynb)'")
        targets = _nav_targets(line)
        prev, nxt = _neighbours(path)
        if prev:
            assert prev in targets, f"{path.name}: {where} navigation must link the previous notebook {prev}"
        if nxt:
            assert nxt in targets, f"{path.name}: {where} navigation must link the next notebook {nxt}"
        for t in targets:
            if t.startswith(("http:", "https:", "#")):
                continue
            assert (path.parent / t.split("#")[0]).exists(), (
                f"{path.name}: navigation link {t!r} points at a file that does not exist")

    def test_open_in_colab_link(self, path):
        from serlib.notebook import colab_badge, colab_url

        top = _src(_load(path)["cells"][0])
        assert colab_url(path.name) in top and colab_badge(path.name) in top.splitlines(), (
            f"{path.name}: cell 0 needs the 'Open in Colab' badge for this repository "
            f"({colab_url(path.name)}); run 'python scripts/colab_links.py'")

    def test_first_code_cell_installs_serlib_on_colab(self, path):
        from serlib.notebook import bootstrap_lines

        code = next(c for c in _load(path)["cells"] if c["cell_type"] == "code")
        lines = _src(code).split("\n")
        assert lines[: len(bootstrap_lines())] == bootstrap_lines(), (
            f"{path.name}: the first code cell must open with the hosted-runtime install lines "
            "of serlib.notebook.bootstrap_lines() (this repository, this version); run "
            "'python scripts/colab_links.py'")

    def test_learning_objectives_and_toc(self, path):
        cells = _load(path)["cells"]
        head = "\n".join(_src(c) for c in cells[:3] if c["cell_type"] == "markdown")
        assert re.search(r"learning objectives", head, re.I), (
            f"{path.name}: a 'learning objectives' box must come in the first three cells")
        internal = [t for _x, t in LINK_RE.findall(head) if t.startswith("#")]
        assert len(internal) >= 3, (
            f"{path.name}: the top of the notebook needs a linked table of contents "
            "(links to the section anchors)")

    def test_internal_links_resolve(self, path):
        cells = _load(path)["cells"]
        md = "\n".join(_src(c) for c in cells if c["cell_type"] == "markdown")
        anchors = set(ANCHOR_RE.findall(md))
        for _text, target in LINK_RE.findall(md):
            if target.startswith("#"):
                assert target[1:] in anchors, (
                    f"{path.name}: link to {target} but no <a id=\"{target[1:]}\"></a> anchor")

    def test_headings_never_jump(self, path):
        cells = _load(path)["cells"]
        levels = [len(m.group(1)) for line in _markdown_lines(cells)
                  if (m := HEADING_RE.match(line))]
        assert levels and levels[0] == 1, f"{path.name}: the first heading must be the '# ' title"
        assert levels.count(1) == 1, f"{path.name}: only the title may be a level-1 heading"
        for a, b in zip(levels, levels[1:]):
            assert b <= a + 1, f"{path.name}: heading level jumps from {a} to {b}"

    def test_sections(self, path):
        cells = _load(path)["cells"]
        headings = [line for line in _markdown_lines(cells) if HEADING_RE.match(line)]
        for section in ("Exercises", "References"):
            assert any(re.search(section, h, re.I) for h in headings), (
                f"{path.name}: needs a '## {section}' section")

    def test_no_empty_cells(self, path):
        for i, cell in enumerate(_load(path)["cells"]):
            assert _src(cell).strip(), f"{path.name}: cell {i} is empty"

    def test_first_code_cell_sets_up(self, path):
        code = [c for c in _load(path)["cells"] if c["cell_type"] == "code"]
        assert code, f"{path.name}: has no code"
        src = _src(code[0])
        assert re.search(r"^\s*(import serlib|from serlib(\.\w+)* import)", src, re.M), (
            f"{path.name}: the first code cell must import serlib")
        assert re.search(r"\bsetup\(", src) and "notebook" in src, (
            f"{path.name}: the first code cell must call serlib.notebook.setup()")

    def test_executed_in_order(self, path):
        code = [c for c in _load(path)["cells"] if c["cell_type"] == "code"]
        counts = [c.get("execution_count") for c in code]
        assert None not in counts, (
            f"{path.name}: {counts.count(None)} code cells were never executed; run "
            "scripts/execute_notebooks.py before committing")
        assert counts == list(range(1, len(code) + 1)), (
            f"{path.name}: execution counts {counts[:12]}... are not 1..n - execute the "
            "notebook top to bottom in one fresh kernel (scripts/execute_notebooks.py)")
        assert code[0].get("outputs"), f"{path.name}: the setup cell shows no output"

    def test_no_errors_or_warnings(self, path):
        for i, cell in enumerate(_load(path)["cells"]):
            for out in cell.get("outputs", []):
                assert out.get("output_type") != "error", (
                    f"{path.name}: cell {i} has an error output: {out.get('ename')}")
                if out.get("output_type") == "stream" and out.get("name") == "stderr":
                    text = _output_text(out)
                    assert not WARNING_RE.search(text), (
                        f"{path.name}: cell {i} shows a traceback or warning: {text[:300]!r}")

    def test_no_machine_paths(self, path):
        for i, cell in enumerate(_load(path)["cells"]):
            if cell["cell_type"] == "code":
                m = CODE_PATH_RE.search(_src(cell))
                assert not m, f"{path.name}: cell {i} code contains a machine path {m.group(0)!r}"
            for out in cell.get("outputs", []):
                m = MACHINE_PATH_RE.search(_output_text(out))
                assert not m, (f"{path.name}: cell {i} output contains a machine-specific "
                               f"path {m.group(0)!r}")

    def test_size(self, path):
        size = path.stat().st_size
        assert size < MAX_BYTES, (
            f"{path.name} is {size / 1e6:.1f} MB; keep notebooks under {MAX_BYTES / 1e6:.0f} MB "
            "(shorter audio players, fewer/lower-dpi figures)")

    def test_exercises_module(self, path):
        number = path.name[:2]
        modname = f"serlib.exercises.ex{number}"
        assert (REPO / "serlib" / "exercises" / f"ex{number}.py").exists(), (
            f"{path.name}: its solutions belong in serlib/exercises/ex{number}.py")
        module = importlib.import_module(modname)
        from serlib.exercises import exercises_in

        defined = exercises_in(module)
        code = "\n".join(_src(c) for c in _load(path)["cells"] if c["cell_type"] == "code")
        used = set(EXERCISE_RE.findall(code))
        assert used, f"{path.name}: calls no exercise_* solution from {modname}"
        missing = used - set(defined)
        assert not missing, f"{path.name}: calls {sorted(missing)} which {modname} does not define"
        unused = set(defined) - used
        assert not unused, f"{modname} defines {sorted(unused)} but {path.name} never calls them"
        for name, func in defined.items():
            assert func.__doc__, f"{modname}.{name} needs a docstring stating the task"
            import inspect

            assert "show_result" in inspect.signature(func).parameters, (
                f"{modname}.{name} must take show_result=True")


#: The closing sections, in their order, with the anchor each heading follows.
CLOSING = (("remember", "What to remember"), ("exercises", "Exercises"), ("references", "References"))
ATTEMPT_RE = re.compile(r"^# Your attempt at exercise (\d+)\s*$")
EXERCISE_MD_RE = re.compile(r"^\*\*Exercise (\d+) — [^*]+[.?!]\*\*", re.M)


def _closing_positions(path: Path, cells) -> dict:
    """Section name -> index of the cell holding its anchor + heading (frame.md)."""
    found = {}
    for anchor, title in CLOSING:
        where = []
        for i, cell in enumerate(cells):
            if cell["cell_type"] != "markdown":
                continue
            lines = [line for line in _src(cell).splitlines()]
            for k, line in enumerate(lines):
                if line.strip() == f"## {title}":
                    before = [x for x in lines[:k] if x.strip()]
                    assert before and before[-1].strip() == f'<a id="{anchor}"></a>', (
                        f"{path.name}: '## {title}' must directly follow its anchor "
                        f'<a id="{anchor}"></a> (the closing frame)')
                    where.append(i)
        assert len(where) == 1, (
            f"{path.name}: needs exactly one '## {title}' section (unnumbered, after "
            f'<a id="{anchor}"></a>), found {len(where)}')
        found[anchor] = where[0]
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
class TestClosingFrame:
    """The closing frame every notebook shares: remember, exercises, references, navigation."""

    def test_sections_in_order(self, path):
        cells = _load(path)["cells"]
        pos = _closing_positions(path, cells)
        assert pos["remember"] < pos["exercises"] < pos["references"], (
            f"{path.name}: the closing sections must come in the order 'What to remember', "
            "'Exercises', 'References'")
        assert pos["references"] >= len(cells) - 2, (
            f"{path.name}: after '## References' only the navigation line may follow")

    def test_toc_lists_closing_sections(self, path):
        cells = _load(path)["cells"]
        head = "\n".join(_src(c) for c in cells[:3] if c["cell_type"] == "markdown")
        for anchor, title in CLOSING:
            assert f"](#{anchor})" in head, (
                f"{path.name}: the table of contents must link '{title}' (#{anchor})")

    def test_exercises_intro(self, path):
        cells = _load(path)["cells"]
        intro = _src(cells[_closing_positions(path, cells)["exercises"]])
        module = f"serlib/exercises/ex{path.name[:2]}.py"
        assert module in intro, (
            f"{path.name}: the first cell of the exercises must say where the solutions live "
            f"(`{module}`)")
        assert re.search(r"attempt", intro, re.I), (
            f"{path.name}: the first cell of the exercises must say that each exercise has a "
            "cell for the student's own attempt before the solution")

    def test_each_exercise_has_an_attempt_cell(self, path):
        cells = _load(path)["cells"]
        pos = _closing_positions(path, cells)
        number = path.name[:2]
        solutions = [i for i, c in enumerate(cells)
                     if c["cell_type"] == "code" and EXERCISE_RE.search(_src(c))]
        assert solutions, f"{path.name}: no cell reveals an exercise solution"
        for k, i in enumerate(solutions, start=1):
            assert pos["exercises"] < i < pos["references"], (
                f"{path.name}: cell {i} reveals a solution outside the Exercises section")
            attempt = cells[i - 1]
            lines = _src(attempt).splitlines()
            assert attempt["cell_type"] == "code" and lines and ATTEMPT_RE.match(lines[0]), (
                f"{path.name}: cell {i} reveals a solution but is not directly preceded by a code "
                f"cell whose first line is '# Your attempt at exercise {k}'")
            assert int(ATTEMPT_RE.match(lines[0]).group(1)) == k, (
                f"{path.name}: cell {i - 1} should be the attempt at exercise {k}, it says "
                f"{lines[0]!r}")
            assert all(not x.strip() or x.lstrip().startswith("#") for x in lines), (
                f"{path.name}: the attempt cell {i - 1} must hold comments only (the student's space)")
            assert not attempt.get("outputs"), f"{path.name}: the attempt cell {i - 1} prints something"
            task = cells[i - 2]
            m = EXERCISE_MD_RE.findall(_src(task)) if task["cell_type"] == "markdown" else []
            assert m and int(m[-1]) == k, (
                f"{path.name}: the cell before the attempt at exercise {k} must be a Markdown cell "
                f"'**Exercise {k} — title.** question'")
            src = _src(cells[i])
            for call in re.finditer(rf"\bex{number}\.exercise_\w+\(([^)]*)\)", src):
                assert call.group(1).strip() == "show_result=True", (
                    f"{path.name}: cell {i} should reveal the solution with "
                    f"ex{number}.exercise_...(show_result=True), found {call.group(0)!r}")
            assert re.search(rf"\bex{number}\.exercise_\w+\(", src), (
                f"{path.name}: cell {i} should call the solution as ex{number}.exercise_...(...)")
        first = _src(cells[solutions[0]])
        assert f"from serlib.exercises import ex{number}" in first, (
            f"{path.name}: the first solution cell must import ex{number} "
            f"(from serlib.exercises import ex{number})")
