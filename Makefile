# sanfu — two commands for a fresh machine:
#   make run    set up, initialise a SQLite database, load the demo, start the application
#   make test   set up and run the whole test suite
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
SANFU := $(VENV)/bin/sanfu

.PHONY: run test setup bench clean

$(VENV)/.installed: setup.cfg pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11 ($(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed

run: setup
	$(SANFU) init
	$(SANFU) demo
	$(SANFU) scheduler

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(SANFU) bench

clean:
	rm -rf $(VENV) instance .pytest_cache
