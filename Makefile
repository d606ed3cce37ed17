SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
RUFF   := $(VENV)/bin/ruff
MYPY   := $(VENV)/bin/mypy
TOCSIN := $(VENV)/bin/tocsin
# What is installed in .venv, each stamp newer than the pyproject.toml it was installed from:
# RUN_STAMP tocsin and what running it needs (`make run`); DEV_STAMP tocsin[dev], the tests,
# linters and type checker too (`make test`), which covers running as well.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

# Only the Python source directories that exist right now.
LINT_DIRS     := $(wildcard src tests bench scripts)
BENCH_SCRIPTS := $(sort $(wildcard bench/*/run.py))

.PHONY: help venv run-venv deps run test lint typecheck fmt bench clean distclean

help:
	@echo "make deps       install the Debian packages the tests need"
	@echo "make venv       create .venv and install tocsin[dev] into it (when pyproject.toml changed)"
	@echo "make run        install what running needs, init (if no tocsin.yaml), upgrade the"
	@echo "                database, then serve (or show status)"
	@echo "make test       lint, format check, type check, then the test suite"
	@echo "make lint | typecheck | fmt | bench | clean | distclean"

venv: $(DEV_STAMP)

run-venv: $(RUN_STAMP)

$(PY):
	python3 -m venv $(VENV)

# A dev install made since pyproject.toml last changed already holds what running needs.
$(RUN_STAMP): pyproject.toml | $(PY)
	@if [ -f $(DEV_STAMP) ] && [ $(DEV_STAMP) -nt pyproject.toml ]; then \
		echo "$(VENV) has tocsin[dev], which covers running"; \
	else \
		echo "$(PY) -m pip install --disable-pip-version-check -e ."; \
		$(PY) -m pip install --disable-pip-version-check -e .; \
	fi
	touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -e '.[dev]'
	touch $@ $(RUN_STAMP)

deps:
	bash scripts/install-system-deps.sh

run:
	bash scripts/install-system-deps.sh --run
	$(MAKE) --no-print-directory run-venv
	@if [ ! -f tocsin.yaml ]; then echo "$(TOCSIN) init"; $(TOCSIN) init; fi
	$(TOCSIN) db upgrade
	@if $(TOCSIN) serve --help >/dev/null 2>&1; then \
		echo "$(TOCSIN) serve$(if $(PORT), --port $(PORT))"; exec $(TOCSIN) serve $(if $(PORT),--port $(PORT)); \
	else \
		echo "$(TOCSIN) status"; exec $(TOCSIN) status; \
	fi

test: deps venv
	$(RUFF) check $(LINT_DIRS)
	$(RUFF) format --check $(LINT_DIRS)
	$(MYPY) src
	$(PY) -m pytest -q

lint: venv
	$(RUFF) check $(LINT_DIRS)
	$(RUFF) format --check $(LINT_DIRS)

typecheck: venv
	$(MYPY) src

fmt: venv
	$(RUFF) format $(LINT_DIRS)
	$(RUFF) check --fix $(LINT_DIRS)

bench: deps venv
	@if [ -z "$(BENCH_SCRIPTS)" ]; then echo "no benchmarks yet"; fi
	@set -e; for script in $(BENCH_SCRIPTS); do \
		echo "==> $$script"; $(PY) $$script; \
	done

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist
	find . -path ./$(VENV) -prune -o -name '*.egg-info' -prune -exec rm -rf {} + \
		-o -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
