# vostoolkit set-up and entry points. `make quickstart` and `make test` are
# the two commands a new user runs; both set up .venv first.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.vostoolkit-installed
export PYTHONHASHSEED := 0

.PHONY: install quickstart test bench clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-test.txt constraints.txt setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade-strategy only-if-needed \
		-r requirements.txt -r requirements-test.txt -c constraints.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	@touch $(STAMP)

quickstart: install
	$(PY) tools/quickstart.py

test: install
	$(PY) -m pytest -q tests

bench: install
	$(PY) tools/benchmarks/run_all.py

clean:
	rm -rf $(VENV) work_dirs
