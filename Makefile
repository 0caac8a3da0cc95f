# kafka-graphql developer commands. `make run` and `make test` work on a fresh machine with
# Python >= 3.11, Java 17+ and Maven (the broker and the schema registry are resolved from Maven
# Central).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BROKER := scripts/kafka-broker.sh
REGISTRY := scripts/schema-registry.sh
DEV_REGISTRY_URL := http://127.0.0.1:8081/apis/ccompat/v7
CONFIG ?= kafka-graphql.demo.toml
STAMP := $(VENV)/.installed
JS := tests/js
JS_STAMP := $(JS)/node_modules/.installed

.PHONY: install kafka-up kafka-down registry-up registry-down run test test-unit soak lint format \
	proto bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "kafka-graphql needs Python >= 3.11 (set PYTHON=...)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@# setuptools' "Editable installation" notice is a UserWarning of the build: not shown.
	@PYTHONWARNINGS=ignore::UserWarning $(PY) -m pip install -q -e ".[dev]"
	@touch $(STAMP)

kafka-up:
	@PYTHON=$(PYTHON) $(BROKER) up dev 9092

kafka-down:
	@$(BROKER) down dev

registry-up:
	@PYTHON=$(PYTHON) $(REGISTRY) up dev 8081 >/dev/null

registry-down:
	@$(REGISTRY) down dev

# Starts the dev broker (unless KAFKA_BOOTSTRAP_SERVERS names one already), the dev schema
# registry (unless KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL names one, or the configuration has no
# [schema_registry]), seeds the demo's registry subject when it is missing, and runs the gateway.
# The banner comes first: it makes the development key under .dev/ that the demo's [auth] names,
# and prints a token signed with it. Cursors are sealed with the development cursor key under .dev/
# (made on first use), in the variable the demo's server.cursor_keys_env names.
run: install
	@[ -n "$${KAFKA_BOOTSTRAP_SERVERS:-}" ] || $(MAKE) --no-print-directory kafka-up
	@[ -n "$${KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL:-}" ] || ! grep -q '^\[schema_registry\]' $(CONFIG) \
		|| $(MAKE) --no-print-directory registry-up
	@# GraphiQL's own files, if npm is here; otherwise GraphiQL loads them from a CDN.
	@$(PY) scripts/graphiql-assets.py --optional
	@export KAFKA_GRAPHQL_DEV_CURSOR_KEYS="$$($(PY) -m kafka_graphql cursor-key --dev)" \
		&& $(PY) -m kafka_graphql.dev.banner --config $(CONFIG) \
		&& $(PY) -m kafka_graphql.dev.demo_registry --config $(CONFIG) \
		&& exec $(PY) -m kafka_graphql --config $(CONFIG)

# Every test against a throw-away broker and schema registry on free ports (or the ones named by
# $$KAFKA_BOOTSTRAP_SERVERS and $$KAFKA_GRAPHQL_SCHEMA_REGISTRY_URL).
test: install $(JS_STAMP)
	@$(PY) scripts/graphiql-assets.py
	@PYTHON=$(PYTHON) $(BROKER) with-broker \
		env PYTHON=$(PYTHON) $(REGISTRY) with-registry $(PY) -m pytest $(PYTEST_ARGS)

# The JavaScript clients the integration tests drive (tests/js: Apollo Client, graphql-ws, GraphQL
# codegen), exactly as package-lock.json pins them; installed again only when it changes.
$(JS_STAMP): $(JS)/package.json $(JS)/package-lock.json
	@command -v npm >/dev/null || { echo "make test needs npm (Node.js >= 20) for $(JS)"; exit 1; }
	@npm ci --prefix $(JS) --no-audit --no-fund --loglevel=error
	@touch $(JS_STAMP)

# The broker fault test, many times over (make test runs 6 restart/crash cycles); then the fuzz
# tests (tests/integration/test_hostile_fuzz.py) with SOAK_FUZZ_SCALE times their examples, new
# ones on every run (FUZZ_SEED=<n> replays a run's).
SOAK_CYCLES ?= 40
SOAK_FUZZ_SCALE ?= 25
soak: install
	@FAULT_CYCLES=$(SOAK_CYCLES) PYTHON=$(PYTHON) $(BROKER) with-broker \
		$(PY) -m pytest tests/integration/test_broker_faults.py $(PYTEST_ARGS)
	@FUZZ_SCALE=$(SOAK_FUZZ_SCALE) PYTHON=$(PYTHON) $(BROKER) with-broker \
		$(PY) -m pytest tests/integration/test_hostile_fuzz.py $(PYTEST_ARGS)

# GraphiQL's files first, as for `make test`: tests/unit/transport checks the page needs no CDN.
test-unit: install
	@$(PY) scripts/graphiql-assets.py
	@$(PY) -m pytest tests/unit $(PYTEST_ARGS)

# ruff, mypy, and the layers: the import contracts in pyproject.toml ([tool.importlinter]).
lint: install
	@$(PY) -m ruff check .
	@$(PY) -m ruff format --check .
	@$(PY) -m mypy
	@$(VENV)/bin/lint-imports --no-cache

# The gRPC face's Python code from proto/kafka_gateway/v1/gateway.proto (committed; docs/grpc.md).
proto: install
	@$(PY) scripts/grpc-generate.py

format: install
	@$(PY) -m ruff format .
	@$(PY) -m ruff check --fix .

# The benchmark suite (docs/benchmarks.md): each scenario runs the gateway beside the bare stack
# on a throw-away broker, then the doc's table and plot are made again from the results.
# SCENARIOS="P1 P5" runs some; BENCH_ARGS="--quick" is a smoke run of a few minutes (its results go
# to benchmarks/results/quick.json, not into the doc); BENCH_ARGS="--soak" churns P9 for 5 minutes.
SCENARIOS ?=
BENCH_ARGS ?=
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP)
	@$(PY) -m pip install -q -e ".[dev,bench]"
	@touch $(BENCH_STAMP)

bench: install $(BENCH_STAMP)
	@PYTHON=$(PYTHON) $(BROKER) with-broker $(PY) -m benchmarks $(SCENARIOS) $(BENCH_ARGS)
	@$(PY) -m benchmarks.report

clean: kafka-down registry-down
	rm -rf .kafka .registry .graphiql $(VENV) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
