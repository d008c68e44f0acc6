# Quick start: `make run` (demo bot in the terminal) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= config/example.yaml

.PHONY: run test lint bench clean i18n

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

# Translations: collect the marked texts (bot/messages.py, the dashboard's templates) into
# bot/locale/engagebot.pot, merge them into every language's .po, compile the .mo files.
# Translate what the merge left empty or fuzzy, then run it again; commit all three.
# A new language: $(BIN)/pybabel init -i bot/locale/engagebot.pot -d bot/locale -D engagebot -l de
i18n: $(BIN)/engagebot
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k P_:1,2 -k C_:1c,2 --no-location \
		--project engagebot --version 0.1.0 --copyright-holder engagebot -o bot/locale/engagebot.pot .
	$(BIN)/pybabel update -i bot/locale/engagebot.pot -d bot/locale -D engagebot --width 100 --ignore-obsolete
	$(BIN)/pybabel compile -d bot/locale -D engagebot --statistics

bench: $(BIN)/engagebot
	$(BIN)/python bench/vote_path.py

clean:
	rm -rf $(VENV) data
