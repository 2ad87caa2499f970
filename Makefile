# FastShip: `make run` serves it on SQLite; `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The embedded default: no external services, jobs inline, emails to the console.
# Mailed links point where `make run` serves (the same origin, so a login carries over).
# A demo, not a debugger: debug pages off (branded 404/500 pages, JSON errors
# under /api/), static files served by runserver --insecure.
EMBEDDED := DJANGO_ENV=development DJANGO_DEBUG=$(or $(DJANGO_DEBUG),0) DATABASE_URL= POSTGRES_HOST= REDIS_URL= \
	REDIS_HOST= EMAIL_HOST= MAILTRAP_USERNAME= PUBLIC_BASE_URL=http://127.0.0.1:$(PORT)

.PHONY: help install install-run run dev worker migrate demo lint typecheck audit docs test bench-probe bench-requestlog bench-api bench-compare bench-soak bench-memory bench-scale bench-worker chaos up down clean

help:
	@echo "make run      set up and serve FastShip on SQLite at http://127.0.0.1:$(PORT)/"
	@echo "make test     set up and run lint, types, audit, docs, migration check and tests"
	@echo "make dev      runserver against the services in the environment / .env"
	@echo "make worker   the RQ worker, as the image runs it (needs REDIS_URL, like make dev)"
	@echo "make demo     add the demo seller, partner and shipments to the configured database"
	@echo "make migrate  apply migrations to the configured database"
	@echo "make lint     ruff check and format check"
	@echo "make docs     build the documentation site into site/ (strict)"
	@echo "make audit    pinned dependencies against PyPI's advisories (needs internet)"
	@echo "make bench-probe  /health vs a bare ASGI app (needs wrk: apt-get install wrk)"
	@echo "make bench-requestlog  request logging off/on/Redis hung/refused (wrk, PostgreSQL, Redis)"
	@echo "make bench-api    shipping API hot paths on PostgreSQL (wrk, PostgreSQL, Redis)"
	@echo "make bench-compare BASELINE=<commit>  CPU ms per request, a commit vs this tree"
	@echo "make bench-soak   one worker's memory under the hot paths for 5 minutes"
	@echo "make bench-worker jobs/s of one worker: mails, webhooks, request logs"
	@echo "make chaos        faults under load, every mail/log/webhook counted (~25 min, root)"
	@echo "make bench-memory the API task as the image runs it: memory, socket errors (wrk, PostgreSQL, Redis)"
	@echo "make bench-scale  cost per request at 20, 100,000 and 1,000,000 shipments (wrk, PostgreSQL, Redis)"
	@echo "make up/down  docker compose up/down (machines with Docker)"

# Serving needs only the runtime dependencies (`make run`, `dev`, `migrate`,
# `demo`); the test, lint and AWS tools come with `make install` / `make test`.
$(VENV)/.installed-run: pyproject.toml constraints.txt
	@echo "[1/3] creating the virtualenv $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@echo "[2/3] installing FastShip and its runtime dependencies (25 s from an empty pip cache)"
	$(PY) -m pip install --quiet --progress-bar off -c constraints.txt -e .
	touch $@

$(VENV)/.installed: $(VENV)/.installed-run pyproject.toml constraints.txt
	@echo "installing the test, lint and deploy tools (the dev extra)"
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

install-run: $(VENV)/.installed-run
install: $(VENV)/.installed

# checkov in its own environment: it pins an old botocore that would shadow ours.
CHECKOV_VENV ?= .venv-checkov
$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet "checkov==3.3.30"
	touch $@

run: install-run
	@echo "[3/3] migrating the SQLite database (db.sqlite3) and adding the demo data"
	$(EMBEDDED) $(PY) manage.py migrate --no-input
	$(EMBEDDED) $(PY) manage.py demo_data
	@echo ""
	@echo "FastShip (SQLite, jobs inline, emails on this console):"
	@echo "  front page     http://127.0.0.1:$(PORT)/"
	@echo "  track a parcel http://127.0.0.1:$(PORT)/track/"
	@echo "  liveness       http://127.0.0.1:$(PORT)/health"
	@echo "  readiness      http://127.0.0.1:$(PORT)/api/v1/health"
	@echo "  admin          http://127.0.0.1:$(PORT)/admin/"
	@echo "  API docs       http://127.0.0.1:$(PORT)/docs"
	@echo ""
	$(EMBEDDED) $(PY) manage.py runserver --insecure 127.0.0.1:$(PORT)

dev: install-run
	$(PY) manage.py migrate --no-input
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# The same command as the image's worker (docker/entrypoint.sh worker).
worker: install-run
	$(PY) manage.py run_worker

migrate: install-run
	$(PY) manage.py migrate --no-input

demo: install-run
	$(PY) manage.py demo_data

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: install
	$(PY) -m mypy .

# The documentation site (docs/, mkdocs.yml) into site/; any warning fails it.
docs: install
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

# Fails on a known-vulnerable pin; says "NOT CHECKED" where PyPI cannot be asked.
audit:
	$(PYTHON) scripts/audit_dependencies.py constraints.txt

# The suite in TEST_WORKERS processes (pytest-xdist; 0 runs it in this one),
# each with its own test database and Redis database (tests/redis_db.py); files
# in collection order (tests/conftest.py puts the slowest first), not by size.
TEST_WORKERS ?= 2
test: lint typecheck audit docs $(CHECKOV_VENV)/.installed
	DJANGO_ENV=test DATABASE_URL= POSTGRES_HOST= REDIS_URL= REDIS_HOST= \
		$(PY) manage.py makemigrations --check --dry-run
	DJANGO_ENV=test DATABASE_URL= POSTGRES_HOST= REDIS_URL= REDIS_HOST= \
		$(PY) manage.py check_migrations
	services="$$($(PY) scripts/test_services.py)" && eval "$$services" && \
		DJANGO_ENV=test CHECKOV=$(CURDIR)/$(CHECKOV_VENV)/bin/checkov PATH="$(CURDIR)/$(VENV)/bin:$$PATH" \
		$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

bench-probe: install
	PYTHONPATH=. $(PY) bench/probe.py

bench-requestlog: install
	PYTHONPATH=. $(PY) bench/request_log.py

bench-api: install
	PYTHONPATH=. $(PY) bench/shipping_api.py

bench-compare: install
	PYTHONPATH=. $(PY) bench/compare_api.py --baseline $(or $(BASELINE),origin/main) $(BENCH_ARGS)

bench-soak: install
	PYTHONPATH=. $(PY) bench/soak.py $(BENCH_ARGS)

bench-scale: install
	PYTHONPATH=. $(PY) bench/scale.py $(BENCH_ARGS)

bench-worker: install
	PYTHONPATH=. $(PY) bench/worker_throughput.py $(BENCH_ARGS)

chaos: install
	PYTHONPATH=. $(PY) bench/chaos.py $(BENCH_ARGS)

bench-memory: install
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" PYTHONPATH=. $(PY) bench/memory.py

up:
	docker compose up --build -d

down:
	docker compose down

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .mypy_cache .ruff_cache .pytest_cache
