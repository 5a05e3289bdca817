# The two commands of the README: `make serve` and `make test`. Each creates the
# virtualenv and installs what it needs, so a fresh clone needs nothing else.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint unit integration e2e bench bench-replay clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/ledger serve

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy --strict domain projections api adapters tests benchmarks

unit: $(STAMP)
	$(BIN)/pytest -m unit

integration: $(STAMP)
	$(BIN)/pytest -m integration

e2e: $(STAMP)
	$(BIN)/pytest -m e2e

bench: $(STAMP)
	for b in append nats ingest sla replay pd_audit api notify; do $(BIN)/python -m benchmarks.$$b || exit 1; done

bench-replay: $(STAMP)
	$(BIN)/python -m benchmarks.replay

clean:
	rm -rf $(VENV) .ledger-data .pytest_cache .mypy_cache .ruff_cache
