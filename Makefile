# Two commands for a newcomer: `make demo` (the main job) and `make test`.
# Both create .venv, install seqtag into it, and find the data in ../shared when it is
# there (CI, this project's machines) or download it once into corpora/ otherwise.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SHARED ?= ../shared
TORCH_SPEC ?= torch==2.13.0
DATA_CORPORA ?= ptb-sample conll2000 brown-universal ud-ewt

ifneq ($(wildcard $(SHARED)/nltk_data),)
export NLTK_DATA ?= $(abspath $(SHARED)/nltk_data)
export SEQTAG_REQUIRE_DATA ?= 1
endif
ifneq ($(wildcard $(SHARED)/corpora),)
export SEQTAG_DATA ?= $(abspath $(SHARED)/corpora)
endif

.PHONY: install data demo test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# torch first, so nothing pulls a multi-GB CUDA build in behind our back
$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -e ".[test,audio]"
	touch $@

install: $(VENV)/.installed

data: install
	$(BIN)/seqtag download --if-missing $(DATA_CORPORA)

DEMO_MODELS ?= baseline,hmm1,hmm2,crf,bilstm,bilstm-crf,transformer

# the quick comparison on the PTB sample: ~2.5 minutes on 2 CPU cores, a table and reports/ptb-quick/
demo: data
	$(BIN)/seqtag compare --corpus ptb-sample --models $(DEMO_MODELS) --preset quick --jobs 2 --report reports/ptb-quick

# pytest's exit code 5 (no test collected) is a failure too
test: data
	$(BIN)/python -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

bench: install
	$(BIN)/python -m pip install -q -e ".[bench]"
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) models reports
