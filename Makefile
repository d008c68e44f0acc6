# Quick start: `make run` (demo bot in the terminal) and `make test`.
#   make run     install what running needs into .venv, run the demo poll
#   make test    install the test tools too, run the test suite
#   make reset   forget the demo's votes and posts, so `make run` starts over
#   make clean   remove everything `make run` and `make test` created
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= config/example.yaml
# The demo's database lives next to its config (see `database:` in the config).
DATA := $(patsubst %/,%,$(dir $(CONFIG)))/data

PY_VERSION = import sys; print("%d.%d" % sys.version_info[:2])
WANTED := $(shell $(PYTHON) -c '$(PY_VERSION)' 2>/dev/null)
# Empty when .venv is missing or its interpreter is gone (a removed or upgraded Python).
HAVE := $(shell $(BIN)/python -c '$(PY_VERSION)' 2>/dev/null)

VENV_OK := $(VENV)/.made-by-python
RUN_DEPS := $(VENV)/.installed-run
DEV_DEPS := $(VENV)/.installed-dev

.PHONY: run test lint bench reset clean i18n FORCE

run: $(RUN_DEPS)
	@if [ -e $(DATA) ]; then echo "(continuing the demo saved in $(DATA); 'make reset' starts it over)"; fi
	$(BIN)/engagebot run --config $(CONFIG)

test: $(DEV_DEPS)
	$(BIN)/pytest -q

lint: $(DEV_DEPS)
	$(BIN)/ruff check bot tests bench
	$(BIN)/mypy

# Translations: collect the marked texts (bot/messages.py, the dashboard's templates) into
# bot/locale/engagebot.pot, merge them into every language's .po, compile the .mo files.
# Translate what the merge left empty or fuzzy, then run it again; commit all three.
# A new language: $(BIN)/pybabel init -i bot/locale/engagebot.pot -d bot/locale -D engagebot -l de
i18n: $(RUN_DEPS)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k P_:1,2 -k C_:1c,2 --no-location \
		--project engagebot --version 0.1.0 --copyright-holder engagebot -o bot/locale/engagebot.pot .
	$(BIN)/pybabel update -i bot/locale/engagebot.pot -d bot/locale -D engagebot --width 100 --ignore-obsolete
	$(BIN)/pybabel compile -d bot/locale -D engagebot --statistics

# Benchmarks print figures (each against a baseline measured in the same run); each takes
# up to ~2 minutes. The end-to-end ones need the test fakes: `make test` installs them.
bench: $(DEV_DEPS)
	$(BIN)/python bench/vote_path.py
	$(BIN)/python bench/e2e_discord.py
	$(BIN)/python bench/e2e_slack.py
	$(BIN)/python bench/start_idle.py

# A .venv left by another Python (another minor version, or a broken interpreter
# link) is rebuilt rather than reused.
ifneq ($(HAVE),$(WANTED))
$(VENV_OK): FORCE
endif

$(VENV_OK):
	@test -n "$(WANTED)" || { echo "$(PYTHON) not found: install Python >= 3.11, or run e.g. make PYTHON=python3.12"; exit 1; }
	@if [ -e $(VENV) ] && [ "$(HAVE)" != "$(WANTED)" ]; then \
	  echo "$(VENV) $(if $(HAVE),was made by Python $(HAVE),has lost its Python); rebuilding it with Python $(WANTED)"; \
	  rm -rf $(VENV); fi
	@# A .venv of the right Python (e.g. made before this marker existed) is kept.
	@if [ ! -x $(BIN)/python ]; then \
	  $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet --upgrade pip; fi
	@touch $@

# Running needs only the runtime dependencies; the test tools come with `make test`.
$(RUN_DEPS): pyproject.toml $(VENV_OK)
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(DEV_DEPS): pyproject.toml $(VENV_OK)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(RUN_DEPS)

reset:
	@$(MAKE) --no-print-directory _remove-data

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
	find bot tests bench -name __pycache__ -type d -prune -exec rm -rf {} +
	@$(MAKE) --no-print-directory _remove-data

# The demo's data only: a folder that also holds a real config (bot.yaml) is kept.
.PHONY: _remove-data
_remove-data:
	@if [ -e $(dir $(CONFIG))bot.yaml ]; then \
	  echo "kept $(DATA): $(dir $(CONFIG))bot.yaml is a real config, remove its data by hand"; \
	elif [ -e $(DATA) ]; then rm -rf $(DATA) && echo "removed $(DATA)"; fi

FORCE:
