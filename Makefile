# Two commands on a fresh machine: `make run` and `make test`.
# Both create .venv and install the project (editable) with its test extras.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=
# `make test` runs pytest on every core with pytest-xdist (`make test TEST_WORKERS=0`: one process).
# On the 2-core dev box (never idle), full suite in back-to-back pairs: 463 tests, median of six pairs
# 120 s with 2 workers vs 130 s in one process; 676 tests, two pairs, 229/143 s vs 297/239 s. Much of
# the suite waits on subprocesses and sockets. Plain `--dist load`, never loadscope/loadgroup: schemathesis's per-operation items share
# one node id, and those schedulers run only one of them. Not in addopts, so `pytest contract_tests
# --base-url https://uphunt.io` stays one process and paces its requests to the real service.
TEST_WORKERS ?= auto

.PHONY: run test lint bench clean chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/uphunt-mock serve $(ARGS)

test: $(STAMP) chromium
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy
	$(PY) -m pytest -n $(TEST_WORKERS)

# Benchmarks (not tests): installs wrk from Debian if missing, writes bench/RESULTS.md.
bench: $(STAMP)
	@command -v wrk >/dev/null || { (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null || sudo sh -c 'apt-get update -qq && apt-get install -y -qq wrk' >/dev/null; }
	$(PY) bench/run.py

# The browser tests drive Debian's Chromium; install it once when it is missing (CI runs as root).
chromium:
	@command -v chromium >/dev/null || test -x /usr/bin/chromium || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache
