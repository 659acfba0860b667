# Works Console: `make run` to try it, `make test` for the whole suite. Both set everything up first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# `make run WEB_PORT=8001` when 8000 is taken.
WEB_PORT ?= 8000

.PHONY: setup run test lint format bench lock clean

$(PY):
	"$$(scripts/find-python)" -m venv $(VENV)

$(STAMP): $(PY) requirements.lock pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch node_modules/.installed

## setup: virtualenv, Python and front-end packages, compiled translations, migrations, catalog, and the demo
## customer with its history (development only: skipped unless DJANGO_DEBUG is true, its default here)
setup: $(STAMP) node_modules/.installed
	mkdir -p var/broker/out var/broker/processed var/cache
	test -f .env || printf '# Local development settings (git-ignored); the environment wins over this file.\nDJANGO_DEBUG=true\n' > .env
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py migrate --no-input -v 0
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py seed_demo --skip-unless-debug --url http://127.0.0.1:$(WEB_PORT)

## run: the console at http://127.0.0.1:8000 (WEB_PORT) with a Celery worker and beat (Procfile.dev), the demo
## logins printed once all is up; Ctrl-C stops all of it
run: setup
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} WEB_PORT=$(WEB_PORT) PATH="$(CURDIR)/$(VENV)/bin:$$PATH" \
		$(VENV)/bin/honcho -f Procfile.dev start

## test: the whole suite against real PostgreSQL and Redis, browser tests included. The test database is made
## afresh (13 s): a run killed halfway leaves committed rows behind (live-server tests), which --reuse-db, the
## default of a bare `pytest`, would hand to the next run. One process per core, up to four (pytest-xdist).
test: setup
	scripts/ensure-services
	$(VENV)/bin/pytest --create-db --numprocesses auto --maxprocesses 4 $(PYTEST_ARGS)

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: setup
	scripts/ensure-services
	$(PY) -m bench $(BENCH_ARGS)

## lock: re-pin requirements.lock from pyproject.toml (run after changing dependencies)
lock: $(PY)
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) node_modules var staticfiles db.sqlite3 db.sqlite3-wal db.sqlite3-shm
