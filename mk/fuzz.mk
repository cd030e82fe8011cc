# Fuzzing the file readers with cargo-fuzz (libFuzzer + AddressSanitizer; fuzz/ is its
# own crate, built with the nightly toolchain).
#
#   make fuzz FUZZ_SECONDS=600   every target in turn for FUZZ_SECONDS each (default 60)
#   make fuzz FUZZ_RUNS=10000000 FUZZ_MAX_LEN=4096
#                                every target in turn for that many executions instead, with
#                                inputs of the hnswlib-format and brute-force targets up to
#                                FUZZ_MAX_LEN bytes (default 80000; native inputs up to 128 kB)
#   make fuzz-smoke              every target for FUZZ_SMOKE_SECONDS (part of `make test`;
#                                skipped, with a message, without nightly or cargo-fuzz)
#   make fuzz-seeds              write the seed corpora (fuzz/corpus/<target>/)
#   make kill-test               the kill-during-save test with 200 trials
#
# A crash, hang (-timeout), single allocation above FUZZ_MALLOC_MB, or resident memory
# above FUZZ_RSS_MB stops the run and leaves the input in fuzz/artifacts/<target>/.
# Inputs are at most 80 kB (the largest fixture is 74 kB; native files, whose sections
# are page-aligned, 128 kB), so the allocation limit holds readers to "about twice the
# input plus a constant": the fixed-size tables of an index (lock stripes) are well
# under it.

TEST_SUITES += fuzz-smoke

FUZZ_TARGETS       := hnsw_load hnsw_load_use hnsw_header abi_deserialize bf_load native_load \
                      native_view
FUZZ_SECONDS       ?= 60
FUZZ_RUNS          ?=
FUZZ_MAX_LEN       ?= 80000
FUZZ_SMOKE_SECONDS ?= 4
FUZZ_MALLOC_MB     ?= 8
FUZZ_RSS_MB        ?= 1024
FUZZ_TOOLCHAIN     ?= +nightly
FUZZ_FLAGS         := -timeout=10 -malloc_limit_mb=$(FUZZ_MALLOC_MB) \
                      -rss_limit_mb=$(FUZZ_RSS_MB) -print_final_stats=1
KILL_TRIALS        ?= 200
KILL_N             ?= 50000

FUZZ_MISSING := $(shell \
  if ! rustup run nightly rustc --version >/dev/null 2>&1; then \
    echo "the nightly toolchain (rustup toolchain install nightly)"; \
  elif ! $(CARGO) $(FUZZ_TOOLCHAIN) fuzz --version >/dev/null 2>&1; then \
    echo "cargo-fuzz (cargo install cargo-fuzz, a few minutes)"; \
  fi)

.PHONY: fuzz fuzz-smoke fuzz-seeds fuzz-build kill-test

# cargo fuzz builds every binary of fuzz/ (the seed writer too) with the sanitizer, here.
FUZZ_BIN = fuzz/target/$(HOST_TRIPLE)/release

fuzz-build:
	cd fuzz && $(CARGO) $(FUZZ_TOOLCHAIN) fuzz build -O

fuzz-seeds: fuzz-build
	$(FUZZ_BIN)/make_seeds fuzz/corpus

fuzz: fuzz-seeds
	@set -e; mkdir -p fuzz/logs; for t in $(FUZZ_TARGETS); do \
	    echo "== fuzz $$t for $(if $(FUZZ_RUNS),$(FUZZ_RUNS) runs,$(FUZZ_SECONDS) s) (log: fuzz/logs/$$t.log)"; \
	    status=0; \
	    (cd fuzz && $(CARGO) $(FUZZ_TOOLCHAIN) fuzz run -O $$t -- \
	        $(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS)) \
	        -max_len=$$(case $$t in native_*) echo 131072;; *) echo $(FUZZ_MAX_LEN);; esac) \
	        $(FUZZ_FLAGS)) >fuzz/logs/$$t.log 2>&1 || status=$$?; \
	    grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^Done [0-9]+ runs' fuzz/logs/$$t.log || true; \
	    if [ $$status -ne 0 ]; then tail -n 40 fuzz/logs/$$t.log; exit 1; fi; \
	done

# The short run of `make test`. CI machines have no nightly toolchain or cargo-fuzz, and
# installing them costs minutes of a tight budget, so it skips there and says how to run.
fuzz-smoke:
ifeq ($(FUZZ_MISSING),)
	$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS)
else
	@echo "fuzz-smoke: SKIPPED: needs $(FUZZ_MISSING); then run 'make fuzz-smoke' (or 'make fuzz FUZZ_SECONDS=N')"
endif

kill-test: rust-tools
	HNSWLIB_KILL_TRIALS=$(KILL_TRIALS) HNSWLIB_KILL_N=$(KILL_N) \
	    $(CARGO) test --profile ci -p hnswlib-core --test save_kill -- --nocapture save_survives_sigkill
