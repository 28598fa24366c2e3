# Dealer CRM: `make run` starts the whole product with demo data; `make test` runs the whole suite.
# Needs Python 3.12+ (Django 6), found on PATH or under pyenv; PostgreSQL and Redis on loopback.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell for p in python3.13 python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3 $$HOME/.pyenv/versions/3.12*/bin/python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v $$p; break; }; done)
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
PORT ?= 8000
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never

.PHONY: help run test test-fast bench install python system assets messages db seed lint clean

help:
	@echo "make run    install everything, migrate, load demo data, start web + Celery worker + beat"
	@echo "make test   install everything and run the whole test suite"
	@echo "make test-fast   the suite without the slow kinds (browser, real worker, chaos), for local loops"
	@echo "make bench  build a large data set and print search, seeding, messaging and load figures"

python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "ERROR: Python 3.12 or newer is required (Django 6). Install it (e.g. 'pyenv install 3.12') or run 'make PYTHON=/path/to/python3.12 …'."; \
		exit 1; fi

$(UV): | python
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet
	touch $@

install: $(VENV)/.synced system assets messages

# Debian packages the suite and the pages need: Chromium for browser tests, CJK fonts, gettext.
system:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ] || missing="$$missing pgbouncer"; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "ERROR: run as root or install:$$missing"; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# Front-end assets come from the npm registry at build time and are served by us: never a CDN at run time.
node_modules/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $@

# The vendor files and the icon subset: one list (crm/core/assets.py), shared with the Dockerfile. Cheap, so it
# runs every time: a template that starts using a new icon gets it.
assets: node_modules/.installed $(VENV)/.synced
	@$(MANAGE) vendor_assets

messages: $(VENV)/.synced system
	$(MANAGE) compilemessages --ignore=.venv --ignore=.tools --ignore=node_modules -v 0

db: $(VENV)/.synced
	$(MANAGE) db_bootstrap
	CRM_DB_AS_OWNER=1 $(MANAGE) migrate --noinput -v 0

seed: db
	$(MANAGE) seed_demo
	$(MANAGE) seed_demo_leads
	$(MANAGE) seed_demo_messaging
	$(MANAGE) seed_demo_service
	$(MANAGE) seed_demo_service_appointments
	$(MANAGE) seed_demo_dealers
	$(MANAGE) seed_demo_audits
	$(MANAGE) seed_demo_service_care
	$(MANAGE) seed_demo_loyalty
	$(MANAGE) seed_demo_surveys
	$(MANAGE) facts_rederive  # dl-figures: the dealers' daily facts of the demo's history

run: install seed
	@echo ""
	@echo "  Dealer CRM on http://127.0.0.1:$(PORT)/  (Ctrl-C stops web, worker and beat)"
	@$(MANAGE) demo_logins
	@echo ""
	WEB_PORT=$(PORT) SITE_URL=http://127.0.0.1:$(PORT) $(VENV)/bin/honcho start -f Procfile

lint: $(VENV)/.synced
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

# The suite in two passes: most tests on one process per core (pytest-xdist; each process has its own test
# database, Redis database and queue), then the kinds that start browsers, workers, brokers or database
# companions, one at a time (they measure time and share ports and the machine), and the tests that commit
# (the database is emptied after each, so they run last, as pytest-django orders them). A pass that PYTEST_ARGS
# narrows to nothing (exit 5) is not a failure.
SERIAL := e2e or celery_worker or chaos or ops or commits
TEST_PROCESSES ?= 2

test: install db lint
	$(MANAGE) makemigrations --check --dry-run -v 0
	$(VENV)/bin/pytest -n $(TEST_PROCESSES) --dist loadfile -m "not ($(SERIAL))" $(PYTEST_ARGS) || [ $$? = 5 ]
	$(VENV)/bin/pytest -m "$(SERIAL)" $(PYTEST_ARGS) || [ $$? = 5 ]

# For local loops only; CI runs everything through `make test`.
test-fast: install db lint
	$(VENV)/bin/pytest -n $(TEST_PROCESSES) --dist loadfile -m "not ($(SERIAL))" $(PYTEST_ARGS)

bench: install db
	$(PY) -m bench.run $(BENCH_ARGS)

clean:
	rm -rf .venv .tools node_modules static/vendor staticfiles
