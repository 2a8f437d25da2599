# Trial pre-screening assistant. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
RASA   := $(VENV)/bin/rasa
LOCKS  := requirements.lock requirements-dev.lock
STAMP  := $(VENV)/.lock-$(shell cat $(LOCKS) | sha256sum | cut -c1-16)
LINT_PATHS := bot actions nlu_ext rasa_patches.py channels stores migrations tests scripts ops
SPACY_MODEL := build/spacy-trial-en
MODEL  := models/current.tar.gz
MODEL_INPUTS := domain.yml config.yml $(shell find data -name '*.yml' 2>/dev/null) \
                bot/screening/trials/aclf-ucmsc.yml
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: help install system spacy train run console test test-fast lint validate crossval \
        nlu-heldout readability bench faults fuzz simulate deploy-check analytics audit \
        lock clean

include web/Makefile.inc

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): $(LOCKS) scripts/setup-venv.sh
	@scripts/setup-venv.sh

install: $(STAMP) system ## Build .venv with Python 3.10, the product's and the dev tools' pinned packages (once)

system: ## Install Debian's chromium + chromium-driver if missing (root only; browser test)
	@scripts/setup-system.sh

$(SPACY_MODEL)/meta.json: $(STAMP) nlu_ext/spacy_rules.py nlu_ext/zh_tokenizer.py \
                          nlu_ext/zh_words.txt bot/parsing/lexicon.py
	$(PY) -m nlu_ext.spacy_rules build $(SPACY_MODEL)

spacy: $(SPACY_MODEL)/meta.json ## Build the project's own spaCy pipeline

$(MODEL): $(STAMP) $(SPACY_MODEL)/meta.json $(MODEL_INPUTS) nlu_ext/*.py
	$(PY) -m bot check
	$(RASA) train --fixed-model-name current --out models --num-threads 2
	@touch $(MODEL)

train: $(MODEL) ## Train the Rasa model when data, domain or config changed

run: $(MODEL) web ## Set up if needed, then start the servers, outbox worker, staff console
	@scripts/run.sh

console: $(STAMP) ## Start only the staff console (http://127.0.0.1:8080)
	$(PY) -m bot console

validate: $(STAMP) $(SPACY_MODEL)/meta.json ## rasa data validate
	$(RASA) data validate

# `lint` first: pytest runs only once ruff check, ruff format --check and mypy pass.
test: lint system $(MODEL) web ## Set up if needed, then run every test (lint, pytest, stories, NLU)
	$(PY) -m pytest -q

test-fast: system $(STAMP) $(SPACY_MODEL)/meta.json ## Tests that need no trained model
	$(PY) -m pytest -q -m "not rasa and not e2e"

lint: $(STAMP) ## ruff check, ruff format --check, mypy (pyproject.toml); also .pre-commit-config.yaml
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	$(VENV)/bin/mypy

crossval: $(STAMP) $(SPACY_MODEL)/meta.json ## NLU 5-fold cross-validation (intent and entity F1)
	$(RASA) test nlu --nlu data/nlu --cross-validation --folds 5 --successes --out results/crossval
	$(PY) scripts/nlu_report.py results/crossval

nlu-heldout: $(MODEL) ## Score the held-out NLU examples, English and Chinese (never trained on)
	$(RASA) test nlu --nlu tests/nlu --model $(MODEL) --successes --out results/heldout
	$(PY) scripts/nlu_report.py results/heldout

readability: $(STAMP) ## US grade level of every patient-facing text
	$(PY) scripts/readability.py

bench: $(MODEL) ## Benchmark against a bare `rasa init` assistant (results/bench/bench.json)
	$(PY) scripts/bench.py --train --concurrency 1 8

faults: $(MODEL) ## Replicas and faults (PostgreSQL, Redis, RabbitMQ; about 4 min; also in make test)
	$(PY) -m pytest -q -m production tests/e2e/test_production.py tests/e2e/test_faults.py

fuzz: $(MODEL) ## Fuzz the REST and socket.io channels with 10,000 bad messages (results/fuzz)
	$(PY) scripts/fuzz.py --messages 10000 --out results/fuzz

simulate: $(MODEL) ## Simulated patients: every case in every answer style, English and Chinese (results/simulate, results/simulate-zh)
	$(PY) scripts/simulate.py --cases all --out results/simulate
	$(PY) scripts/simulate.py --cases all --language zh --out results/simulate-zh

deploy-check: $(STAMP) ## Check deploy/ (compose schema, Helm keys, Dockerfile) and Rasa's stores on the local services
	$(PY) -m pytest -q tests/integration/test_deploy.py

analytics: $(STAMP) ## Consume Rasa's event queue (RASA_EVENT_QUEUE) into the screening analytics
	$(PY) -m bot analytics

audit: ## Dependency audit: pip-audit when online, always the offline advisory snapshot (docs/advisories)
	@scripts/audit.sh

lock: ## Regenerate requirements.lock (product) and requirements-dev.lock (tools) (needs the registry)
	rm -rf /tmp/lock-venv && python3.10 -m venv /tmp/lock-venv
	/tmp/lock-venv/bin/pip install -q "pip==23.3.2"
	/tmp/lock-venv/bin/pip install -q -r requirements.txt
	/tmp/lock-venv/bin/pip check
	/tmp/lock-venv/bin/pip freeze > requirements.lock
	/tmp/lock-venv/bin/pip install -q -r requirements-dev.txt
	/tmp/lock-venv/bin/pip check
	{ echo "-r requirements.lock"; /tmp/lock-venv/bin/pip freeze | grep -vxF -f requirements.lock; } \
	  > requirements-dev.lock

clean: ## Remove built artefacts (not .venv)
	rm -rf build models results .pytest_cache
