# Norway Health Export Knowledge Base. `make html` builds the site, `make test` checks it.
SHELL := /bin/bash
.DEFAULT_GOAL := html

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT := _build
SPHINXOPTS ?=
# Reproducible output: timestamps come from the last commit, not the clock.
export SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
export PYTHONHASHSEED := 0

MERMAID_VERSION := 11.12.1
AXE_VERSION := 4.14.1
MERMAID_JS := .vendor/static/vendor/mermaid.min.js
# Versioned file name: a bump fetches the new release instead of reusing an older one in .vendor.
AXE_JS := .vendor/test/axe-$(AXE_VERSION).min.js
VNU_VERSION := 26.9.27
VNU_JAR := .vendor/test/vnu.jar
STRICT := -W --keep-going -n -E

.PHONY: html offline bench load test serve clean vendor deps test-deps system-deps urls

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.test-deps: requirements-test.txt $(VENV)/.deps
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

deps: $(VENV)/.deps

# Front-end files come from the npm registry as package tarballs (no install scripts run),
# and are checked against vendor.sha256 so a changed upstream file fails loudly.
$(MERMAID_JS): vendor.sha256
	@mkdir -p .vendor/npm $(dir $@)
	cd .vendor/npm && npm pack --silent mermaid@$(MERMAID_VERSION) >/dev/null
	tar -xzf .vendor/npm/mermaid-$(MERMAID_VERSION).tgz -C .vendor/npm package/dist/mermaid.min.js
	cp .vendor/npm/package/dist/mermaid.min.js $@
	grep ' $@$$' vendor.sha256 | sha256sum --check --quiet

$(AXE_JS): vendor.sha256
	@mkdir -p .vendor/npm $(dir $@)
	cd .vendor/npm && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null
	tar -xzf .vendor/npm/axe-core-$(AXE_VERSION).tgz -C .vendor/npm package/axe.min.js
	cp .vendor/npm/package/axe.min.js $@
	grep ' $@$$' vendor.sha256 | sha256sum --check --quiet

$(VNU_JAR): vendor.sha256
	@mkdir -p .vendor/npm $(dir $@)
	cd .vendor/npm && npm pack --silent vnu-jar@$(VNU_VERSION) >/dev/null
	tar -xzf .vendor/npm/vnu-jar-$(VNU_VERSION).tgz -C .vendor/npm package/build/dist/vnu.jar
	cp .vendor/npm/package/build/dist/vnu.jar $@
	grep ' $@$$' vendor.sha256 | sha256sum --check --quiet

vendor: $(MERMAID_JS)

html: deps vendor
	$(BIN)/sphinx-build -M html docs $(OUT) -c . $(STRICT) $(SPHINXOPTS)
	@echo "Open $(CURDIR)/$(OUT)/html/index.html"

# The offline editions, in $(OUT)/offline: the site as a zip, the single-page edition as a zip, and
# a PDF printed by Chromium (through Playwright, hence the test packages) from the single page.
offline: html $(VENV)/.test-deps
	@bash scripts/debian-packages.sh chromium=chromium
	rm -rf $(OUT)/singlehtml $(OUT)/offline
	$(BIN)/sphinx-build -M singlehtml docs $(OUT) -c . $(STRICT) $(SPHINXOPTS)
	$(BIN)/python scripts/offline_editions.py $(OUT) $(OUT)/offline

# The benchmark (bench/run.py): build times and page weights, medians of BENCH_RUNS runs (default 5),
# over 1x, 10x and 50x content (BENCH_SCALES); prints a table and saves _build/bench/bench-<commit>.json.
bench: vendor $(VENV)/.test-deps
	@bash scripts/debian-packages.sh chromium=chromium
	$(BIN)/python bench/run.py

# The load run (bench/load.py): wrk against deploy/nginx.conf on loopback, over a mix of pages and
# assets, for a bounded time and number of connections; prints requests per second and latencies.
load: html
	@bash scripts/debian-packages.sh nginx=nginx wrk=wrk
	$(BIN)/python bench/load.py $(OUT)

# The published-URL contract: regenerate after adding pages or anchors, and commit the result.
urls: html
	$(BIN)/python scripts/published_urls.py $(OUT)/html > published-urls.txt
	@echo "Updated published-urls.txt: review the diff; a removed line needs a redirect instead"

# Debian packages the tests use: Chromium (browser tests, the PDF edition), Java (the Nu Html
# Checker), poppler-utils (reading the PDF), nginx (the hosting tests). wrk only for `make load`.
system-deps:
	@bash scripts/debian-packages.sh chromium=chromium java=default-jre-headless pdfinfo=poppler-utils nginx=nginx

test-deps: $(VENV)/.test-deps vendor $(AXE_JS) $(VNU_JAR) system-deps

test: test-deps
	$(BIN)/python -m pytest

serve: deps vendor
	$(BIN)/python -m http.server --directory $(OUT)/html --bind 127.0.0.1 8000 & \
	  echo "Serving on http://127.0.0.1:8000/ (rebuild with make html; Ctrl+C to stop)"; wait

clean:
	rm -rf $(OUT)
