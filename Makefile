# Yidan — the two commands a fresh machine needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell $(PYTHON) -c 'import hashlib,sys;print(hashlib.sha1(open("pyproject.toml","rb").read()).hexdigest()[:10])')
NPM := $(shell command -v npm 2>/dev/null)
# Debian tools the document tests read PDFs and QR codes with
DEB_TOOLS := pdftotext:poppler-utils zbarimg:zbar-tools

.PHONY: run test install lint fmt typecheck openapi contracts frontend frontend-test bench system-deps clean

run: install frontend  ## install everything and run the product on its embedded default
	$(BIN)/yidan serve

test: install system-deps lint  ## run every test (PostgreSQL/Redis on localhost when they answer, else embedded)
	@if [ -n "$(NPM)" ] && [ -f frontend/package.json ]; then \
	  $(MAKE) --no-print-directory frontend-test && $(MAKE) --no-print-directory e2e; \
	else echo "npm not found: web app and browser tests skipped"; fi
	$(BIN)/pytest

install: $(STAMP)

$(STAMP): pyproject.toml
	@echo "• creating the virtualenv and installing Python dependencies …"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check -U pip
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

system-deps:
	@missing=""; for pair in $(DEB_TOOLS); do tool=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$tool >/dev/null || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "• installing Debian packages:$$missing poppler-data"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing poppler-data >/dev/null; \
	  else echo "• missing$$missing: the tests that read PDFs will be skipped"; fi; \
	fi

lint: install  ## ruff (lint + format check) and mypy
	$(BIN)/ruff check backend tests bench
	$(BIN)/ruff format --check backend tests bench
	$(BIN)/mypy

fmt: install
	$(BIN)/ruff check --fix backend tests bench
	$(BIN)/ruff format backend tests bench

openapi contracts: install  ## regenerate openapi/openapi.json and openapi/schema.graphql
	$(BIN)/yidan contracts

bench: install  ## benchmarks on scratch databases: a table against the targets, JSON under bench/results/
	$(BIN)/python bench/run_all.py --gateway-args="$(BENCH_ARGS)"

frontend:  ## build the web app when npm is present
	@if [ -z "$(NPM)" ]; then echo "npm not found: the API runs without the web app"; \
	elif [ ! -f frontend/dist/index.html ] || [ -n "$$(find frontend/src frontend/index.html frontend/package.json -newer frontend/dist/index.html 2>/dev/null | head -1)" ]; then \
	  echo "• building the web app …"; cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build; \
	fi

frontend-test:
	cd frontend && ( [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error ) && npm test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache frontend/dist frontend/node_modules

.PHONY: e2e
e2e: install  ## build the web app and run the browser tests (Debian's Chromium, the real backend)
	@if ! command -v chromium >/dev/null && [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "• installing Chromium …"; apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: apt-get install -y chromium"; exit 1; fi; \
	fi
	@# a Chinese font, or every zh-CN screenshot shows boxes
	@if command -v fc-list >/dev/null && [ -z "$$(fc-list :lang=zh 2>/dev/null | head -1)" ] \
	  && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "• installing a Chinese font (fonts-wqy-microhei) …"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null \
	    || { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null; }; \
	fi
	cd frontend && ( [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund --loglevel=error ) \
	  && npm run build && npx playwright test -c e2e/playwright.config.ts
