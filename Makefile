SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
RUFF   := $(VENV)/bin/ruff
MYPY   := $(VENV)/bin/mypy
TOCSIN := $(VENV)/bin/tocsin
STAMP  := $(VENV)/.installed

# Only the Python source directories that exist right now.
LINT_DIRS     := $(wildcard src tests bench scripts)
BENCH_SCRIPTS := $(sort $(wildcard bench/*/run.py))

.PHONY: help venv deps run test lint typecheck fmt bench clean distclean

help:
	@echo "make deps       install the Debian packages the project needs"
	@echo "make venv       create .venv and install tocsin[dev] into it (when pyproject.toml changed)"
	@echo "make run        init (if no tocsin.yaml), upgrade the database, then serve (or show status)"
	@echo "make test       lint, format check, type check, then the test suite"
	@echo "make lint | typecheck | fmt | bench | clean | distclean"

venv: $(STAMP)

$(PY):
	python3 -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -e '.[dev]'
	touch $@

deps:
	bash scripts/install-system-deps.sh

run:
	bash scripts/install-system-deps.sh --run
	$(MAKE) venv
	@if [ ! -f tocsin.yaml ]; then echo "$(TOCSIN) init"; $(TOCSIN) init; fi
	$(TOCSIN) db upgrade
	@if $(TOCSIN) serve --help >/dev/null 2>&1; then \
		echo "$(TOCSIN) serve"; exec $(TOCSIN) serve; \
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
