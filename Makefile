# OsteoClinic: `make demo` to try it, `make test` to run the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test bench lint format python-check port-free clean

python-check:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
	  { echo "OsteoClinic needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
	    echo "Install a newer Python, or run: make PYTHON=/path/to/python3.11 demo"; exit 1; }

$(VENV)/bin/python: | python-check
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

# Checked before anything is installed or migrated, so a second `make demo` says at once what to do.
port-free: | python-check
	@$(PYTHON) -c 'import socket, sys; s = socket.socket(); \
	  s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((sys.argv[1], int(sys.argv[2])))' \
	  $(HOST) $(PORT) 2>/dev/null || \
	  { echo "Port $(PORT) on $(HOST) is busy (is a demo already running?)."; \
	    echo "Stop it, or serve on another port: make demo PORT=8010"; exit 1; }

demo: port-free $(VENV)/.runtime-installed
	DEBUG=true $(PY) manage.py migrate --no-input
	DEBUG=true $(PY) manage.py seed_demo
	@echo "Serving OsteoClinic on http://$(HOST):$(PORT)/ with one background worker (Ctrl+C stops both)"
	@DEBUG=true $(PY) manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM HUP; \
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.dev-installed
	$(PY) -m pytest $(PYTEST_ARGS)

# The clinic sizes the benchmark measures, one after the other (README: how long each takes);
# both, for the growth from one to the other: make bench BENCH_SIZES="10000 100000".
BENCH_SIZES ?= 10000
BENCH_PYTEST = -m pytest tests/bench -p no:randomly -p no:playwright -s -q --override-ini addopts=

bench: $(VENV)/.dev-installed
	$(PY) -m pip install --quiet -r requirements-bench.txt
	@for size in $(BENCH_SIZES); do \
	  echo "== Page benchmark on SQLite, $$size patients (its own temporary database file)"; \
	  BENCH_PATIENTS=$$size DATABASE_URL= $(PY) $(BENCH_PYTEST) $(PYTEST_ARGS) || exit 1; \
	done
	@PG_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"; \
	if $(PY) -c 'import sys; from tests.bench.loadtest import reachable; \
	    sys.exit(0 if reachable(sys.argv[1]) else 1)' "$$PG_URL"; then \
	  for size in $(BENCH_SIZES); do \
	    echo "== Page benchmark on PostgreSQL, $$size patients (its own database)" && \
	    BENCH_PATIENTS=$$size DATABASE_URL="$$PG_URL" $(PY) $(BENCH_PYTEST) $(PYTEST_ARGS) && \
	    echo "== Load test, $$size patients: gunicorn and locust on 127.0.0.1, PostgreSQL" && \
	    BENCH_PATIENTS=$$size DATABASE_URL="$$PG_URL" $(PY) -m tests.bench.loadtest || exit 1; \
	  done; \
	else \
	  echo "No PostgreSQL at $$PG_URL: its page benchmark and the load test are skipped."; \
	fi

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
