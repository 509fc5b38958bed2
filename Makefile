# pingan: `make demo` and `make test` are all a newcomer needs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := src/pingan/web/static/vendor/.installed

.PHONY: setup demo serve test check lint typecheck contracts pytest test-slow bench clean format

setup: $(STAMP) $(VENDOR)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# Front-end packages come from npm into the static folder; nothing is loaded from a CDN.
$(VENDOR): package.json
	bash scripts/install_frontend.sh
	touch $(VENDOR)

demo: setup
	$(BIN)/pingan demo

serve: setup
	$(BIN)/pingan serve

check: setup lint typecheck contracts

lint:
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: setup
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

typecheck:
	$(BIN)/mypy

contracts:
	$(BIN)/lint-imports

# two pytest-xdist workers on the 2-core machine (each with databases and a data folder of its
# own, see tests/conftest.py); `make pytest WORKERS=0` runs in one process
WORKERS ?= 2
pytest: setup
	$(BIN)/pytest -q -n $(WORKERS)

test: check pytest

test-slow: setup
	$(BIN)/pytest -q -m "slow"

bench: setup
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) pingan-data src/pingan/web/static/vendor node_modules
