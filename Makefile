# Satu Data Baubau — the two set-up commands are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.13.8
TOOLS := .state/tools
UV := $(TOOLS)/bin/uv
VENV := .venv
# The portal (CKAN 2.12) has its own virtualenv, shared by the demo and the test stacks.
CKAN_VENV := $(TOOLS)/ckan-venv
CKANEXT := catalog/ckanext-satudata
PG_BIN := /usr/lib/postgresql/15/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PY := $(VENV)/bin/python
SATUDATA := $(VENV)/bin/satudata
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := python3
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := False

.PHONY: help install system-packages demo test test-unit ui down status bench clean chromium

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
	$(UV) sync --frozen --quiet --compile-bytecode
	touch $@

# CKAN in its own virtualenv (pinned by catalog/ckan-requirements.txt + ckan-constraints.txt),
# with our extension installed editable so that a change to it needs only a stack restart.
$(CKAN_VENV)/.installed: catalog/ckan-requirements.txt catalog/ckan-constraints.txt $(CKANEXT)/pyproject.toml | $(UV)
	rm -rf $(CKAN_VENV)
	$(UV) venv --quiet --python python3 $(CKAN_VENV)
	$(UV) pip install --quiet --python $(CKAN_VENV)/bin/python -r catalog/ckan-requirements.txt
	$(UV) pip install --quiet --python $(CKAN_VENV)/bin/python --no-deps -e $(CKANEXT)
	touch $@

# Services the local stack runs from the operating system: the PostgreSQL 15 server and Redis
# (and libpq's pg_config, which building CKAN's psycopg2 needs). Installed only when missing;
# Debian's postgresql-15 would create and start a default cluster, which is switched off first.
system-packages:
	@missing=""; \
	[ -x $(PG_BIN)/postgres ] || missing="$$missing postgresql-15"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	command -v pg_config >/dev/null 2>&1 || missing="$$missing libpq-dev"; \
	if [ -n "$$missing" ]; then \
		echo "memasang paket sistem:$$missing"; \
		$(SUDO) mkdir -p /etc/postgresql-common/createcluster.d && \
		echo "create_main_cluster = false" | $(SUDO) tee /etc/postgresql-common/createcluster.d/satudata.conf >/dev/null && \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

install: system-packages $(VENV)/.installed $(CKAN_VENV)/.installed

demo: install
	$(SATUDATA) demo

# The portal's browser test drives Debian's chromium (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: install chromium
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
