# R package hnswlibrs (r/): testthat, against a project-local library r/.rlib.
#
#   make test-r      install R from Debian when missing, install the package, run testthat,
#                    then check the help pages (r/tests/check_docs.R: base R's tools only)
#   make r-docs      regenerate the help pages r/man/*.Rd from the roxygen comments in r/R
#                    (installs roxygen2 from Debian when missing; NAMESPACE is hand-written)
#   make bench-r     hnsw_knn against RcppHNSW in one R session (ratios)

R_LIB       := r/.rlib
R_STAMP     := $(R_LIB)/hnswlibrs/.installed
R_DEPS_STAMP := $(R_LIB)/.deps
R_SOURCES   := $(shell find r/R r/src/rust/src r/src/rust/Cargo.toml r/src/rust/Cargo.lock r/src/Makevars r/src/entrypoint.c r/DESCRIPTION r/NAMESPACE r/man core/src core/Cargo.toml -type f 2>/dev/null)

TEST_SUITES += test-r

.PHONY: test-r bench-r r-deps r-install r-docs

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
	Rscript r/tests/check_docs.R $(R_LIB)

bench-r: r-install
	Rscript r/bench/knn_bench.R $(R_LIB) $(BENCH_R_ARGS)

# Only the Rd roclet: roxygen2 must not rewrite the hand-written NAMESPACE. The code is
# taken from the installed package, so nothing is compiled here.
r-docs: r-install
	@Rscript -e 'quit(status = !requireNamespace("roxygen2", quietly = TRUE))' || \
	    { $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y r-cran-roxygen2; }
	cd r && R_LIBS="$(CURDIR)/$(R_LIB)" Rscript -e 'roxygen2::roxygenise(".", roclets = "rd", load_code = roxygen2::load_installed)'
