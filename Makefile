# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CATALOGS := $(wildcard locales/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: install run test lint catalogs extract bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || \
		{ echo "lapor-ppa needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1) (try make PYTHON=python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --statistics -d locales -D messages -l $* 2>&1 | tail -n 1

catalogs: $(COMPILED)

# Start the bot: on Telegram when BOT_TOKEN is set, otherwise the terminal shell.
run: install catalogs
	$(BIN)/lapor-ppa env init
	$(BIN)/lapor-ppa db upgrade
	$(BIN)/lapor-ppa run

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Every test: flows, storage on SQLite and PostgreSQL, the real aiogram runtime end to end.
test: install catalogs lint
	$(BIN)/python -m pytest

# Refresh the catalog templates after changing wording keys in code.
extract: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -o locales/messages.pot flows handlers bot
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching

bench: install catalogs
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache $(COMPILED)
