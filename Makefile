# Two set-up commands for a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= sqlite:///lagesbild.sqlite
HOST ?= 127.0.0.1
PORT ?= 8000
SYSTEM_EXTRAS ?= gdal-bin chromium
export LAGESBILD_DB ?= $(DB)

.PHONY: run test install install-test lint bench clean npm

# The browser's libraries (package.json: the map editor of the mapping round) are npm packages,
# fetched by `npm ci` into node_modules/ and served by the app itself (no CDN).
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js and npm (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	npm ci
	touch $@

npm: node_modules/.package-lock.json

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# An editable install leaves the modules uncompiled, and with PYTHONDONTWRITEBYTECODE set (as
# on CI machines) every command would compile what it imports again (0.16 s of `lagesbild
# places`): compile them once here, as pip does for a wheel.
install: $(BIN)/python npm
	$(BIN)/pip install -q -e .
	$(BIN)/python -m compileall -q src

install-test: $(BIN)/python npm
	$(BIN)/pip install -q -e '.[test]'
	$(BIN)/python -m compileall -q src

## run: install, initialise the SQLite store with the demo scenario, serve on http://127.0.0.1:8000
run: install
	scripts/system-deps --runtime
	$(BIN)/lagesbild init
	$(BIN)/lagesbild demo
	$(BIN)/lagesbild serve --host $(HOST) --port $(PORT)

## test: install with test extras and run the whole suite (SQLite and a throwaway PostGIS server)
test: install-test
	scripts/system-deps $(SYSTEM_EXTRAS)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports --no-logo

bench: install-test
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) node_modules lagesbild.sqlite*
