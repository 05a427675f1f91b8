# coodie — the two commands a newcomer needs:
#   make compare   the driver comparison against the local Cassandra node
#   make test      every test: lint + types, C tests (plain and ASan/UBSan), unit, integration
# Everything else below is a building block of those two.

PYTHON   ?= python3
VENV     ?= .venv
PY       := $(VENV)/bin/python
NODE     := $(PYTHON) tools/cassandra/node.py
EXTRAS   ?= dev,scylla,acsylla,python-rs,bench
FUZZ_SECONDS ?= 5

.PHONY: help setup system-deps venv build db-fetch db-start db-start-secure db-stop db-status db-logs \
        test test-fast lint typecheck c-test c-asan-test c-valgrind-test fuzz unit integration \
        asan-python integration-cassandra-driver compare bench clean

help:
	@echo "make compare   - run the driver comparison against the local Cassandra node (QUICK=1, FULL=1)"
	@echo "make test      - run every test (starts and stops the node when needed)"
	@echo "make setup     - venv, Python deps, C extension build, Cassandra jars (idempotent)"
	@echo "make db-start | db-stop | db-status | db-logs | db-start-secure"

# ---------------------------------------------------------------- set-up --
system-deps:
	@sh tools/system-deps.sh

$(VENV)/.installed: pyproject.toml setup.py
	@sh tools/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
	@touch $@

venv: $(VENV)/.installed

build: venv
	$(PY) setup.py -q build_ext --inplace

setup: build db-fetch

# ---------------------------------------------------------------- the node --
db-fetch:
	$(NODE) fetch

db-start:
	$(NODE) start

db-start-secure:
	$(NODE) start --secure

db-stop:
	$(NODE) stop

db-status:
	$(NODE) status

db-logs:
	$(NODE) logs

# ---------------------------------------------------------------- checks --
# lint-imports checks the import contracts in pyproject.toml ([tool.importlinter]): the layers import downward only
lint: venv
	$(VENV)/bin/ruff check src tests tools compare
	$(VENV)/bin/ruff format --check src tests tools compare
	$(VENV)/bin/lint-imports --no-cache

typecheck: venv
	$(VENV)/bin/mypy

c-test:
	$(MAKE) -C native test

c-asan-test:
	$(MAKE) -C native asan-test

c-valgrind-test:
	$(MAKE) -C native valgrind-test

fuzz:
	$(MAKE) -C native fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

unit: build
	$(PY) -m pytest -q tests/unit tests/tools

# The native driver's Python tests again, against an ASan/UBSan build of the extension.
asan-python: venv
	sh tools/asan-python.sh $(PY)

integration: build db-fetch
	sh tools/with-node.sh $(PY) -m pytest -q tests/integration

# cassandra-driver installs the same `cassandra` package as scylla-driver, so it
# gets an environment of its own.
CD_VENV := .venvs/cassandra-driver
$(CD_VENV)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(CD_VENV)
	$(CD_VENV)/bin/python -m pip install -q --upgrade pip
	$(CD_VENV)/bin/python -m pip install -q -e ".[dev,cassandra,bench]"
	@touch $@

integration-cassandra-driver: $(CD_VENV)/.installed db-fetch
	COODIE_TEST_DRIVERS=cassandra sh tools/with-node.sh $(CD_VENV)/bin/python -m pytest -q tests/integration

# Password authentication and client TLS, every backend, against the secure node
# variant (the plain node is swapped out for the run and started again after).
.PHONY: integration-secure
integration-secure: build db-fetch
	sh tools/with-secure-node.sh $(PY) -m pytest -q tests/secure

# The plain node serves the matrix, then one quick comparison end to end (one
# driver; it checks the reports' shape, never a speed); then the auth + TLS
# variant serves tests/secure.
test: setup lint typecheck c-test c-asan-test fuzz unit asan-python
	sh tools/with-node.sh sh -c '$(PY) -m pytest -q tests/integration && \
	  $(MAKE) --no-print-directory integration-cassandra-driver && \
	  $(PY) -m pytest -q tests/comparison'
	$(MAKE) --no-print-directory integration-secure

# ---------------------------------------------------------------- the main job --
# QUICK=1: fewer, shorter rounds (about 3 minutes); FULL=1: publication-grade rounds.
# COMPARE_ARGS passes anything else (--drivers, --benchmarks, --rounds, --duration, --render DIR).
compare: setup $(CD_VENV)/.installed
	sh tools/with-node.sh $(PY) -m compare $(if $(filter 1,$(QUICK)),--quick) \
	  $(if $(filter 1,$(FULL)),--full) $(COMPARE_ARGS)

bench: setup
	sh tools/with-node.sh $(PY) benchmarks/odm_overhead.py

clean:
	$(MAKE) -C native clean
	rm -rf build src/coodie/*.so
