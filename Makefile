# The two front-door commands: `make run` (server + demo data on SQLite) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test install install-test lint openapi docker-check clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'

run: install
	$(BIN)/uforge-mock serve

# Measures branch coverage of the package (the servers the tests start included), prints the
# per-file figures and the TOTAL, and fails under the floor ([tool.coverage.report] fail_under).
test: install-test
	$(BIN)/python -m pytest --cov --cov-report=term-missing:skip-covered

lint: install-test
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

openapi: install
	$(BIN)/uforge-mock openapi --output openapi/openapi.json
	$(BIN)/uforge-mock openapi --control --output openapi/control.json

# Builds the image and checks it for real (needs a running Docker engine).
docker-check: install-test
	tools/docker-check.sh

clean:
	rm -rf $(VENV) data .pytest_cache .coverage .coverage.*
