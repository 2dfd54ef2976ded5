# Motcua — the two commands a newcomer needs are `make up` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
CHART_JS := services/reporting/static/chart.umd.min.js

.PHONY: up down status test lint unit chaos bench clean

$(STAMP): pyproject.toml $(CHART_JS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

# The leaders' page's charts: Chart.js from the npm registry at build time, pinned by the
# lock file, served by reporting itself (no CDN).
$(CHART_JS): services/reporting/web/package.json services/reporting/web/package-lock.json
	npm ci --no-audit --no-fund --prefix services/reporting/web
	cp services/reporting/web/node_modules/chart.js/dist/chart.umd.min.js $(CHART_JS)

## up: install what is needed, start Kafka, PostgreSQL and the four services, print the endpoints
##     (`make up ARGS=--with-prometheus` also runs Prometheus, `ARGS=--brokers 3` a cluster of
##     three Kafka brokers; ARGS go to `stack.py up`)
up: $(STAMP)
	$(PY) deploy/local/stack.py up $(ARGS)

## down: stop everything `make up` started
down:
	@if [ -x $(PY) ]; then $(PY) deploy/local/stack.py down; fi

## status: what runs, on which port, with which pid and log file
status: $(STAMP)
	$(PY) deploy/local/stack.py status

## lint: ruff and mypy
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## test: lint, then every test against throwaway Kafka + PostgreSQL pairs (or the ones in the env):
##       most on TEST_WORKERS pytest workers at once, each with a pair of its own, then those
##       marked `alone` (the short chaos run, the Kafka outage), which need the machine to
##       themselves; both parts always run, and either failing fails the target
TEST_WORKERS ?= 2
test: lint
	@status=0; \
	$(PY) -m pytest -n $(TEST_WORKERS) -m 'not long and not alone' || status=$$?; \
	$(PY) -m pytest -m 'alone and not long' || status=$$?; \
	exit $$status

## unit: the tests that need no Kafka or PostgreSQL
unit: $(STAMP)
	$(PY) -m pytest -m 'not integration'

## chaos: the long failure runs, of which `make test` runs short versions: 100,000 dossiers on
##        three brokers with two of every service process while each is killed (5,000 in
##        `make test`), and a whole minute without Kafka under traffic (20 s)
chaos: $(STAMP)
	$(PY) -m tests.chaos --dossiers $(or $(DOSSIERS),100000)
	MOTCUA_OUTAGE_S=60 $(PY) -m pytest -m 'long or not long' tests/integration/test_kafka_outage.py \
		tests/integration/deadlines/test_rebalance.py

## bench: every benchmark (intake, deadlines timer, alert lag, board pages); figures go to bench/RESULTS.md
bench: $(STAMP)
	$(PY) -m bench all

clean: down
	rm -rf .stack .test-stack* .cache
