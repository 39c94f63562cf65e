# Two commands for a newcomer: `make run` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps, so that each target installs what it needs: running needs the runtime
# dependencies only; testing, linting and the benchmark also need the development tools
# (pytest, playwright, mypy, schemathesis: some 450 MB). `make test` after `make run` adds them.
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint types unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The demo event source gets a token for local trying; set SMSBOT_TOKEN_DEMO to choose your own.
run: $(RUN_STAMP)
	SMSBOT_TOKEN_DEMO="$${SMSBOT_TOKEN_DEMO:-demo}" \
	SMSBOT_SERVER__ADMIN_TOKEN="$${SMSBOT_SERVER__ADMIN_TOKEN:-demo-admin}" $(BIN)/smsbot serve

test: lint types unit

lint: $(STAMP)
	$(BIN)/ruff check smsbot tests bench
	$(BIN)/ruff format --check smsbot tests bench
	$(BIN)/lint-imports --no-cache

types: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) $(CHROMIUM)
	$(BIN)/pytest -q

# The browser tests drive Debian's Chromium; installed once (as root, or with sudo).
$(CHROMIUM):
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium > /dev/null

# Load, scale and report figures (bench/results.json); BENCH_QUICK=1 for a one-minute version.
bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
