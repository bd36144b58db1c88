# Every target sets itself up from nothing: the virtual environment lives in .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= ./.p402
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION = 20
export CDK_DISABLE_CLI_TELEMETRY = true

.PHONY: all setup test run bench synth lint clean

all: test

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip==25.3
	$(BIN)/pip install --quiet -e '.[server,infra,test]'
	touch $(STAMP)

setup: $(STAMP)

# The browser tests need Debian's chromium and playwright-core: `browser` installs both.
test: $(STAMP) browser
	$(BIN)/python -m pytest

run: $(STAMP)
	$(BIN)/p402 serve --data-dir $(DATA_DIR) --sample

# Benchmarks print figures (docs/benchmarks.md); LiteLLM comes only with the bench extra.
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/normalize_bench.py
	$(BIN)/python bench/handler_bench.py
	$(BIN)/python bench/http_ingest_bench.py
	$(BIN)/python bench/ranking_bench.py
	$(BIN)/python bench/client_bench.py
	$(BIN)/python bench/dashboard_bench.py

clean:
	rm -rf $(VENV) .p402 cdk.out

# --- AWS deployment (infra/) ---------------------------------------------------------------
# `bundle` builds the Lambda code without Docker: binary wheels for Lambda's arm64 Python,
# plus the p402 package and functions/. Synth works without it (a placeholder stands in).
LAMBDA_PYTHON := 3.14
LAMBDA_BUILD := build/lambda
CDK := npx --yes aws-cdk@2

.PHONY: bundle synth lint-infra

bundle: $(STAMP)
	rm -rf $(LAMBDA_BUILD) && mkdir -p $(LAMBDA_BUILD)
	$(BIN)/python infra/bundle_requirements.py > build/lambda-requirements.txt
	$(BIN)/pip install --quiet --no-compile --platform manylinux2014_aarch64 \
		--implementation cp --python-version $(LAMBDA_PYTHON) --only-binary=:all: \
		--target $(LAMBDA_BUILD) -r build/lambda-requirements.txt
	cp -r p402 functions $(LAMBDA_BUILD)/
	find $(LAMBDA_BUILD) -name __pycache__ -prune -exec rm -rf {} +
	touch $(LAMBDA_BUILD)/.bundle-complete

synth: $(STAMP)
	$(CDK) synth --no-notices --quiet

lint-infra: $(STAMP)
	rm -rf cdk.out && CDK_OUTDIR=cdk.out $(BIN)/python app.py
	$(BIN)/cfn-lint --non-zero-exit-code error cdk.out/*.template.json

# --- Browser tests (tests/dashboard) ---------------------------------------------------------
# Debian's chromium (apt-get, when /usr/bin/chromium is missing) driven by playwright-core from
# the committed lock file; Playwright never downloads a browser of its own.
BROWSER_TESTS := tests/dashboard
.PHONY: browser

browser: $(BROWSER_TESTS)/node_modules/.package-lock.json
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)

$(BROWSER_TESTS)/node_modules/.package-lock.json: $(BROWSER_TESTS)/package.json \
		$(BROWSER_TESTS)/package-lock.json
	cd $(BROWSER_TESTS) && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
