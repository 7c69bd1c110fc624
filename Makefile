# 民情通 — two commands: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/minqing db upgrade
	$(BIN)/minqing demo --if-empty
	$(BIN)/minqing serve --console

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m tests.import_cycles  # no import cycle, type-only ones included

bench: setup
	$(BIN)/python bench/bench_parse.py
	$(BIN)/python bench/bench_callback.py
	$(BIN)/python bench/bench_record.py
	$(BIN)/python bench/bench_dispatch.py
	$(BIN)/python bench/bench_scheduler.py

clean:
	rm -rf $(VENV) data/*.db data/cache
