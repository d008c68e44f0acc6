# Quick start: `make run` (demo bot in the terminal) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= config/example.yaml

.PHONY: run test lint bench clean

$(BIN)/engagebot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

run: $(BIN)/engagebot
	$(BIN)/engagebot run --config $(CONFIG)

test: $(BIN)/engagebot
	$(BIN)/pytest -q

lint: $(BIN)/engagebot
	$(BIN)/ruff check bot tests bench
	$(BIN)/mypy

bench: $(BIN)/engagebot
	$(BIN)/python bench/vote_path.py

clean:
	rm -rf $(VENV) data
