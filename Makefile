# Two commands for a newcomer: `make run` and `make test`. Both build .venv first.
# `make check` is the inner loop: lint, types and every fast test, in under a minute.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps, so that each target installs what it needs: running needs the runtime
# dependencies only; testing, linting and the benchmark also need the development tools
# (pytest, playwright, mypy, schemathesis: some 450 MB). `make test` after `make run` adds them.
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
# The versions the tests passed with (`pip freeze` of a fresh development install); both installs
# are held to them, and a changed file reinstalls. `make lock` writes it anew from the newest
# versions pyproject.toml allows.
CONSTRAINTS := constraints.txt
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test check lint types unit fast bench lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml $(CONSTRAINTS) $(BIN)/python
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS) $(BIN)/python
	$(BIN)/pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

# The demo event source gets a token for local trying; set SMSBOT_TOKEN_DEMO to choose your own.
run: $(RUN_STAMP)
	SMSBOT_TOKEN_DEMO="$${SMSBOT_TOKEN_DEMO:-demo}" \
	SMSBOT_SERVER__ADMIN_TOKEN="$${SMSBOT_SERVER__ADMIN_TOKEN:-demo-admin}" $(BIN)/smsbot serve

test: lint types unit

# Everything but the fault suite and the browser tests (pytest markers `slow` and `browser`).
check: lint types fast

lint: $(STAMP)
	$(BIN)/ruff check smsbot tests bench
	$(BIN)/ruff format --check smsbot tests bench
	$(BIN)/lint-imports --no-cache --no-logo

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(CHROMIUM)
	$(BIN)/pytest -q

fast: $(STAMP)
	$(BIN)/pytest -q -n auto -m "not slow and not browser" --ignore=tests/faults --ignore=tests/browser

# The browser tests drive Debian's Chromium; installed once (as root, or with sudo).
$(CHROMIUM):
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium > /dev/null

# Load, scale and report figures (bench/results.json); BENCH_QUICK=1 for a one-minute version.
bench: $(STAMP)
	$(BIN)/python -m bench.run

# A fresh virtual environment gets the newest versions pyproject.toml allows; its `pip freeze`
# becomes constraints.txt. Run the tests after it, and commit the file with them.
LOCK_VENV := $(VENV)/lock
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/pip install --quiet -e '.[dev]'
	echo "# Written by \`make lock\` (pip freeze of a fresh '.[dev]' install); edit pyproject.toml, not this." > $(CONSTRAINTS)
	$(LOCK_VENV)/bin/pip freeze --exclude-editable >> $(CONSTRAINTS)
	rm -rf $(LOCK_VENV)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
