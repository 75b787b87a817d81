# The two commands of README.md: `make demo` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: demo test lint typecheck unit bench bench-pricing bench-lm bench-paging clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Laddhub needs Python 3.11+")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

demo: $(STAMP)
	$(BIN)/laddhub demo

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy --strict src/laddhub/ocpi src/laddhub/pricing src/laddhub/loadmgmt

unit: $(STAMP)
	$(BIN)/pytest -q

bench-pricing: $(STAMP)
	$(BIN)/python benchmarks/pricing.py

bench-lm: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/loadmgmt/run.py

bench-paging: $(STAMP)
	$(BIN)/python benchmarks/locations_paging.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
