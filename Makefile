# Two commands do everything:
#   make lab    install what is needed and open JupyterLab on the notebooks
#   make test   install the test extras too and run the whole test suite
# Optional: make system-deps   (Debian/Ubuntu: PortAudio, PulseAudio, Chromium; needs root or sudo)

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# Two workers, one notebook per worker (cells of one notebook must stay together).
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: lab install test test-install system-deps notebooks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements-test.txt $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $@

install: $(VENV)/.installed

lab: install
	$(BIN)/jupyter lab notebooks/

test-install: $(VENV)/.test-installed

test: test-install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Debian/Ubuntu packages: PortAudio (kernel microphone), PulseAudio (virtual microphone
# for the tests), Chromium (browser-microphone test). Uses sudo when not root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-deps:
	$(SUDO) apt-get update
	$(SUDO) apt-get install -y libportaudio2 pulseaudio pulseaudio-utils libasound2-plugins chromium

# Re-execute the committed notebooks in full mode on the corpora in $$SERLIB_DATA.
notebooks: install
	$(BIN)/python scripts/execute_notebooks.py notebooks/[0-9]*.ipynb

clean:
	rm -rf $(VENV) .pytest_cache artifacts
