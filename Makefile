# Opora: two commands for people (`make run`, `make test`); the rest are steps they share.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask
export FLASK_APP := wsgi.py
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test install db seed test-sqlite test-browser test-postgres test-databases check lint security bench clean

CATALOGUES := app/translations/en/LC_MESSAGES/messages.mo app/translations/ru/LC_MESSAGES/messages.mo

install: $(VENV)/.installed static/vendor/.installed $(CATALOGUES)

# Developers and CI get the tools too; a server installs the runtime only:
# `make install REQUIREMENTS=requirements.txt` (see docs/DEPLOY.md).
REQUIREMENTS ?= requirements-dev.txt

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r $(REQUIREMENTS) 2>&1 | grep -v "is ignored" || true
	$(PY) -c "import flask, flask_sqlalchemy, pandas"
	touch $@

node_modules/.package-lock.json: package-lock.json package.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Front-end packages are copied from npm into static/vendor: no CDN at run time.
static/vendor/.installed: node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/@picocss/pico/css/pico.min.css static/vendor/pico.min.css
	cp node_modules/axe-core/axe.min.js static/vendor/axe.min.js
	touch $@

# Russian is the source language; its catalogue holds only the plural forms (one, few, many).
$(CATALOGUES): app/translations/en/LC_MESSAGES/messages.po app/translations/ru/LC_MESSAGES/messages.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d app/translations

db: install
	$(FLASK) db upgrade

seed: db
	$(FLASK) seed-demo

run: seed
	@$(FLASK) demo-logins
	$(FLASK) run --host 127.0.0.1 --port 5000

# Models and migrations agree: migrate a scratch database, then let Alembic compare.
check: install
	rm -f $(CURDIR)/instance/check.db
	DATABASE_URL=sqlite:///$(CURDIR)/instance/check.db $(FLASK) db upgrade -d migrations >/dev/null 2>&1
	DATABASE_URL=sqlite:///$(CURDIR)/instance/check.db $(FLASK) db check 2>&1 | grep -v "^INFO"
	rm -f $(CURDIR)/instance/check.db

test-sqlite: install
	$(PY) -m pytest -q -m "not browser and not postgres" tests

test-browser: install
	$(PY) -m pytest -q -m browser tests

# The same suite against a throwaway PostgreSQL server that the script starts and stops.
test-postgres: install
	$(PY) tests/run_postgres.py -q -m "not browser" tests

# Static security checks: bandit fails on high-severity findings, pip-audit on known vulnerabilities.
security: install
	$(VENV)/bin/bandit -q -r app -lll
	$(VENV)/bin/pip-audit -r requirements.txt --progress-spinner off

# Ruff: pyflakes, pycodestyle, import order, bugbear (ruff.toml).
lint: install
	$(VENV)/bin/ruff check app tests bench migrations

# The SQLite and PostgreSQL suites run side by side (two cores; the PostgreSQL server does
# much of its own work), then the browser suite.
test-databases: install
	$(MAKE) --no-print-directory -j2 -Otarget test-sqlite test-postgres

test: install check lint security test-databases test-browser

bench: install
	$(PY) bench/programme_page.py

clean:
	rm -rf $(VENV) node_modules static/vendor instance/*.db

# Developers: refresh the catalogue after changing UI text (msgids are the Russian text).
translations-update: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -o app/translations/messages.pot .
	$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations
