# Everything runs from the venv at .venv; the first `make run` or `make test`
# creates it on a fresh machine (Python >= 3.11 and internet access to PyPI).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := out/demo

.PHONY: run demo test bench setup lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python >= 3.11 is needed; run: make PYTHON=python3.11 ...")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test,bench]"
	touch $(STAMP)

# Serve the playground at http://localhost:$(PORT); projects live in
# $(PLAYGROUND_HOME) (default ~/.playground).
PORT ?= 5006
run: setup
	$(BIN)/playground ui --port $(PORT)

# The same workflow without a browser: init, run and export the penguins example.
demo: setup
	mkdir -p $(DEMO)
	$(BIN)/playground init examples/data/penguins.csv --target species -o $(DEMO)/spec.yaml
	$(BIN)/playground run $(DEMO)/spec.yaml
	$(BIN)/playground export $(DEMO)/spec.yaml -o $(DEMO)/penguins.zip
	@echo "The exported project is $(DEMO)/penguins.zip (spec: $(DEMO)/spec.yaml)"

test: setup
	$(BIN)/python -m pytest -n 2

# Benchmarks against plain pandas/scikit-learn (and FLAML) baselines, measured in
# the same run; writes bench/RESULTS.md. Not part of make test (which runs each
# benchmark's quick mode once, so setup installs the bench extra too). QUICK=1 runs small sizes.
bench: setup
	$(BIN)/python -m bench $(if $(QUICK),--quick) $(BENCH)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/black --check runtime generator playground_ui tests bench

clean:
	rm -rf $(VENV) out .pytest_cache
