# R package hnswlibrs (r/): testthat, against a project-local library r/.rlib.
#
#   make test-r      install R from Debian when missing, install the package, run testthat
#   make bench-r     hnsw_knn against RcppHNSW in one R session (ratios)

R_LIB       := r/.rlib
R_STAMP     := $(R_LIB)/hnswlibrs/.installed
R_DEPS_STAMP := $(R_LIB)/.deps
R_SOURCES   := $(shell find r/R r/src/rust/src r/src/rust/Cargo.toml r/src/rust/Cargo.lock r/src/Makevars r/src/entrypoint.c r/DESCRIPTION r/NAMESPACE core/src core/Cargo.toml -type f 2>/dev/null)

TEST_SUITES += test-r

.PHONY: test-r bench-r r-deps r-install

# R, testthat and RcppHNSW (for the file-compatibility tests and the benchmark) from Debian.
r-deps: $(R_DEPS_STAMP)

$(R_DEPS_STAMP):
	@if ! command -v Rscript >/dev/null || \
	    ! Rscript -e 'quit(status = !all(sapply(c("testthat", "RcppHNSW"), requireNamespace, quietly = TRUE)))'; then \
	    $(SUDO) apt-get update && \
	    DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y r-base-dev r-cran-testthat r-cran-rcpphnsw; \
	fi
	@mkdir -p $(R_LIB) && touch $@

r-install: $(R_STAMP)

$(R_STAMP): $(R_DEPS_STAMP) $(R_SOURCES)
	R CMD INSTALL --no-docs --no-html -l $(R_LIB) r
	@touch $@

test-r: r-install rust-tools
	cd r/src/rust && $(CARGO) fmt -- --check
	Rscript r/tests/run.R $(R_LIB)

bench-r: r-install
	Rscript r/bench/knn_bench.R $(R_LIB) $(BENCH_R_ARGS)
