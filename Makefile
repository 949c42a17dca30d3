# Two commands, on a fresh machine with only Python 3.11+:  make run  ·  make test
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PUBLIC_BASE_URL ?= http://localhost:$(PORT)

.PHONY: run test test-fast test-cov lint install check-deploy bench

# Parallel test workers (pytest-xdist), each with its own database and Redis key space:
# two suit a 2-core machine, since many tests wait on servers, workers and the browser.
TEST_WORKERS ?= 2
PYTEST := $(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py load_demo --sample-cases
	@echo "Starting web (port $(PORT)), the scheduler and the workers of every queue (Procfile); Ctrl-C stops all."
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start --procfile Procfile --port $(PORT)

test: install
	$(PYTEST) $(PYTEST_ARGS)

# The inner loop: no test that starts processes or a browser, nor the exhaustive sweeps
# (markers in pyproject.toml); the workers' test databases are kept between runs.
test-fast: install
	$(PYTEST) -m "not processes and not browser and not slow" --reuse-db $(PYTEST_ARGS)

# make test with coverage, per module; fails under the floor ([tool.coverage.report]).
test-cov: install
	$(PYTEST) --cov --cov-report=term $(PYTEST_ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy

# Renders every k8s overlay and validates it against the Kubernetes schemas; lints the Dockerfile.
check-deploy: install
	k8s/check

# Benchmarks on the local PostgreSQL (BENCH_DATABASE_URL); results into bench/RESULTS.md.
# QUICK=1 for a CI-sized run; ONLY=servers (a module of bench/) replaces only its section.
bench: install
	$(PY) -m bench.run $(if $(QUICK),--quick) $(if $(ONLY),--only $(ONLY))
