# `make test` and `make run` work on a fresh machine with Python 3.11 and make:
# they create .venv and install what they need.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The console's browser test drives Debian's Chromium (no browser downloads here).
CHROMIUM := /usr/bin/chromium

# The SAM CLI lives in a virtualenv of its own: it pins boto3, click and cfn-lint exactly,
# which would otherwise dictate the project's versions. tests/infrastructure finds it here.
SAM_VENV := $(VENV)/sam-cli
SAM := $(SAM_VENV)/bin/sam
SAM_ENV := AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} SAM_CLI_TELEMETRY=0

.PHONY: install test lint run clean bench soak sam-cli sam-validate sam-build

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# tests/infrastructure runs cfn-lint, `sam validate --lint` and `sam build` (arm64).
test: $(STAMP) $(CHROMIUM) $(SAM)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -q

$(SAM):
	$(PY) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -q --upgrade pip
	$(SAM_VENV)/bin/python -m pip install -q 'aws-sam-cli>=1.120,<2'

sam-cli: $(SAM)

sam-validate: $(SAM)
	$(SAM_ENV) $(SAM) validate --lint
	$(SAM_ENV) $(SAM_VENV)/bin/cfn-lint template.yaml

# What `sam deploy` uploads: .aws-sam/build, each function's code and the one dependency
# layer (arm64 wheels fetched by pip, no Docker).
sam-build: $(SAM)
	$(SAM_ENV) $(SAM) build

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy functions/sundial infra

run: $(STAMP)
	$(BIN)/sundial local

# Every benchmark (local-stack lateness, API fuzzing, read amplification, requests and
# cost per fire, dispatcher CPU, the soak, the Lambda artifacts' sizes and import times):
# benchmarks/results.json and RESULTS.md.
bench: $(STAMP) $(SAM)
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/run.py

# The chaos soak at full size (10,000+ fires); figures go to benchmarks/results.json.
soak: $(STAMP)
	$(BIN)/python benchmarks/soak.py --fires 10000

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
