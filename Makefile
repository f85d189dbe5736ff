# Driftline — run `make help` for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
UV     := $(VENV)/bin/uv
UV_VERSION := 0.13.9
STAMP  := $(VENV)/.installed
DL     := $(VENV)/bin/driftline

.PHONY: help install system-deps lock up down status logs info demo serve backtest bench-policies test test-fast lint format clean

help: ## show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q "uv==$(UV_VERSION)"
	$(UV) pip install --python $(PY) -r requirements.txt
	$(UV) pip install --python $(PY) --no-deps -e .
	@$(PY) tools/fix_venv_shebangs.py $(VENV)
	@echo "Precompiling the venv (task processes start faster)…"
	@$(PY) -m compileall -q -j 0 $(VENV)/lib/python3.11/site-packages > /dev/null 2>&1 || true
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install the pinned requirements and driftline

system-deps: ## Debian chromium for the browser tests (installed when missing and run as root)
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "browser tests need Debian's chromium: sudo apt-get install chromium"; fi; }

lock: ## re-resolve requirements.in into the fully pinned requirements.txt
	@test -x $(UV) || { $(PYTHON) -m venv $(VENV) && $(PY) -m pip install -q "uv==$(UV_VERSION)"; }
	$(UV) pip compile requirements.in --python-version 3.11 -o requirements.txt

up: install ## start the embedded stack (S3, MLflow, Airflow) in the background
	@$(DL) stack up

down: ## stop the embedded stack
	@test -x $(DL) && $(DL) stack down || true

status: ## health of each service
	@$(DL) stack status

logs: ## last lines of each service's log
	@$(DL) stack logs --lines 60

info: ## URLs and the Airflow login
	@$(DL) stack info

demo: up ## install, start the stack and run the pipeline demo
	@$(DL) demo
	@$(DL) stack info

serve: install ## start S3, MLflow and the prediction endpoint (models:/<name>@champion) in the background
	@$(DL) stack up --service s3 --service mlflow --service serve

backtest: install ## replay Elec2 through every policy, no services needed (table + chart)
	$(DL) backtest --data include/driftline/data/elec2.csv.gz --target class --batch-size 336 --chart docs/img/backtest_elec2.png

bench-policies: install ## the policy suite: every policy on 9 streams x 3 label regimes (table, targets, chart)
	$(PY) benchmarks/policy_suite.py --chart docs/img/policy_suite.png

test: install system-deps ## run the whole test suite (starts the services the tests need)
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install ## unit tests only (no services, no slow statistics)
	$(PY) -m pytest -m "not integration and not slow" $(PYTEST_ARGS)

lint: install ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install ## ruff format and fix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean: down ## stop the stack and delete local state (.state)
	rm -rf .state
