# Two commands set everything up on a fresh machine:
#   make demo   installs into .venv and runs the main demo
#   make test   installs into .venv and runs the test suite
# The project lives in its own virtual environment: PyPI has an unrelated
# package also called `autograd`, and tests run as `python -m pytest` from the
# repo root so this project's `autograd` is the one imported.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The PyTorch oracle for the tests (CPU build, exact pin). `make test ORACLE=` skips it.
ORACLE ?= oracle

.PHONY: test demo bench lint clean

$(VENV)/.installed-$(ORACLE): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev$(if $(ORACLE),$(comma)$(ORACLE))]"
	$(PY) -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $@

comma := ,

test: $(VENV)/.installed-$(ORACLE)
	$(PY) -m pytest

# The main demo: trains an MLP on two moons and writes plots, metrics, a checkpoint
# and a neuron's graph into out/. Options go in ARGS, e.g. make demo ARGS="--dataset iris".
demo: $(VENV)/.installed-$(ORACLE)
	$(PY) -m nn $(ARGS)

# Benchmarks against the peers (exact pins; each engine runs in its own process).
# Prints a table, writes benchmarks/results/latest.json; ARGS="--quick" for a smoke run.
bench: $(VENV)/.installed-$(ORACLE)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) -m benchmarks $(ARGS)

lint: $(VENV)/.installed-$(ORACLE)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
