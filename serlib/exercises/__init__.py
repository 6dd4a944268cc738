"""Solutions to the exercises that close each notebook, revealed by a call.

Convention (after Meinard Müller's PCP notebooks):

* Notebook ``NN_topic.ipynb`` has one module ``serlib/exercises/exNN.py``.
* Each exercise is a function ``exercise_<name>(show_result=True)``. Its docstring
  repeats the task. The notebook follows the closing frame (``tests/test_notebook_lint.py``
  enforces it): a Markdown cell states the task (``**Exercise k — title.** ...``), then an
  empty code cell for the student's own attempt, then the cell that reveals the solution::

      # Your attempt at exercise 1

      from serlib.exercises import ex01

      ex01.exercise_octaves_in_mel(show_result=True)

  With ``show_result=True`` the function prints and/or plots the solution (figures appear
  when the cell finishes) and returns ``None``, so nothing extra is echoed below the cell;
  with ``show_result=False`` it does nothing.
* Solutions use only public ``serlib`` functions plus numpy/librosa/matplotlib, never
  private notebook state; they must run in a second or two (quick mode or not).
* ``tests/test_notebook_lint.py`` checks that every ``exercise_*`` a notebook calls exists
  in its module and that every exercise in the module is used by the notebook.

Notebook: every notebook (section "Exercises").
"""
from __future__ import annotations

import importlib
import inspect
from types import ModuleType


def module_for(number: int | str) -> ModuleType:
    """Import and return ``serlib.exercises.exNN`` for notebook number ``NN``."""
    return importlib.import_module(f"serlib.exercises.ex{int(number):02d}")


def exercises_in(module: ModuleType) -> dict:
    """Name -> function for every ``exercise_*`` function defined in ``module``."""
    return {name: obj for name, obj in vars(module).items()
            if name.startswith("exercise_") and inspect.isfunction(obj)
            and obj.__module__ == module.__name__}


def heading(title: str) -> None:
    """Print the one-line banner every solution starts with."""
    print(f"Solution - {title}")
    print("-" * (11 + len(title)))
