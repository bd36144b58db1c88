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

test: $(STAMP)
	$(BIN)/python -m pytest

run: $(STAMP)
	$(BIN)/p402 serve --data-dir $(DATA_DIR) --sample

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/normalize_bench.py

clean:
	rm -rf $(VENV) .p402 cdk.out
