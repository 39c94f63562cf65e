# Two commands for a newcomer: `make run` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

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

unit: $(STAMP)
	$(BIN)/pytest -q

# Load, scale and report figures (bench/results.json); BENCH_QUICK=1 for a one-minute version.
bench: $(STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
