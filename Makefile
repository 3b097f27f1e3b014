# Parley: `make run` serves the demo shop, `make test` runs the whole suite; `make dev` is
# `make run` with autoreload and DEBUG, for working on Parley. Each builds the virtual
# environment from nothing when it is missing or stale.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run dev demo test lint typecheck imports check venv clean prod bench bench-smoke bench-similar

$(BIN)/.installed: requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	touch $@

venv: $(BIN)/.installed

# The embedded default on waitress (DEBUG off, static files by WhiteNoise, one process).
run: venv demo
	$(BIN)/python manage.py serve_embedded 127.0.0.1:$(PORT)

# The same on Django's autoreloading development server, with DEBUG on, for working on Parley.
dev: venv demo
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

demo: venv
	mkdir -p var/mail
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --write var/demo.json

# The production stack (gunicorn, Celery worker and beat) on PostgreSQL, Redis and RabbitMQ.
prod: venv
	deploy/prod-up

test: venv
	$(BIN)/pytest -n 2 -p no:cacheprovider

# The load benchmark (docs/PERFORMANCE.md) on the local PostgreSQL, Redis and RabbitMQ:
# about 10 minutes; bench-smoke runs the small profile only, with short runs, for CI.
bench: venv
	$(BIN)/python bench/run.py

bench-smoke: venv
	$(BIN)/python bench/run.py --smoke

# Only the similar-questions rows (300 questions on one product) and the model's memory.
bench-similar: venv
	$(BIN)/python bench/run.py --similar --smoke

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy config parley drills

# The apps' layers (docs/ARCHITECTURE.md; the contract is in pyproject.toml).
imports: venv
	$(BIN)/lint-imports

check: lint typecheck imports
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var
