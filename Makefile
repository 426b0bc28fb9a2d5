# Kanal Integritas. `make run` and `make test` are all a fresh machine needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA_DIR ?= $(or $(KANAL_DATA_DIR),instance)
PORTAL_PORT ?= 8000
REVIEW_PORT ?= 8001
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
STAMP := $(VENV)/.installed

AXE := .cache/node_modules/axe-core/axe.min.js
VNU := .cache/node_modules/vnu-jar/build/dist/vnu.jar

.PHONY: run test test-deps bench-deps smoke lint translations compile-translations clean bench load fault fuzz-long slow-clients

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

compile-translations: $(STAMP)
	$(BIN)/pybabel compile --statistics -d translations

translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --omit-header -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --omit-header --ignore-obsolete

run: $(STAMP) compile-translations
	KANAL_DATA_DIR=$(DATA_DIR) $(BIN)/flask --app wsgi:review dev-setup
	KANAL_DATA_DIR=$(DATA_DIR) PORTAL_PORT=$(PORTAL_PORT) REVIEW_PORT=$(REVIEW_PORT) BIN=$(BIN) ./scripts/run-dev.sh

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy crypto cases portal review wsgi.py
	$(BIN)/bandit -q -c pyproject.toml -r crypto cases portal review wsgi.py

# axe-core (accessibility rules) for the browser tests, from npm, pinned.
$(AXE): | test-deps
	npm install --silent --no-audit --no-fund --prefix .cache axe-core@4.14.1

# The Nu HTML checker (needs Java, from test-deps) for the browser tests, from npm, pinned.
$(VNU): | test-deps
	npm install --silent --no-audit --no-fund --prefix .cache vnu-jar@26.9.27

# Debian packages the suite needs (Chromium, nginx, tor, systemd-analyze), installed when missing.
test-deps:
	./scripts/test-deps.sh

test: test-deps $(STAMP) compile-translations lint $(AXE) $(VNU)
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/python -m pytest -q -n 2 --durations=15

# Production stack on loopback (PostgreSQL + Redis + gunicorn + nginx, onion mode) and a smoke scenario.
smoke: $(STAMP) compile-translations
	$(BIN)/python docs/deploy/smoke.py

# Benchmarks, load, fault and long fuzz runs (issue 8; never part of `make test`). See docs/PERFORMANCE.md.
# wrk (Debian), the compiled client that drives the benchmark's load, installed when missing.
bench-deps:
	./scripts/bench-deps.sh

bench: bench-deps $(STAMP) compile-translations
	$(BIN)/python bench/run.py

load: $(STAMP) compile-translations
	$(BIN)/python bench/load.py --db sqlite && $(BIN)/python bench/load.py --db postgresql

# kill -9 workers and the master; then PostgreSQL restarted mid-load (shared server: run rarely)
fault: $(STAMP) compile-translations
	$(BIN)/python bench/fault.py --db sqlite && $(BIN)/python bench/fault.py --db postgresql \
		&& $(BIN)/python bench/fault.py --db postgresql --restart-postgres --every 4

fuzz-long: $(STAMP) compile-translations
	$(BIN)/python bench/fuzz_portal.py --n 100000 && $(BIN)/python bench/fuzz_portal.py --n 100000 --db postgresql \
		&& $(BIN)/python bench/fuzz_review.py --n 50000 && $(BIN)/python bench/fuzz_review.py --n 50000 --db postgresql

slow-clients: $(STAMP) compile-translations
	$(BIN)/python bench/slow_clients.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
