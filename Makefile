# One entry point for people and CI. `make demo` and `make test` do all the set-up themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
DEMO_DIR ?= data/demo

.PHONY: venv demo test lint format pytest figures bench-sim clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

demo: venv
	$(BIN)/beaconlake simulate --out $(DEMO_DIR) --hosts 500 --days 2 --tenants 3 --seed 1 --overwrite
	$(BIN)/beaconlake figures --out $(DEMO_DIR)/figures

lint: venv
	$(BIN)/ruff check python_udfs tests benchmarks
	$(BIN)/ruff format --check python_udfs tests benchmarks

format: venv
	$(BIN)/ruff check --fix python_udfs tests benchmarks
	$(BIN)/ruff format python_udfs tests benchmarks

pytest: venv
	$(BIN)/pytest

test: lint pytest

figures: venv
	$(BIN)/beaconlake figures --out figures

# 100 million events: 10,000 hosts x 1 day.
bench-sim: venv
	$(BIN)/python benchmarks/bench_simulate.py --hosts 10000 --days 1 --out data/bench

clean:
	rm -rf target logs dbt_packages data figures .pytest_cache .ruff_cache
