# Python package hnswlib_rs (bindings/python): wheels built with maturin (manylinux2014 /
# manylinux_2_17, abi3 for CPython >= 3.9), tested with pytest against pip hnswlib 0.8.0
# (installed next to it).
#
#   make test-python   build the x86_64 wheel, install it (binary only, no Rust on PATH) into
#                      .venv in place of any earlier build, run pytest against it
#   make wheel         build/wheels: the x86_64 and aarch64 wheels (aarch64 cross-built: zig
#                      from PyPI as linker, rustup's aarch64 target), the sdist, the tag and
#                      manylinux checks (auditwheel), and the two install tests below
#   make wheel-test    the x86_64 wheel into a new venv (build/wheel-venv) with no Rust on
#                      PATH, then the whole pytest suite against it
#   make sdist-test    the sdist built from source by pip (maturin and cargo) in a new venv,
#                      then a smoke test of the module it installed
#   make python-develop  maturin develop (an in-place build for working on the binding)
#
# Both wheels link with zig against glibc 2.17, so they load on any manylinux2014 system;
# a plain cargo build on this machine would take symbols of its newer glibc.

PY_DIR        := bindings/python
PY_TOOLS      := $(VENV)/.hnswlib-rs-python-tools
PYTEST_ARGS   ?=
PY_VERSION    := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
WHEEL_DIR     := build/wheels
WHEEL_VENV    := build/wheel-venv
SDIST_VENV    := build/sdist-venv
WHEEL_PREFIX  := $(WHEEL_DIR)/hnswlib_rs-$(PY_VERSION)-cp39-abi3-manylinux2014
WHEEL_X86_64  := $(WHEEL_PREFIX)_x86_64.manylinux_2_17_x86_64.whl
WHEEL_AARCH64 := $(WHEEL_PREFIX)_aarch64.manylinux_2_17_aarch64.whl
SDIST         := $(WHEEL_DIR)/hnswlib_rs-$(PY_VERSION).tar.gz
# maturin finds zig as `python -m ziglang` of the python on PATH: the venv's.
MATURIN_BUILD := cd $(PY_DIR) && PATH="$(abspath $(VENV))/bin:$$PATH" VIRTUAL_ENV="$(abspath $(VENV))" \
                 maturin build --release --strip --quiet --zig --compatibility manylinux2014 --out $(abspath $(WHEEL_DIR))
# PATH without any directory that holds cargo or rustc: the installs and tests of the wheels
# must not be able to fall back to a build from source.
NO_RUST_PATH   = $(shell echo "$$PATH" | tr ':' '\n' | while read -r d; do \
                   [ -n "$$d" ] && [ ! -e "$$d/cargo" ] && [ ! -e "$$d/rustc" ] && printf '%s:' "$$d"; done)

.PHONY: test-python python-develop python-tools wheel wheel-x86_64 wheel-aarch64 sdist \
        wheel-check wheel-test sdist-test python-install-wheel

TEST_SUITES += test-python

# hnswlib 0.8.0 is built from source: it needs a C++ compiler and the Python headers.
# ziglang (zig as the wheels' linker) and auditwheel (the manylinux check) for the wheels.
$(PY_TOOLS): $(VENV_STAMP)
	@command -v g++ >/dev/null && $(VPY) -c 'import os, sysconfig, sys; \
	    sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' || \
	    { $(SUDO) apt-get update && $(SUDO) apt-get install -y g++ python3-dev; }
	$(VPY) -m pip install --quiet "maturin>=1.5,<2" "ziglang>=0.13,<0.18" "auditwheel>=6,<7" \
	    pytest pytest-timeout hnswlib==0.8.0
	@touch $@

# The venv's test tools and hnswlib 0.8.0 (the Java suite checks files against it too).
python-tools: $(PY_TOOLS)

# Builds the extension in release mode and installs it into the venv in place (cargo skips
# the build when nothing changed). Not used by the tests, which test the wheel.
python-develop: $(PY_TOOLS) rust-tools
	cd $(PY_DIR) && VIRTUAL_ENV="$(abspath $(VENV))" "$(abspath $(VENV))/bin/maturin" develop --release --quiet

# Each build replaces the wheel of its platform (cargo skips the compile when nothing changed).
wheel-x86_64: $(PY_TOOLS) rust-tools
	rm -f $(WHEEL_X86_64)
	$(MATURIN_BUILD) --target x86_64-unknown-linux-gnu
	@test -f $(WHEEL_X86_64) || { echo "expected $(WHEEL_X86_64)" >&2; ls $(WHEEL_DIR) >&2; exit 1; }

wheel-aarch64: $(PY_TOOLS) rust-tools
	rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
	rm -f $(WHEEL_AARCH64)
	$(MATURIN_BUILD) --target aarch64-unknown-linux-gnu
	@test -f $(WHEEL_AARCH64) || { echo "expected $(WHEEL_AARCH64)" >&2; ls $(WHEEL_DIR) >&2; exit 1; }

sdist: $(PY_TOOLS)
	rm -f $(SDIST)
	cd $(PY_DIR) && "$(abspath $(VENV))/bin/maturin" sdist --out $(abspath $(WHEEL_DIR))
	@test -f $(SDIST) || { echo "expected $(SDIST)" >&2; ls $(WHEEL_DIR) >&2; exit 1; }

# The tags of each wheel (abi3 for CPython 3.9+, manylinux_2_17 of its architecture) and
# auditwheel's own reading of the libraries and symbol versions it needs.
wheel-check: wheel-x86_64 wheel-aarch64
	@set -e; for w in $(WHEEL_X86_64) $(WHEEL_AARCH64); do \
	    arch=$$(basename $$w .whl); arch=$${arch##*_2_17_}; \
	    tags=$$(unzip -p $$w 'hnswlib_rs-$(PY_VERSION).dist-info/WHEEL' | sed -n 's/^Tag: //p' | sort | tr '\n' ' '); \
	    echo "$$(basename $$w): $$tags"; \
	    [ "$$tags" = "cp39-abi3-manylinux2014_$$arch cp39-abi3-manylinux_2_17_$$arch " ] || \
	        { echo "unexpected wheel tags: $$tags" >&2; exit 1; }; \
	    $(VENV)/bin/auditwheel show $$w | tr -s ' \n' ' ' | \
	        grep -q "is consistent with the following platform tag: \"manylinux_2_17_$$arch\"" || \
	        { $(VENV)/bin/auditwheel show $$w; echo "$$w: not manylinux_2_17_$$arch" >&2; exit 1; }; \
	    echo "  auditwheel: manylinux_2_17_$$arch"; \
	done

wheel: wheel-check sdist wheel-test sdist-test
	@ls -l $(WHEEL_DIR)

# Binary-only install over whatever was there (a develop build or an older wheel).
python-install-wheel: wheel-x86_64
	PATH="$(NO_RUST_PATH)" $(VPY) -m pip install --quiet --no-index --no-deps --force-reinstall $(WHEEL_X86_64)

# The suite imports the installed wheel: the source directory is not on sys.path.
PY_WHERE := import hnswlib_rs, sys; print("hnswlib_rs from", hnswlib_rs.__file__); \
            sys.exit("hnswlib_rs does not come from the installed wheel" if "site-packages" not in hnswlib_rs.__file__ else 0)

test-python: python-install-wheel
	@PATH="$(NO_RUST_PATH)" $(VPY) -c '$(PY_WHERE)'
	PATH="$(NO_RUST_PATH)" $(VPY) -m pytest $(PY_DIR)/tests -q $(PYTEST_ARGS)

wheel-test: wheel-x86_64
	rm -rf $(WHEEL_VENV)
	$(PYTHON) -m venv $(WHEEL_VENV)
	@set -e; export PATH="$(abspath $(WHEEL_VENV))/bin:$(NO_RUST_PATH)"; \
	if command -v cargo || command -v rustc; then echo "Rust is still on PATH" >&2; exit 1; fi; \
	set -x; \
	python -m pip install --quiet $(WHEEL_X86_64) pytest pytest-timeout hnswlib==0.8.0; \
	python -c '$(PY_WHERE)'; \
	python -m pytest $(PY_DIR)/tests -q $(PYTEST_ARGS)

# pip builds the sdist with maturin and cargo (crates from crates.io) in a new venv.
sdist-test: sdist
	rm -rf $(SDIST_VENV)
	$(PYTHON) -m venv $(SDIST_VENV)
	CARGO_TARGET_DIR=$(abspath build/sdist-target) $(SDIST_VENV)/bin/python -m pip install --quiet $(SDIST)
	$(SDIST_VENV)/bin/python -c 'import numpy as np, hnswlib_rs; \
	    p = hnswlib_rs.Index("l2", 4); p.init_index(10); p.add_items(np.eye(4, dtype=np.float32)); \
	    labels, _ = p.knn_query(np.eye(4, dtype=np.float32)[2], k=1); assert labels[0][0] == 2; \
	    print("sdist build: hnswlib_rs", hnswlib_rs.__file__, "works")'

# ---- hnswlib_rs.spark (pyspark) ----------------------------------------------------------
#
#   make test-python-spark  tests/test_spark.py against the installed wheel, pyspark of the
#                           Spark version of java/spark/pom.xml (mk/java.mk) and the jars of
#                           java/spark and java on spark.jars, in local[2] (pyspark and the
#                           jars: mk/java.mk)

.PHONY: test-python-spark

TEST_SUITES += test-python-spark

test-python-spark: python-install-wheel $(PYSPARK_STAMP) java-spark-jar
	PATH="$(NO_RUST_PATH)" HNSWLIB_SPARK_JARS="$(SPARK_JARS)" $(VPY) -m pytest $(PY_DIR)/tests/test_spark.py -q $(PYTEST_ARGS)
