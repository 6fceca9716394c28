# Two commands set everything up on a fresh machine:
#   make demo   installs what the demo needs into .venv and runs it
#   make test   installs the project, the test tools and the PyTorch oracle into .venv and runs the suite
# The project lives in its own virtual environment: PyPI has an unrelated
# package also called `autograd`, and tests run as `python -m pytest` from the
# repo root so this project's `autograd` is the one imported.
#
# Each target installs only its own extra and records it in a stamp file in
# .venv, so `make demo` stays light (no PyTorch, no test tools) and `make demo`
# after `make test` (or before it) installs nothing twice.

PYTHON ?= python3
VENV ?= .venv
# options for creating $(VENV), e.g. --system-site-packages to see a PyTorch installed outside it
VENV_OPTIONS ?=
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --disable-pip-version-check --progress-bar on
# The PyTorch oracle for the tests: torch==$(TORCH_VERSION), the pin of the `oracle` extra.
# From PyPI on Linux x86-64 this is the CUDA build: with its NVIDIA libraries and triton
# over 2.5 GB to download (the sum of the ten largest wheels' sizes on PyPI, Python 3.11). Other ways:
#   make test ORACLE=              no oracle installed; a torch already importable in $(VENV) is still used,
#                                  and without one the comparisons with PyTorch skip
#   make test TORCH_INDEX=https://download.pytorch.org/whl/cpu
#                                  the CPU-only build of the same version (about 190 MB) from that index
ORACLE ?= oracle
TORCH_VERSION := 2.13.0
TORCH_INDEX ?=

comma := ,

.PHONY: test demo notebooks bench lint typecheck docs docs-check docs-lite clean

$(PY):
	@echo "==> creating the virtual environment $(VENV)"
	$(PYTHON) -m venv $(VENV_OPTIONS) $(VENV)

# the demo: the project, its data sets, plots, progress bars and the SVG renderer
# (`make test` installs a superset: after it, this only records that.)
$(VENV)/.installed-demo: pyproject.toml | $(PY)
	@if [ -n "$$(find $(VENV) -maxdepth 1 -name '.installed-test-*' -newer pyproject.toml)" ]; then \
		echo "==> the demo's packages are installed already (by make test)"; \
	else \
		echo "==> installing the demo's packages (numpy, matplotlib, scikit-learn, tqdm, graphviz renderer)"; \
		$(PIP) -e ".[demo,render]"; \
	fi
	@touch $@

# the tests: everything above plus pytest, hypothesis, nbmake, ruff, micrograd and (unless ORACLE=) torch
$(VENV)/.installed-test-$(ORACLE): pyproject.toml | $(PY)
	@echo "==> installing the test tools$(if $(ORACLE), and the PyTorch oracle $(if $(TORCH_INDEX),from $(TORCH_INDEX),from PyPI (CUDA build on Linux x86-64: over 2.5 GB)))"
	$(if $(and $(ORACLE),$(TORCH_INDEX)),$(PIP) --index-url $(TORCH_INDEX) "torch==$(TORCH_VERSION)")
	$(PIP) -e ".[dev$(if $(ORACLE),$(comma)$(ORACLE))]"
	@echo "==> registering the python3 Jupyter kernel (the notebooks run as tests)"
	$(PY) -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $@

$(VENV)/.installed-notebooks: pyproject.toml | $(PY)
	@echo "==> installing JupyterLab and the notebooks' packages"
	$(PIP) -e ".[notebooks]"
	@echo "==> registering the python3 Jupyter kernel"
	$(PY) -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $@

test: $(VENV)/.installed-test-$(ORACLE)
	@echo "==> running the test suite"
	$(PY) -m pytest

# The main demo: trains an MLP on two moons and writes plots, metrics, a checkpoint
# and a neuron's graph into out/. Options go in ARGS, e.g. make demo ARGS="--dataset iris".
demo: $(VENV)/.installed-demo
	@echo "==> running the demo: $(PY) -m nn $(ARGS)"
	@$(PY) -m nn $(ARGS)

# JupyterLab on notebooks/, in the project's environment (kernel "python3"); Ctrl-C stops it.
# As root (e.g. in a container) Jupyter needs --allow-root.
notebooks: $(VENV)/.installed-notebooks
	@echo "==> starting JupyterLab on notebooks/ (open the http://localhost:8888/lab?token=... address it prints)"
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root) $(JUPYTER_ARGS)

# Benchmarks against the peers (exact pins; each engine runs in its own process).
# Prints a table, writes benchmarks/results/latest.json; ARGS="--quick" for a smoke run.
bench: $(VENV)/.installed-test-$(ORACLE)
	$(PIP) --quiet -e ".[bench]"
	$(PY) -m benchmarks $(ARGS)

# The documentation site (MkDocs + Material, the API reference from docstrings, the notebooks as pages,
# the explorer gallery) into site/, strict: a broken link or reference fails. Open site/index.html
# through a server (`.venv/bin/python -m http.server -d site`), or run `.venv/bin/mkdocs serve`.
$(VENV)/.installed-docs: pyproject.toml | $(PY)
	@echo "==> installing the documentation tools (MkDocs, Material, mkdocstrings, mkdocs-jupyter, Playwright)"
	$(PIP) -e ".[docs]"
	touch $@

docs: $(VENV)/.installed-docs
	@echo "==> building the site into site/"
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

# the built site's internal links and anchors, and the reference's names, then its pages in headless
# Chromium, offline
docs-check: $(VENV)/.installed-docs
	$(PY) -m docs.sitegen.check site

# Optional, not in CI: the engine in the browser, a JupyterLite REPL with chainrule, from PyPI and npm only
# (needs npm), into site/lite/; then opened offline in headless Chromium. See docs/contributing.md.
docs-lite: $(VENV)/.installed-docs
	$(PIP) --quiet -e ".[lite]"
	$(PY) docs/scripts/build_lite.py site/lite
	$(PY) docs/scripts/build_lite.py site/lite --check

lint: $(VENV)/.installed-test-$(ORACLE)
	$(VENV)/bin/ruff check .

# mypy --strict over autograd and nn (settings in pyproject.toml's [tool.mypy]); mypy comes with the dev extra
typecheck: $(VENV)/.installed-test-$(ORACLE)
	$(VENV)/bin/mypy --strict autograd nn

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis site
