# Python package hnswlib_rs (bindings/python): built with maturin into the project venv,
# tested with pytest against pip hnswlib 0.8.0 (installed next to it).

PY_DIR        := bindings/python
PY_TOOLS      := $(VENV)/.hnswlib-rs-python-tools
PYTEST_ARGS   ?=

.PHONY: test-python python-develop python-tools

TEST_SUITES += test-python

# hnswlib 0.8.0 is built from source: it needs a C++ compiler and the Python headers.
$(PY_TOOLS): $(VENV_STAMP)
	@command -v g++ >/dev/null && $(VPY) -c 'import os, sysconfig, sys; \
	    sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' || \
	    { $(SUDO) apt-get update && $(SUDO) apt-get install -y g++ python3-dev; }
	$(VPY) -m pip install --quiet "maturin>=1.5,<2" pytest pytest-timeout hnswlib==0.8.0
	@touch $@

# The venv's test tools and hnswlib 0.8.0 (the Java suite checks files against it too).
python-tools: $(PY_TOOLS)

# Builds the extension in release mode and installs it into the venv (cargo skips the
# build when nothing changed).
python-develop: $(PY_TOOLS) rust-tools
	cd $(PY_DIR) && VIRTUAL_ENV="$(abspath $(VENV))" "$(abspath $(VENV))/bin/maturin" develop --release --quiet

test-python: python-develop
	$(VPY) -m pytest $(PY_DIR)/tests -q $(PYTEST_ARGS)
