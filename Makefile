# Satu Data Baubau — the two set-up commands are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
TOOLS := .state/tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
SATUDATA := $(VENV)/bin/satudata
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := python3
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := False

.PHONY: help install demo test test-unit ui down status bench clean

help:
	@echo "make demo   - install, start the local stack, generate a city-year, run every asset"
	@echo "make test   - install and run the whole test suite (starts its own test stack)"
	@echo "make ui     - Dagster UI + daemon on http://127.0.0.1:3000"
	@echo "make bench  - landing→bronze and dbt benchmark at 1 M and 5 M rows"
	@echo "make down   - stop the local stack"

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet
	touch $@

install: $(VENV)/.installed

demo: install
	$(SATUDATA) demo

test: install
	$(PY) -m pytest

test-unit: install
	$(PY) -m pytest tests/unit

ui: install
	$(SATUDATA) ui

status: install
	$(SATUDATA) stack status

down: install
	$(SATUDATA) stack down

bench: install
	$(PY) benchmarks/bench_pajak.py

clean: down
	rm -rf .state dbt_project/target
