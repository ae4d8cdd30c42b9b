# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# torch is pinned with the torchvision built for it (sam2's automatic mask generator
# imports torchvision; benchmarks/RESULTS.md, "torch pins", compares this pair with
# the CPU-only torch 2.13.0 build on the CPU); sam2 is source-only and builds
# against the installed torch, so it comes after it, without build isolation and
# without its own dependencies (which would let pip pick other torch builds). The steps live in binder/install.sh, shared with
# Binder and tested in a clean virtual environment.

VENV   ?= .venv
PY     := $(VENV)/bin/python
TORCH  ?= torch==2.14.1 torchvision==0.29.1
STAMP  := $(VENV)/.installed

.PHONY: install demo test quick lint bench js clean

$(STAMP): pyproject.toml Makefile js/package.json binder/install.sh
	python3 -m venv $(VENV)
	# The editable install bundles js/ into sam2_jupyter/static (npm + esbuild);
	# removing the old bundle makes it rebuild.
	rm -rf sam2_jupyter/static
	PYTHON=$(abspath $(PY)) TORCH="$(TORCH)" EXTRAS=test,bench,demo,app EDITABLE=1 bash binder/install.sh
	# JupyterHub's proxy is a Node program: the hub browser test uses this copy.
	npm install --prefix .tools --no-save --no-audit --no-fund configurable-http-proxy@5
	touch $(STAMP)

install: $(STAMP)

# JupyterLab refuses to run as root without --allow-root (containers, CI machines).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

demo: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/quickstart.ipynb --ip=127.0.0.1 $(ALLOW_ROOT)

js: $(STAMP)
	npm --prefix js run build

# The install above fetches js/'s npm packages; this refreshes them when the lock
# file changes on its own.
JS_DEPS := js/node_modules/.package-lock.json
$(JS_DEPS): js/package.json js/package-lock.json
	npm --prefix js ci

lint: $(STAMP) $(JS_DEPS)
	$(VENV)/bin/ruff check sam2_jupyter tests benchmarks
	$(VENV)/bin/ruff format --check sam2_jupyter tests benchmarks
	npm --prefix js run lint

# Both cores: pytest-xdist, tests grouped by what they share (tests/conftest.py);
# the 25 slowest tests are listed at the end so drift stays visible.
WORKERS ?= auto
PYTEST_ARGS ?=
test: $(STAMP) lint
	$(PY) -m pytest -q -ra -n $(WORKERS) --dist loadgroup --no-loadscope-reorder \
		--durations=25 $(PYTEST_ARGS)

# While editing: the tests that take under about 2 s and need no browser.
quick: $(STAMP)
	$(PY) -m pytest -q -n $(WORKERS) --dist loadgroup --no-loadscope-reorder \
		-m "not slow and not browser"

bench: $(STAMP)
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_corrections.py
	$(PY) benchmarks/bench_review.py
	$(PY) benchmarks/bench_timeline.py
	$(PY) benchmarks/bench_editing.py
	$(PY) benchmarks/bench_background.py
	$(PY) benchmarks/bench_objects.py
	$(PY) benchmarks/bench_discovery.py
	$(PY) benchmarks/bench_browser.py
	$(PY) benchmarks/bench_playback.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache sam2_jupyter/static js/node_modules .tools
