# The README's two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: run test lint bench install install-dev clean docs

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m reeplan.sim.warm
	@touch $@

$(DEVSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m reeplan.sim.warm
	@touch $@ $(STAMP)

install: $(STAMP)

install-dev: $(DEVSTAMP)

run: $(STAMP)
	$(BIN)/reeplan run

test: $(DEVSTAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

lint: $(DEVSTAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

bench: $(DEVSTAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .ruff_cache

.PHONY: fuzz

# mutation fuzz of the dataset, overlays, scenario and package YAML and CLI options: 1000
# examples per target, `reeplan run` combinations included (`make test` runs 30, and 10 runs)
fuzz: $(DEVSTAMP)
	REEPLAN_FUZZ_EXAMPLES=1000 $(BIN)/python -m pytest -q -p no:cacheprovider tests/fuzz

DOCSTAMP := $(VENV)/.installed-docs

$(DOCSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	@touch $@

# the documentation site, built into site/ from local files only (opens offline)
docs: $(DOCSTAMP)
	$(BIN)/reeplan scenarios schema --out docs/schema
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
