# `make test` and `make run` work on a fresh machine with Python 3.11 and make:
# they create .venv and install what they need.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Two install levels: running the local stack needs the `local` extra only; tests, lint
# and benchmarks need the `dev` toolchain on top (Playwright, cfn-lint, mypy, ...).
RUN_STAMP := $(VENV)/.installed-local
STAMP := $(VENV)/.installed

# The SAM CLI lives in a virtualenv of its own: it pins boto3, click and cfn-lint exactly,
# which would otherwise dictate the project's versions. tests/infrastructure finds it here.
SAM_VENV := $(VENV)/sam-cli
SAM := $(SAM_VENV)/bin/sam
SAM_ENV := AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} SAM_CLI_TELEMETRY=0
# checkov, the template's security scanner, too: it pins boto3 and packaging exactly.
# tests/infrastructure/test_checkov.py finds it here and runs it offline.
CHECKOV_VENV := $(VENV)/checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov

.PHONY: install test lint run clean bench soak sam-cli sam-validate sam-build checkov docs

install: $(STAMP)

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[local]'
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(RUN_STAMP) $(STAMP)

# tests/infrastructure runs cfn-lint, `sam validate --lint`, `sam build` (arm64) and
# checkov.
# The console's browser test drives a system Chromium (/usr/bin/chromium, or
# $SUNDIAL_CHROMIUM) and is skipped, saying why, where there is none: `make test`
# installs nothing outside .venv. CI installs Chromium first (.ci/run).
test: $(STAMP) $(SAM) $(CHECKOV)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(MAKE) docs
	$(BIN)/pytest -q

# The documentation site (MkDocs Material) from docs/, with the API and command-line
# references generated from the code (docs/hooks/reference.py): site/index.html. Strict:
# a broken link or anchor, or a page left out of the nav, fails the build.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

$(SAM):
	$(PY) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install -q --upgrade pip
	$(SAM_VENV)/bin/python -m pip install -q 'aws-sam-cli>=1.120,<2'

sam-cli: $(SAM)

$(CHECKOV):
	$(PY) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install -q --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install -q 'checkov>=3.2,<4'

# The template's security scan, as the tests run it: offline, built-in policies only.
checkov: $(CHECKOV)
	CKV_SKIP_PACKAGE_UPDATE_CHECK=true BC_SKIP_MAPPING=TRUE $(CHECKOV) --file template.yaml \
		--framework cloudformation --skip-download --compact

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

run: $(RUN_STAMP)
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
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis site
