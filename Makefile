# Two commands do everything:
#   make lab    install what is needed and open JupyterLab on the notebooks
#   make test   install the test extras too and run the whole test suite
# Options:
#   make lab LAB_ARGS="--no-browser --port 8899"   (any `jupyter lab` option; as root,
#                                                   --allow-root is added for you)
#   make test PYTEST_ARGS="-n 0 tests/test_audio.py"
#   make install CONSTRAINTS=   (newest allowed versions instead of the tested ones in constraints.txt)
# Optional: make system-deps   (Debian/Ubuntu: PortAudio, PulseAudio, Chromium; needs root or sudo)

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# Two workers, one notebook per worker (cells of one notebook must stay together).
PYTEST_ARGS ?= -n 2 --dist loadfile
# Extra options for `jupyter lab`, e.g. LAB_ARGS="--no-browser --port 8899 --ip 0.0.0.0".
LAB_ARGS ?=
# The exact versions the test suite last passed with (constraints.txt, written by
# `make lock`), so a fresh clone installs what CI tested. CONSTRAINTS= (empty) takes the
# newest versions requirements.txt allows instead.
CONSTRAINTS ?= constraints.txt
# pip shows what it downloads and installs (one line per package, bars on a terminal).
PIP = $(BIN)/python -m pip install --progress-bar on --disable-pip-version-check \
      $(if $(CONSTRAINTS),-c $(CONSTRAINTS))
# JupyterLab refuses to start as root without --allow-root (containers, cloud VMs).
IS_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo yes)
ROOT_ARGS := $(if $(IS_ROOT),$(if $(findstring --allow-root,$(LAB_ARGS)),,--allow-root))

.PHONY: lab install test test-install system-deps notebooks clean lock

$(BIN)/python:
	@echo ">>> creating the virtual environment $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	@echo ">>> updating pip (a few seconds)"
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	@echo ">>> installing serlib and what the notebooks need: TensorFlow, librosa, scikit-learn,"
	@echo ">>> JupyterLab, Voila ... about 2.5 GB; about 4 minutes the first time on 2 cores, longer"
	@echo ">>> on a slow line (downloads). One line per package follows."
	$(PIP) -r requirements.txt
	@echo ">>> compiling librosa's numba code once, before anything runs in parallel (about 25 s)"
	$(BIN)/python -m serlib.warmup
	touch $@

$(VENV)/.test-installed: requirements-test.txt $(CONSTRAINTS) $(VENV)/.installed
	@echo ">>> installing the test tools: pytest, pytest-xdist, nbval, Playwright (under a minute)"
	$(PIP) -r requirements-test.txt
	touch $@

install: $(VENV)/.installed

lab: install
	@$(if $(ROOT_ARGS),echo ">>> running as root: adding --allow-root (JupyterLab refuses root without it)")
	@echo ">>> starting JupyterLab on notebooks/ (Ctrl-C twice to stop). No browser on this machine?"
	@echo ">>> Open the http://localhost:PORT/lab?token=... address it prints (README, Quick start)."
	$(BIN)/jupyter lab notebooks/ $(ROOT_ARGS) $(LAB_ARGS)

test-install: $(VENV)/.test-installed

test: test-install
	@echo ">>> running the whole test suite with pytest $(PYTEST_ARGS): unit tests, the notebook"
	@echo ">>> lint, all notebooks in quick mode, microphone and browser tests. About 6 minutes"
	@echo ">>> on 2 cores; dots appear as tests pass, skipped tests are listed with their reason."
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Debian/Ubuntu packages: PortAudio (kernel microphone), PulseAudio (virtual microphone
# for the tests), Chromium (browser-microphone test). Uses sudo when not root.
SUDO := $(if $(IS_ROOT),,sudo)
system-deps:
	$(SUDO) apt-get update
	$(SUDO) apt-get install -y libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins chromium

# Re-execute the committed notebooks in full mode on the corpora in $$SERLIB_DATA.
notebooks: install
	$(BIN)/python scripts/execute_notebooks.py notebooks/[0-9]*.ipynb

# After `make test` passes with newer packages (make install CONSTRAINTS= ...), record them.
lock: test-install
	@echo "# The exact versions serlib's test suite last passed with, on Linux, Python 3.11." > constraints.txt
	@echo "# Used by make (pip -c); written by \`make lock\`. Not needed for pip install serlib." >> constraints.txt
	$(BIN)/python -m pip freeze --exclude-editable >> constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache artifacts
