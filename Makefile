# sanfu — two commands for a fresh machine:
#   make run    set up, initialise a SQLite database, load the demo, start the application
#   make test   set up and run the whole test suite
PYTHON ?= python3.11
HOST ?= 127.0.0.1
PORT ?= 8000
VENV ?= .venv
PY := $(VENV)/bin/python
SANFU := $(VENV)/bin/sanfu
NPM ?= npm
# bpmn-js (package.json, pinned by package-lock.json): the browser needs only the viewer
# bundle, its CSS and the font, copied where Flask serves static files (git-ignored).
BPMN_DIST := node_modules/bpmn-js/dist
VENDOR := web/static/vendor/bpmn-js
# ECharts (same package.json): the 督办看板's charts need only the common (bar, line) bundle.
ECHARTS_VENDOR := web/static/vendor/echarts
# The designer's editors (bpmn-js modeler + properties panel + bpmnlint, dmn-js): bundled by esbuild
# from web/assets/editor/ (tools/build_editor.mjs), whenever a source or the lock file changes.
EDITOR_VENDOR := web/static/vendor/editor
EDITOR_SOURCES := $(wildcard web/assets/editor/*.js web/assets/editor/*.css web/assets/editor/*.json)

.PHONY: run test setup bench clean

$(VENV)/.installed: setup.cfg pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11 ($(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# `npm ci` reinstalls node_modules exactly as locked, only when the lock file changes.
node_modules/.sanfu-installed: package.json package-lock.json
	@command -v $(NPM) >/dev/null 2>&1 || { echo "需要 npm 来安装流程图组件 bpmn-js：Debian 上执行 apt-get install nodejs npm (npm is required)"; exit 1; }
	$(NPM) ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR)/.copied: node_modules/.sanfu-installed
	rm -rf $(VENDOR)
	mkdir -p $(VENDOR)/assets/bpmn-font/css $(VENDOR)/assets/bpmn-font/font
	cp $(BPMN_DIST)/bpmn-navigated-viewer.production.min.js $(VENDOR)/
	cp $(BPMN_DIST)/assets/diagram-js.css $(BPMN_DIST)/assets/bpmn-js.css $(VENDOR)/assets/
	cp $(BPMN_DIST)/assets/bpmn-font/css/bpmn.css $(VENDOR)/assets/bpmn-font/css/
	cp $(BPMN_DIST)/assets/bpmn-font/font/bpmn.* $(VENDOR)/assets/bpmn-font/font/
	touch $@

$(ECHARTS_VENDOR)/.copied: node_modules/.sanfu-installed
	rm -rf $(ECHARTS_VENDOR)
	mkdir -p $(ECHARTS_VENDOR)
	cp node_modules/echarts/dist/echarts.common.min.js node_modules/echarts/LICENSE $(ECHARTS_VENDOR)/
	touch $@

$(EDITOR_VENDOR)/.built: node_modules/.sanfu-installed tools/build_editor.mjs $(EDITOR_SOURCES)
	node tools/build_editor.mjs
	touch $@

setup: $(VENV)/.installed $(VENDOR)/.copied $(ECHARTS_VENDOR)/.copied $(EDITOR_VENDOR)/.built

run: setup
	$(SANFU) init
	$(SANFU) demo
	@echo "sanfu: http://$(HOST):$(PORT)/  (demo logins: README; Ctrl-C stops the web server and the scheduler)"
	$(SANFU) scheduler & SCHED=$$!; trap 'kill $$SCHED 2>/dev/null' EXIT INT TERM; \
	  $(PY) -m web --host $(HOST) --port $(PORT)

# The house rules first (ruff; the layer order and no import cycle: setup.cfg [importlinter]), then the suite.
test: setup
	$(VENV)/bin/ruff check engine web tests tools
	$(VENV)/bin/lint-imports
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(SANFU) bench

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules $(VENDOR) $(ECHARTS_VENDOR)
