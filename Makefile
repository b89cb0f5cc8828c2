# The two commands of the README: `make run` and `make test`. Both create the virtual environment when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OUT ?= results/baseline

.PHONY: run test lint notebooks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The `zh` extra brings the Chinese chart font (Noto Sans SC), so `--lang zh` works after `make run`.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[zh]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-notebooks: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[notebooks]'
	touch $@ $(VENV)/.installed

# The package's bytecode, written once (up-to-date files are skipped): an editable install has none, and where
# PYTHONDONTWRITEBYTECODE is set (as in many container images) every process, each batch worker included, would
# compile the sources again at import, about 0.3 s.
BYTECODE = $(BIN)/python -m compileall -q -j 0 model agents scenarios experiments

run: $(VENV)/.installed
	$(BYTECODE)
	$(BIN)/parkabm run baseline --out $(OUT)

# ruff, the import contracts of pyproject.toml ([tool.importlinter]), then the suite on TEST_WORKERS processes
# (pytest-xdist; `auto`: one per core), a test file per process so that a file's fixtures are built once.
TEST_WORKERS ?= auto

test: $(VENV)/.installed-test
	$(BYTECODE)
	$(BIN)/python -m ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

lint: $(VENV)/.installed-test
	$(BIN)/python -m ruff check .
	$(BIN)/lint-imports

# JupyterLab on notebooks/ (PARKABM_NOTEBOOK_REPS=20 make notebooks for quick runs)
notebooks: $(VENV)/.installed-notebooks
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) results
