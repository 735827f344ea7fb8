# The two commands a new user needs: `make serve` and `make test`. Everything else is optional.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Where a trained checkpoint is looked for; `impressions export` falls back to a tiny random T5.
CHECKPOINT ?=

.PHONY: install artifacts serve test unit lint bench eval load tune check-eval system-deps test-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# the CPU torch wheel first, so nothing later pulls the multi-GB CUDA build
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Build the ONNX engines + tokenizers into model_repository/*/1/ when missing or stale.
artifacts: install
	$(BIN)/impressions export --if-missing $(if $(CHECKPOINT),--checkpoint $(CHECKPOINT),)

serve: artifacts
	$(BIN)/impressions serve

# system-deps first (perf_analyzer's libb64), so `make serve` then `make test` pass on a fresh
# machine; where it cannot install (not root, no sudo) the perf_analyzer tests skip, naming it.
test: artifacts
	@$(MAKE) --no-print-directory system-deps || \
	  echo "make test: could not install libb64-0d (run 'make system-deps' as root); perf_analyzer tests skip"
	$(BIN)/python -m pytest -q -ra

unit: install
	$(BIN)/python -m pytest -q -m "not integration"

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: artifacts
	$(BIN)/impressions bench --iterations 40

bench-post: artifacts
	$(BIN)/impressions bench-post

eval: artifacts
	$(BIN)/impressions eval

# External sets (docs/evaluation.md): read-only reports in ../shared/data, never committed. The IU
# chest radiographs whole; the hand-written sets on the half whose errors are never read, then
# on the read half.
.PHONY: eval-external
eval-external: artifacts
	@data=../shared/data; \
	if [ ! -d "$$data" ]; then \
	  echo "eval-external: $$data is absent (the external sets are not in the repo): skipped"; \
	  exit 0; \
	fi; \
	set -e; \
	$(BIN)/impressions eval --dataset $$data/iu-xray/dev.jsonl; \
	for half in unread read; do \
	  $(BIN)/impressions eval --half $$half \
	    $$(for s in chest neuro abdomen mskvasc check; do echo --dataset $$data/handwritten/dev-$$s.jsonl; done); \
	done

check-eval: install
	$(BIN)/impressions check-eval

# perf_analyzer (shipped in the tritonclient wheel) needs libb64 from Debian.
system-deps:
	@ldconfig -p | grep -q 'libb64.so.0d' || { apt-get update -qq && apt-get install -y -qq libb64-0d; }

# What the whole test suite needs from Debian (CI runs this): the above, and the PostgreSQL
# binaries the style store's PostgreSQL tests start their own server from (Debian puts them in
# /usr/lib/postgresql/<ver>/bin, off PATH; tests/postgres_server.py looks there).
test-deps: system-deps
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; }
	@# the job service's scale-out tests (tests/test_jobs_distributed.py) start a real Redis
	@command -v redis-server >/dev/null || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; }

load: artifacts system-deps
	$(BIN)/impressions load

# Search the serving configuration with real load (docs/tuning.md); e.g.
# make tune TUNE_ARGS="--objective throughput --p95-budget 300"
TUNE_ARGS ?=
tune: artifacts system-deps
	$(BIN)/impressions tune $(TUNE_ARGS)

# The Docker image without a Docker engine (docs/deploy.md): hadolint on docker/Dockerfile, then
# its COPY and RUN steps in a clean venv (docker/check_build.py, ~3 minutes).
.PHONY: docker-check
docker-check: install
	$(BIN)/hadolint docker/Dockerfile
	$(BIN)/python docker/check_build.py

clean:
	rm -rf build model_repository/*/1/*.onnx model_repository/*/1/tokenizer \
	       model_repository/generator/1/hf model_repository/generator/1/*.json
