# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# torch is pinned to the release whose CPU wheel this project's machines carry;
# sam2 is source-only and builds against the installed torch, so it comes after it,
# without build isolation and without its dependency on torchvision (not needed
# by the video predictor we use).

VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
TORCH  ?= torch==2.13.0
SAM2   ?= sam2==1.1.0
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint bench js clean

$(STAMP): pyproject.toml Makefile js/package.json
	python3 -m venv $(VENV)
	$(PIP) install -q -U pip setuptools wheel
	$(PIP) install -q $(TORCH)
	$(PIP) install -q "hydra-core>=1.3.2" "iopath>=0.1.10" pillow tqdm numpy
	SAM2_BUILD_CUDA=0 $(PIP) install -q --no-build-isolation --no-deps $(SAM2)
	# The editable install bundles js/ into sam2_jupyter/static (npm + esbuild).
	rm -rf sam2_jupyter/static
	$(PIP) install -q -e ".[test,bench,demo]"
	touch $(STAMP)

install: $(STAMP)

# JupyterLab refuses to run as root without --allow-root (containers, CI machines).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

demo: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/quickstart.ipynb --ip=127.0.0.1 $(ALLOW_ROOT)

js: $(STAMP)
	npm --prefix js run build

lint: $(STAMP)
	$(VENV)/bin/ruff check sam2_jupyter tests benchmarks
	$(VENV)/bin/ruff format --check sam2_jupyter tests benchmarks

test: $(STAMP) lint
	$(PY) -m pytest -q -ra

bench: $(STAMP)
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_browser.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache sam2_jupyter/static js/node_modules
