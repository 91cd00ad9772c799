# PM Ladder. `make run` starts the service; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Every command started here sees it: with SITE_URL unset, the settings build the links in e-mails
# from it (http://127.0.0.1:$PORT), so `make run PORT=19200` writes links to 19200.
export PORT
MANAGE := $(BIN)/python manage.py

.DEFAULT_GOAL := help
.PHONY: help run serve test lint typecheck lint-openapi format demo migrate worker webhook-worker beat install \
	install-dev install-node lock clean

help:
	@echo "make run      start the server on 127.0.0.1:$(PORT) (SQLite, tasks in-process, e-mail to console)"
	@echo "make serve    the same with gunicorn (WEB_CONCURRENCY processes): for more than a trial"
	@echo "make demo     create demo users (HR, committee, a manager and reports) and print their logins"
	@echo "make test     the whole test suite (PostgreSQL + Redis at 127.0.0.1 when they answer)"
	@echo "make lint     ruff check, ruff format --check, make typecheck, make lint-openapi"
	@echo "make typecheck  mypy"
	@echo "make lint-openapi  the OpenAPI schema: drf-spectacular, openapi-spec-validator, redocly"
	@echo "make lock     regenerate requirements.lock and requirements-dev.lock (hashed) from pyproject.toml"
	@echo "make migrate  apply database migrations"
	@echo "make worker   a Celery worker for e-mail and the sweepers: the default queue (needs CELERY_BROKER_URL)"
	@echo "make webhook-worker  a Celery worker for webhook deliveries: the webhooks queue (run it too)"
	@echo "make beat     the Celery beat scheduler (needs CELERY_BROKER_URL)"
	@echo "make bench-notifications  notifications throughput vs a no-op task (PostgreSQL + Redis)"
	@echo "make bench-webhooks  webhook deliveries to a local receiver vs a no-op task (PostgreSQL + Redis)"
	@echo "make bench-import  manage.py import_members with 10,000 rows: dry run, import, re-import (PostgreSQL)"
	@echo "make test-deep  the whole suite at full depth: property tests, every fuzz phase for every role, pages at 4 widths"
	@echo "make fuzz     schemathesis on every operation for every role (FUZZ_EXAMPLES=100)"
	@echo "make screenshots  PNGs of the member site and the committee's pages (Chromium) into docs/screenshots/"
	@echo "make bench    100,000 promotions served by gunicorn; latency vs the floor (PostgreSQL + Redis)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "PM Ladder needs Python 3.11 or newer: set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: reinstall only when a lock file changes. --require-hashes: pip installs nothing that is
# not pinned in the lock, and checks every file it downloads against the lock's hashes.
# requirements-dev.lock holds the runtime packages too, at the same versions.
$(VENV)/.installed-runtime: requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	@touch $@

$(VENV)/.installed-dev: requirements.lock requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	@touch $@ $(VENV)/.installed-runtime

# The OpenAPI linter (@redocly/cli) and axe-core (the browser tests' accessibility checks,
# tests/accessibility.py), exactly as package-lock.json pins them.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(VENV)/.installed-runtime
install-dev: $(VENV)/.installed-dev
install-node: node_modules/.installed

# Both locks from pyproject.toml, with every file's hash, for every platform (--universal).
# Versions already pinned stay where the ranges allow; move them with
# `make lock UPGRADE=--upgrade` or `make lock UPGRADE="--upgrade-package django"`.
# The dev lock is resolved under the runtime lock (-c), so both pin the same runtime versions.
LOCK_FLAGS := --universal --generate-hashes --quiet --custom-compile-command "make lock"
lock: $(VENV)/.installed-dev
	$(BIN)/uv pip compile pyproject.toml $(LOCK_FLAGS) $(UPGRADE) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev -c requirements.lock $(LOCK_FLAGS) $(UPGRADE) \
		-o requirements-dev.lock

migrate: install
	$(MANAGE) migrate --noinput

run: migrate
	@echo ""
	@echo "  PM Ladder on http://127.0.0.1:$(PORT)/  (admin: /admin/, API docs: /api/v1/docs/)"
	@echo "  No users yet? In another terminal: make demo   (prints logins for demo users)"
	@echo ""
	$(MANAGE) runserver 127.0.0.1:$(PORT)

# More than a trial: gunicorn, as in the container image (WEB_CONCURRENCY processes).
serve: migrate
	$(BIN)/python manage.py collectstatic --noinput -v0
	DEBUG=$${DEBUG:-false} $(BIN)/gunicorn config.wsgi --bind 127.0.0.1:$(PORT) \
		--workers $${WEB_CONCURRENCY:-4} --access-logfile -

demo: migrate
	PORT=$(PORT) $(MANAGE) demo

# -n auto: a worker per core and one more; the tests that mostly wait go to one worker at a time
# (tests/scheduling.py). --maxschedchunk 1: pytest-xdist hands each worker a test or two at a
# time, in the order of tests/conftest.py (the slow ones first in each of pytest-django's
# groups), so the long browser walks are shared between the workers, not queued on one at the end.
test: install-dev install-node
	$(BIN)/python -m pytest -n $${TEST_WORKERS:-auto} --dist load --maxschedchunk 1 $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@$(MAKE) --no-print-directory typecheck
	@$(MAKE) --no-print-directory lint-openapi

# mypy reads its configuration ([tool.mypy]) from pyproject.toml.
typecheck: install-dev
	$(BIN)/mypy

# The schema as served, generated without warnings, then checked by two validators: the
# OpenAPI specification's (openapi-spec-validator) and redocly's recommended rules (redocly.yaml).
OPENAPI_SCHEMA := build/openapi.yaml
lint-openapi: install-dev install-node
	@mkdir -p $(dir $(OPENAPI_SCHEMA))
	$(MANAGE) spectacular --file $(OPENAPI_SCHEMA) --validate --fail-on-warn
	$(BIN)/openapi-spec-validator $(OPENAPI_SCHEMA)
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
		node_modules/.bin/redocly lint --config redocly.yaml $(OPENAPI_SCHEMA)

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Two workers, two queues: a webhook receiver that hangs for its 5 s holds a webhook worker's
# process, never the one that sends e-mail (CELERY_TASK_ROUTES, docs/webhooks.md).
worker: install
	$(BIN)/celery -A config worker --loglevel=INFO -Q celery

webhook-worker: install
	$(BIN)/celery -A config worker --loglevel=INFO -Q webhooks -n webhooks@%h

beat: install
	$(BIN)/celery -A config beat --loglevel=INFO --schedule=$(VENV)/celerybeat-schedule

clean:
	rm -rf $(VENV) staticfiles .pytest_cache node_modules build

.PHONY: bench-notifications
bench-notifications: install-dev  ## 10,000 notifications through one worker on Redis (needs PostgreSQL + Redis)
	$(BIN)/python bench/notifications.py

.PHONY: bench-webhooks
bench-webhooks: install-dev  ## 2,000 webhook deliveries through one worker to a local receiver (needs PostgreSQL + Redis)
	$(BIN)/python bench/webhooks.py

.PHONY: bench-import
bench-import: install-dev  ## import_members with a 10,000-row CSV: dry run, import, unchanged, updated (PostgreSQL)
	$(BIN)/python bench/import_members.py

.PHONY: fuzz
fuzz: install-dev  ## schemathesis against the OpenAPI schema, every role, FUZZ_EXAMPLES per operation
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-100} $(BIN)/python -m pytest tests/api/test_fuzz.py -p no:cacheprovider -q

.PHONY: test-deep
test-deep: install-dev install-node  ## the whole suite at full depth (TEST_DEPTH=deep): property tests, schemathesis phases, page widths
	TEST_DEPTH=deep $(BIN)/python -m pytest -n $${TEST_WORKERS:-auto} --dist load --maxschedchunk 1 $(PYTEST_ARGS)

.PHONY: bench
bench: install-dev  ## 100,000 promotions and a calibrating cycle of 500, gunicorn, reads and writes against the floor (PostgreSQL + Redis); BENCH_PROMOTIONS=1000000 writes docs/bench-latest-1m.md
	$(BIN)/python bench/load.py

.PHONY: screenshots
screenshots: install-dev install-node  ## the member site's pages, the committee's and HR's admin pages in Chromium, into docs/screenshots/
	@mkdir -p docs/screenshots
	SCREENSHOT_DIR=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest \
		tests/promotions/test_admin_browser.py tests/promotions/test_cycle_admin_browser.py \
		tests/webhooks/test_admin_browser.py tests/audit/test_admin_browser.py \
		tests/portal/test_pages_browser.py tests/promotions/test_committee_pages_browser.py \
		tests/portal/test_data_rights_browser.py tests/promotions/test_blind_review_browser.py \
		tests/analytics/test_pages_browser.py \
		-k "every_member_page or refused_nomination_fits or finds_what_needs or compares_packet or calibration_page or keeps_its_secret or who_changed or usable_by_anyone or downloads_their_data or erases_a_leaver or reads_a_blind_case or adverse_impact_page" \
		-p no:cacheprovider -q
