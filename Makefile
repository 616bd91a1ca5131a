# Two commands are the contract: `make run` and `make test`. Both set everything up from nothing and are
# quick when it is already set up (a stamp file records a finished install).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
WHEELHOUSE ?= $(HOME)/.cache/interviewer/wheelhouse
LLAMA_VERSION := 0.3.36
# A native llama.cpp build segfaults on these CPUs (AMX matmul); this portable AVX2 build runs.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: run test check lint typecheck install store vectors verifier wheel-llama lock bench clean

run: $(STAMP) store
	$(VENV)/bin/interviewer

test: $(STAMP)
	$(PY) -m pytest -q

check: $(STAMP) lint typecheck test

lint: $(STAMP)
	$(VENV)/bin/ruff check interviewer tui tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy

install: $(STAMP)

# The knowledge store is built once and refreshed incrementally (unchanged files are skipped).
store: $(STAMP)
	$(VENV)/bin/interviewer ingest

$(STAMP): pyproject.toml requirements/constraints.txt | $(WHEELHOUSE)/.llama-$(LLAMA_VERSION)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# torch first: the pinned CPU build; letting sentence-transformers pull torch brings GBs of CUDA.
	$(PIP) install --quiet -c requirements/constraints.txt torch==2.13.0
	$(PIP) install --quiet --no-deps --no-index --find-links $(WHEELHOUSE) llama-cpp-python==$(LLAMA_VERSION)
	$(PIP) install --quiet --find-links $(WHEELHOUSE) -c requirements/constraints.txt -e '.[dev]'
	# Export the bundled embedding model to ONNX once (checked against torch); it falls back to torch if not.
	$(PY) -m interviewer.retrieval.embeddings --prepare
	touch $(STAMP)

# pip's wheel cache keys on the source archive, not on CMAKE_ARGS, so the wheel is built explicitly, without
# the cache, into a wheelhouse outside the clone that every fresh clone reuses.
$(WHEELHOUSE)/.llama-$(LLAMA_VERSION):
	mkdir -p $(WHEELHOUSE)
	ls $(WHEELHOUSE)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PYTHON) -m pip wheel --no-deps --no-cache-dir \
			-w $(WHEELHOUSE) llama-cpp-python==$(LLAMA_VERSION)
	touch $@

# After editing knowledge/docs: recompute the shipped vectors of the built-in chunks (a test checks they cover
# every chunk), so a first ingest on a new machine embeds nothing.
vectors: $(STAMP)
	$(PY) -m interviewer.retrieval.vector_cache --ship

# Retrain the grading verifier from knowledge/verifier/pairs.jsonl (minutes on 2 cores; the card beside the model
# records the data's fingerprint, which a test checks). Retrain rarely: every version stays in git's history.
verifier: $(STAMP)
	$(PY) -m interviewer.grading.train_verifier

# Re-resolve the pinned set after changing dependencies in pyproject.toml.
lock: $(STAMP)
	{ echo "# Resolved dependency set: pip installs with -c so nothing back-tracks. Regenerate with 'make lock'."; \
	  $(PIP) freeze --exclude-editable | grep -vE '^(llama[-_]cpp[-_]python|torch)[ =@]'; \
	  echo "llama-cpp-python==$(LLAMA_VERSION)"; echo "torch==2.13.0"; } > requirements/constraints.txt

# One table of speed figures on this machine (`interviewer bench --json` for the numbers); builds its own store.
bench: $(STAMP)
	$(VENV)/bin/interviewer bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
