# Every target creates .venv and installs what it needs on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUN    := $(VENV)/.installed-run
DEV    := $(VENV)/.installed-dev

.PHONY: demo test lint bench bench-receiver bench-engine bench-video bench-console screenshot install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(RUN)

install: $(DEV)

## make demo: run Vigie with an embedded SQLite database, demo transmitters and simulated panels
demo: $(RUN)
	$(BIN)/vigie demo

## make lint: ruff and mypy
lint: $(DEV)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

## make test: lint, then every test (unit, integration with SQLite and PostgreSQL, e2e)
test: lint
	$(BIN)/pytest

## make bench: benchmarks (ratios against baselines measured in the same run)
bench: bench-receiver bench-engine bench-video bench-console

bench-receiver: $(DEV)
	$(BIN)/python -m bench.receiver

bench-engine: $(DEV)
	$(BIN)/python -m bench.engine

## make bench-video: cameras analysed per core (health + motion) against a bare decode
bench-video: $(DEV)
	$(BIN)/python -m bench.video

## make bench-console: signal -> row in 10 Chromium consoles with 1,000 open incidents
bench-console: $(DEV)
	$(BIN)/python -m bench.console

## make screenshot: refresh docs/screenshot-console.png and docs/screenshot-video-wall.png (taken by the browser tests)
screenshot: $(DEV)
	VIGIE_SCREENSHOT=1 $(BIN)/pytest tests/browser -k screenshot

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
