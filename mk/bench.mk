# Benchmarks against hnswlib 0.8.0 (bench/). `make test` runs only the harness's own unit
# tests (interpolation, ratios, ground truth, generated data; about a second), never a
# benchmark.
#
#   make test-bench             those unit tests (pytest bench/tests)
#   make bench                  every data set, interleaved rounds, the ratio table, JSON + PNG
#                               in bench-results/ (BENCH_ARGS: e.g. "--data glove --n 100000
#                               --rounds 3"; `.venv/bin/python bench/bench.py --help` lists all)
#   make bench-sift-bins        the SIFT program, compiled against hnswlib's headers and ours

BENCH_BUILD      := build/bench
BENCH_TOOLS      := $(VENV)/.hnswlib-rs-bench-tools
HNSWLIB_VERSION  := 0.8.0
HNSWLIB_SRC      := $(BENCH_BUILD)/hnswlib-$(HNSWLIB_VERSION)
SIFT_SRC         := bench/sift/sift_bench.cpp
SIFT_BINS        := $(BENCH_BUILD)/sift_hnswlib $(BENCH_BUILD)/sift_hnswlib_rs
# hnswlib's own build flags (its setup.py: -O3 -march=native); both binaries get the same.
SIFT_CXXFLAGS    := -O3 -march=native -std=c++17 -pthread -I cpp/examples
# libhnswlib's SONAME is libhnswlib.so.<major>: the binary finds it through this directory.
BENCH_LIBDIR     := $(abspath $(BENCH_BUILD)/lib)
# The library's version (the workspace's, as build.rs gives the SONAME) and SONAME major.
LIB_VERSION      := $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)
LIB_MAJOR        := $(firstword $(subst ., ,$(LIB_VERSION)))
BENCH_LIBLINK    := $(BENCH_LIBDIR)/libhnswlib.so.$(LIB_MAJOR)

.PHONY: bench bench-tools bench-sift-bins test-bench

TEST_SUITES += test-bench

test-bench: python-tools
	$(VPY) -m pytest bench/tests -q

# matplotlib for the plot, next to the venv's hnswlib 0.8.0 (python-tools).
$(BENCH_TOOLS): | python-tools
	$(VPY) -m pip install --quiet matplotlib
	@touch $@

bench-tools: $(BENCH_TOOLS)

bench: bench-tools python-develop bench-sift-bins
	$(VPY) bench/bench.py $(BENCH_ARGS)

# cargo decides whether libhnswlib needs rebuilding; make then relinks only what changed.
bench-sift-bins: lib | python-tools
	@$(MAKE) --no-print-directory $(SIFT_BINS) $(BENCH_LIBLINK)

# hnswlib's headers from the sdist of the version pip installs.
$(HNSWLIB_SRC)/hnswlib/hnswalg.h:
	mkdir -p $(BENCH_BUILD)
	$(VPY) -m pip download --quiet --no-deps --no-binary hnswlib hnswlib==$(HNSWLIB_VERSION) -d $(BENCH_BUILD)
	tar -xzf $(BENCH_BUILD)/hnswlib-$(HNSWLIB_VERSION).tar.gz -C $(BENCH_BUILD) hnswlib-$(HNSWLIB_VERSION)/hnswlib
	touch $@

$(BENCH_BUILD)/sift_hnswlib: $(SIFT_SRC) cpp/examples/parallel_for.h $(HNSWLIB_SRC)/hnswlib/hnswalg.h
	$(CXX) $(SIFT_CXXFLAGS) -DBENCH_VERSION='"$(HNSWLIB_VERSION) (its C++ headers)"' -I $(HNSWLIB_SRC) $< -o $@

$(BENCH_BUILD)/sift_hnswlib_rs: $(SIFT_SRC) cpp/examples/parallel_for.h target/release/libhnswlib.so \
                                $(wildcard cpp/include/hnswlib/*.h) include/hnswlib.h
	$(CXX) $(SIFT_CXXFLAGS) -DBENCH_VERSION='"$(LIB_VERSION) (C++ API over libhnswlib)"' -I cpp/include -I include \
	    $< -o $@ target/release/libhnswlib.so -Wl,-rpath,$(BENCH_LIBDIR)

# Its own target: the binary may be up to date while the link is gone.
$(BENCH_LIBLINK): target/release/libhnswlib.so
	mkdir -p $(BENCH_LIBDIR)
	ln -sf $(abspath target/release/libhnswlib.so) $@

# hnswlib-rs on Spark (bench/spark_bench.py): SIFT-like data in 2, 4 and 8 shards against one
# index. BENCH_SPARK_ARGS="--n 200000" for a smaller run.
BENCH_SPARK_ARGS ?=

.PHONY: bench-spark
bench-spark: python-install-wheel pyspark-tools java-spark-jar
	$(VPY) bench/spark_bench.py --jars "$(SPARK_JARS)" $(BENCH_SPARK_ARGS)

# ---- a view larger than the memory its process may use -----------------------------------
#
#   make view-beyond-ram   builds (once) a native file of VIEW_RAM_N random 128-d vectors of
#                          intrinsic dimension 16 (1M: 692 MiB), then searches it through a view
#                          inside a memory cgroup limited to VIEW_RAM_LIMIT_MIB, checking every
#                          result against the built index's, and shows that a full load under the
#                          same limit fails (bench/view_beyond_ram.sh: needs root and a cgroup
#                          memory controller). Searches are disk-bound there: VIEW_RAM_ARGS sets
#                          the queries and passes (the example's --help lists its options).

VIEW_RAM_N         ?= 1000000
VIEW_RAM_LIMIT_MIB ?= 192
VIEW_RAM_ARGS      ?= --nq 200 --passes 3
VIEW_RAM_FILE      ?= target/view-beyond-ram/l2-$(VIEW_RAM_N)-128-latent16.hnsw

.PHONY: view-beyond-ram

view-beyond-ram: rust-tools
	$(CARGO) build --profile ci -p hnswlib-core --example beyond_ram
	bash bench/view_beyond_ram.sh target/ci/examples/beyond_ram $(VIEW_RAM_FILE) $(VIEW_RAM_LIMIT_MIB) \
	    --n $(VIEW_RAM_N) --dim 128 --latent 16 --no-progress $(VIEW_RAM_ARGS)
