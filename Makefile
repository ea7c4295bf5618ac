# The two commands of the README: `make run` and `make test`. Each installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_WORKERS ?= 2

.PHONY: run test test-fast test-slow test-deep lint bench deps browser clean mutation

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing the Python packages into $(VENV) (the first time takes about a minute) …"
	@$(BIN)/python devtools/pip_progress.py $(BIN)/pip install --upgrade pip
	@$(BIN)/python devtools/pip_progress.py $(BIN)/pip install -r requirements-dev.txt
	@touch $@

deps: $(STAMP)

# Debian's Chromium for the browser tests (never a browser download of a test tool).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium (needs root)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

run: $(STAMP)
	$(BIN)/python -m devtools.run

lint: $(STAMP)
	$(BIN)/ruff check .

# Everything: lint, unit, conformance, integration (Firestore + Google emulators), browser.
test: $(STAMP) browser lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) --durations=10

# Without the slow suites (browser, deep property runs).
test-fast: $(STAMP) lint
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not slow"

test-slow: $(STAMP) browser
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m slow

# The property-based suites with >= 500 examples each, and the API fuzzing with 500 cases per
# operation (measured on a loaded 2-core machine: the engine machine ~17 min, the fuzzing ~10 min).
test-deep: $(STAMP)
	HYPOTHESIS_PROFILE=deep $(BIN)/pytest -n $(PYTEST_WORKERS) tests/unit/sync tests/integration/test_sync_machine.py \
	  tests/integration/test_fuzz_api.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

# Speed and cost figures of the sync on the emulators (prints them, writes bench-results.json).
BENCH_ARGS ?=
# The second part: the change-driven sync on Cloud Tasks (latency PUT -> Google, idle cost per day,
# a dispatch model of 100,000 links); it adds its figures to bench-results.json.
TASKS_BENCH_ARGS ?=
# The third part: Google push notifications (phone edit -> planner latency with 1 s delivery delay,
# idle requests per link and day with push, every change arriving with 20 % of notifications lost).
PUSH_BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python -m bench.sync_bench $(BENCH_ARGS)
	$(BIN)/python -m bench.tasks_bench $(TASKS_BENCH_ARGS)
	$(BIN)/python -m bench.push_bench $(PUSH_BENCH_ARGS)

# Mutation testing (mutmut) of the sync, the services and auth/crypto/logs: prints the score per
# module and the survivors (devtools/mutation.py). Not part of `make test`. Kept verdicts make a
# rerun quick; MUTATION_ARGS="--fresh" starts over, MUTATION_ARGS="'functions.logs.*'" runs a subset.
MUTATION_WORKERS ?= 2
MUTATION_ARGS ?=
mutation: $(STAMP)
	nice -n 15 $(BIN)/python -m devtools.mutation --workers $(MUTATION_WORKERS) $(MUTATION_ARGS)
