# q2api — the two commands are `make run` and `make test`; every target installs what it needs first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
PIP    := $(PY) -m pip --disable-pip-version-check -q

.PHONY: install install-test run demo test bench lint compose-check clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "q2api needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip setuptools wheel

$(VENV)/.installed-runtime: pyproject.toml | $(PY)
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PIP) install -e '.[test]'
	@touch $@ $(VENV)/.installed-runtime

install: $(VENV)/.installed-runtime

install-test: $(VENV)/.installed-test

run: install
	$(BIN)/q2api up $(ARGS)

demo: install
	$(BIN)/q2api up --demo $(ARGS)

# PYTEST_ARGS lets a developer narrow the run: make test PYTEST_ARGS='-k wire'
test: install-test
	$(PY) -m pytest -n $${TEST_WORKERS:-2} $(PYTEST_ARGS)

bench: install-test
	$(PY) -m bench $(ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check . || true

compose-check: install-test
	@command -v docker-compose >/dev/null 2>&1 || { \
	  echo "installing docker-compose (Debian package)"; \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && apt-get install -y -qq docker-compose) >/dev/null; \
	  else sudo sh -c 'apt-get update -qq && apt-get install -y -qq docker-compose' >/dev/null; fi; }
	cp -n deploy/.env.example deploy/.env 2>/dev/null || true
	docker-compose -f deploy/compose.yaml --env-file deploy/.env.example config -q
	$(PY) -m pytest tests/test_compose.py -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
