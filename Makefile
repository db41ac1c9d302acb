# sanfu — two commands for a fresh machine:
#   make run    set up, initialise a SQLite database, load the demo, start the application
#   make test   set up and run the whole test suite
PYTHON ?= python3.11
HOST ?= 127.0.0.1
PORT ?= 8000
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
	@echo "sanfu: http://$(HOST):$(PORT)/  (demo logins: README; Ctrl-C stops the web server and the scheduler)"
	$(SANFU) scheduler & SCHED=$$!; trap 'kill $$SCHED 2>/dev/null' EXIT INT TERM; \
	  $(PY) -m web --host $(HOST) --port $(PORT)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(SANFU) bench

clean:
	rm -rf $(VENV) instance .pytest_cache
