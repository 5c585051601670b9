# One entry point for people and CI. `make demo` and `make test` do all the set-up themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
DEMO_DIR ?= data/demo

.PHONY: venv demo test lint lint-sql format pytest browser figures bench-sim bench bench-window \
	trino-up trino-down trino-status clean

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

# Simulate two days of a 500-host fleet with planted beacons, run the whole job on DuckDB,
# print the top findings and score them against the ground truth.
demo: venv
	$(BIN)/beaconlake simulate --out $(DEMO_DIR)/sim --hosts 500 --days 2 --tenants 3 --seed 1 \
		--overwrite
	rm -f $(DEMO_DIR)/beaconlake.duckdb $(DEMO_DIR)/beaconlake.duckdb.wal
	$(BIN)/beaconlake run --input $(DEMO_DIR)/sim --db $(DEMO_DIR)/beaconlake.duckdb
	$(BIN)/beaconlake findings --db $(DEMO_DIR)/beaconlake.duckdb --per-window --format csv --limit 100000 \
		> $(DEMO_DIR)/findings.csv
	$(BIN)/beaconlake evaluate --ground-truth $(DEMO_DIR)/sim --findings $(DEMO_DIR)/findings.csv \
		--min-beats 20 --plot $(DEMO_DIR)/recall_vs_jitter.png
	$(BIN)/beaconlake figures --out $(DEMO_DIR)/figures

lint: venv lint-sql
	$(BIN)/ruff check python_udfs tests benchmarks
	$(BIN)/ruff format --check python_udfs tests benchmarks
	$(BIN)/mypy

lint-sql: venv
	$(BIN)/sqlfluff lint models tests/dbt analysis

format: venv
	$(BIN)/ruff check --fix python_udfs tests benchmarks
	$(BIN)/ruff format python_udfs tests benchmarks

# The whole suite runs against a local Trino server (trino/with_server.sh starts it unless one
# runs, and stops what it started, also on failure); BEACONLAKE_REQUIRE_TRINO=1 turns a missing
# server into failures. TRINO=0 runs everything else (no Java or no download needed).
TRINO ?= 1
TRINO_PORT ?= 8089
# The report's test opens it in a real headless browser, Debian's chromium: CI installs it and
# requires the test; elsewhere the test skips when there is no chromium.
REQUIRE_CHROMIUM := $(if $(CI),1,0)
pytest: venv browser
ifeq ($(TRINO),0)
	@echo "make: TRINO=0: skipping the Trino suite (tests marked 'trino'); CI runs it" >&2
	BEACONLAKE_REQUIRE_CHROMIUM=$(REQUIRE_CHROMIUM) $(BIN)/pytest -m "not trino"
else
	TRINO_PORT=$(TRINO_PORT) bash trino/with_server.sh env BEACONLAKE_REQUIRE_TRINO=1 \
		BEACONLAKE_REQUIRE_CHROMIUM=$(REQUIRE_CHROMIUM) $(BIN)/pytest
endif

browser:
ifneq ($(CI),)
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
endif

test: lint pytest

figures: venv
	$(BIN)/beaconlake figures --out figures

# 100 million events: 10,000 hosts x 1 day.
bench-sim: venv
	$(BIN)/python benchmarks/bench_simulate.py --hosts 10000 --days 1 --out data/bench

# The 100-million-event day (simulated by bench-sim if absent): the floor query, then
# `beaconlake run` end to end on it; their ratio, peak memory, candidates/s, slowest nodes.
bench: venv
	test -f data/bench/manifest.json || $(MAKE) bench-sim
	$(BIN)/python benchmarks/bench_run.py --input data/bench

# A fleet's week built one day at a time: each day on top of the days before it, against the
# last day built alone (the promise: at most 1.2x), plus the last day's confirmation step.
BENCH_WINDOW_HOSTS ?= 2000
BENCH_WINDOW_DAYS ?= 7
bench-window: venv
	$(BIN)/python benchmarks/bench_window.py --hosts $(BENCH_WINDOW_HOSTS) \
		--days $(BENCH_WINDOW_DAYS) --input data/bench-window

# A local single-node Trino 476 (downloads once to ~/.cache/beaconlake; see trino/README.md).
trino-up:
	TRINO_PORT=$(TRINO_PORT) bash trino/server.sh up
trino-down:
	TRINO_PORT=$(TRINO_PORT) bash trino/server.sh down
trino-status:
	TRINO_PORT=$(TRINO_PORT) bash trino/server.sh status

clean:
	rm -rf target logs dbt_packages data figures .pytest_cache .ruff_cache

# Airflow 3 with Cosmos and the dbt Cloud provider, in an environment of its own (airflow/.venv:
# Airflow's pins clash with dbt's); its DAGs run dbt and beaconlake from $(VENV) (`make venv`).
# See airflow/README.md. tests/test_airflow.py runs this target before it runs the DAGs.
AIRFLOW_VENV ?= airflow/.venv
AIRFLOW_STAMP := $(AIRFLOW_VENV)/.installed-$(shell cat airflow/requirements.txt | cksum | cut -d' ' -f1)

.PHONY: airflow-venv

$(AIRFLOW_STAMP): airflow/requirements.txt
	$(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_VENV)/bin/pip install --quiet --upgrade pip
	$(AIRFLOW_VENV)/bin/pip install --quiet -r airflow/requirements.txt
	rm -f $(AIRFLOW_VENV)/.installed-* && touch $@

airflow-venv: $(AIRFLOW_STAMP)
