# Two commands on a fresh machine: `make run` and `make test`.
# Both create .venv and install the project (editable) with its test extras.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ARGS ?=

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
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

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

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache
