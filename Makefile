# Two commands for a newcomer: `make run` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint types unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The demo event source gets a token for local trying; set SMSBOT_TOKEN_DEMO to choose your own.
run: $(STAMP)
	SMSBOT_TOKEN_DEMO="$${SMSBOT_TOKEN_DEMO:-demo}" \
	SMSBOT_SERVER__ADMIN_TOKEN="$${SMSBOT_SERVER__ADMIN_TOKEN:-demo-admin}" $(BIN)/smsbot serve

test: lint types unit

lint: $(STAMP)
	$(BIN)/ruff check smsbot tests bench
	$(BIN)/ruff format --check smsbot tests bench

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
