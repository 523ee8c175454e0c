# Norway Health Export Knowledge Base. `make html` builds the site, `make test` checks it.
SHELL := /bin/bash
.DEFAULT_GOAL := html

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# nginx serves the build's ready-made .br files with this module (deploy/nginx.conf: brotli_static)
BROTLI_STATIC := /usr/lib/nginx/modules/ngx_http_brotli_static_module.so=libnginx-mod-http-brotli-static
OUT := _build
SPHINXOPTS ?=
# Reproducible output: timestamps come from the last commit, not the clock.
export SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
export PYTHONHASHSEED := 0

AXE_VERSION := 4.14.1
# Versioned file name: a bump fetches the new release instead of reusing an older one in .vendor.
AXE_JS := .vendor/test/axe-$(AXE_VERSION).min.js
VNU_VERSION := 26.9.27
VNU_JAR := .vendor/test/vnu.jar
LIGHTHOUSE_VERSION := 12.8.2
LIGHTHOUSE := .vendor/lighthouse/node_modules/.bin/lighthouse
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

# Test tools come from the npm registry as package tarballs (no install scripts run), and are
# checked against vendor.sha256 so a changed upstream file fails loudly. The site itself vendors
# nothing: its diagrams are SVG drawn at build time (kb_ext/diagram_drawing.py).
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

# Lighthouse for `make bench`, pinned, into its own folder; install scripts off (it runs Debian's Chromium).
$(LIGHTHOUSE):
	@mkdir -p .vendor/lighthouse
	npm install --silent --prefix .vendor/lighthouse --ignore-scripts --no-audit --no-fund --no-save \
	  lighthouse@$(LIGHTHOUSE_VERSION)
	test -x $@

vendor:

# Atomic (scripts/build.py): Sphinx builds into a fresh folder, which replaces $(OUT)/html only if the
# strict build ($(STRICT)) succeeds; a failed build leaves the last good site as it was and lists the problems.
html: deps vendor
	$(BIN)/python scripts/build.py --out $(OUT) $(SPHINXOPTS)
	@echo "Open $(CURDIR)/$(OUT)/html/index.html"

# The offline editions, in $(OUT)/offline: the site as a zip, the single-page edition as a zip, and
# a PDF printed by Chromium (through Playwright, hence the test packages) from the single page.
offline: html $(VENV)/.test-deps
	@bash scripts/debian-packages.sh chromium=chromium
	$(BIN)/python scripts/build.py --out $(OUT) --builder singlehtml $(SPHINXOPTS)
	rm -rf $(OUT)/offline
	$(BIN)/python -m scripts.offline_editions $(OUT) $(OUT)/offline

# The benchmark (bench/run.py): build times and page weights, medians of BENCH_RUNS runs (default 5),
# over 1x, 10x and 50x content (BENCH_SCALES); then Lighthouse 12 (performance, accessibility) on every
# page of the `make html` site served by deploy/nginx.conf. BENCH_ONLY=lighthouse runs only Lighthouse.
# Prints the tables and saves _build/bench/bench-<commit>.json.
bench: html $(VENV)/.test-deps $(LIGHTHOUSE)
	@bash scripts/debian-packages.sh chromium=chromium nginx=nginx $(BROTLI_STATIC)
	$(BIN)/python -m bench.run

# The load run (bench/load.py): wrk against deploy/nginx.conf on loopback, over a mix of pages and
# assets, for a bounded time and number of connections, once compressing on the fly and once serving
# the build's ready-made .gz files; prints requests per second and latencies for both.
load: html
	@bash scripts/debian-packages.sh nginx=nginx $(BROTLI_STATIC) wrk=wrk
	$(BIN)/python -m bench.load $(OUT)

# The published-URL contract: regenerate after adding pages or anchors, and commit the result.
urls: html
	$(BIN)/python -m scripts.published_urls $(OUT)/html > published-urls.txt
	@echo "Updated published-urls.txt: review the diff; a removed line needs a redirect instead"

# Debian packages the tests use: Chromium (browser tests, the PDF edition), Java (the Nu Html
# Checker), poppler-utils (reading the PDF), nginx and its brotli_static module (the hosting tests).
# wrk only for `make load`.
system-deps:
	@bash scripts/debian-packages.sh chromium=chromium java=default-jre-headless pdfinfo=poppler-utils nginx=nginx $(BROTLI_STATIC)

test-deps: $(VENV)/.test-deps vendor $(AXE_JS) $(VNU_JAR) system-deps

test: test-deps
	$(BIN)/python -m pytest

# Live preview: sphinx-autobuild rebuilds on every edit (pages, data, texts, theme, the extension) and
# reloads the browser. Loopback only; Ctrl+C stops it.
serve: deps vendor
	$(BIN)/sphinx-autobuild docs $(OUT)/serve -d $(OUT)/serve-doctrees -c . --host 127.0.0.1 --port 8000 \
	  --watch data --watch source_texts --watch theme --watch kb_ext --watch deploy \
	  --re-ignore '(^|/)_build/' $(SPHINXOPTS)

clean:
	rm -rf $(OUT)
