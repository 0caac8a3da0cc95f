# kafka-graphql developer commands. `make run` and `make test` work on a fresh machine with
# Python >= 3.11, Java 17+ and Maven (the broker is resolved from Maven Central).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BROKER := scripts/kafka-broker.sh
CONFIG ?= kafka-graphql.demo.toml
STAMP := $(VENV)/.installed

.PHONY: install kafka-up kafka-down run test test-unit soak lint format bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "kafka-graphql needs Python >= 3.11 (set PYTHON=...)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e ".[dev]"
	@touch $(STAMP)

kafka-up:
	@PYTHON=$(PYTHON) $(BROKER) up dev 9092

kafka-down:
	@$(BROKER) down dev

# Starts the dev broker (if needed) and the gateway with the demo configuration.
run: install kafka-up
	@# GraphiQL's own files, if npm is here; otherwise GraphiQL loads them from a CDN.
	@$(PY) scripts/graphiql-assets.py --optional
	@$(PY) -m kafka_graphql.dev_banner --config $(CONFIG)
	@$(PY) -m kafka_graphql --config $(CONFIG)

# Every test against a throw-away broker on a free port (or $$KAFKA_BOOTSTRAP_SERVERS).
test: install
	@$(PY) scripts/graphiql-assets.py
	@PYTHON=$(PYTHON) $(BROKER) with-broker $(PY) -m pytest $(PYTEST_ARGS)

# The broker fault test, many times over (make test runs 6 restart/crash cycles).
SOAK_CYCLES ?= 40
soak: install
	@FAULT_CYCLES=$(SOAK_CYCLES) PYTHON=$(PYTHON) $(BROKER) with-broker \
		$(PY) -m pytest tests/integration/test_broker_faults.py $(PYTEST_ARGS)

test-unit: install
	@$(PY) -m pytest tests/unit $(PYTEST_ARGS)

lint: install
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check .
	@$(PY) -m mypy

format: install
	@$(PY) -m ruff format .
	@$(PY) -m ruff check --fix .

# Gateway vs raw aiokafka on the same throw-away broker, in one run (see docs/benchmarks.md).
bench: install
	@PYTHON=$(PYTHON) $(BROKER) with-broker $(PY) benchmarks/bench.py

clean: kafka-down
	rm -rf .kafka .graphiql $(VENV) .mypy_cache .ruff_cache .pytest_cache
