# R package hnswlibrs (r/): testthat, against a project-local library r/.rlib.
#
#   make test-r      install R from Debian when missing, build the source tarball (below),
#                    install it into r/.rlib without network (unshare -n), run testthat
#                    (r/tools/run_tests.R) and check the help pages (r/tools/check_docs.R:
#                    base R's tools only)
#   make r-package   the source tarball build/r/hnswlibrs_<version>.tar.gz, which installs
#                    with R, rustc and cargo alone, offline: a copy of r/ staged in build/r with
#                    hnswlib-core's sources inside (src/rust/hnswlib-core), every other crate
#                    vendored (src/rust/vendor.tar.xz, cargo vendor), the core's test fixtures
#                    (tests/testthat/fixtures), then R CMD build
#   make r-check     R CMD check --as-cran --no-manual of that tarball, without network
#                    (compiles the package again: several minutes); fails on an ERROR or WARNING
#   make r-docs      regenerate the help pages r/man/*.Rd from the roxygen comments in r/R
#                    (installs roxygen2 from Debian when missing; NAMESPACE is hand-written)
#   make bench-r     hnsw_knn against RcppHNSW in one R session (ratios)

R_LIB       := r/.rlib
R_STAMP     := $(R_LIB)/hnswlibrs/.installed
R_DEPS_STAMP := $(R_LIB)/.deps

# The fixtures of the core that the R tests read (helper-data.R: fixture()).
R_FIXTURES  := l2_d16.hnsw l2_d16.expected.txt l2_d16.queries.f32 \
               l2u8_d12.hnsw l2u8_d12.expected.txt l2u8_d12.data.u8 l2u8_d12.queries.u8 \
               l2u8_d12.labels.u64
# The source tarball: everything in r/ but build outputs, plus the core's sources.
R_VERSION   := $(shell sed -n 's/^Version:[[:space:]]*//p' r/DESCRIPTION)
R_BUILD     := build/r
R_STAGE     := $(R_BUILD)/hnswlibrs
R_TARBALL   := $(R_BUILD)/hnswlibrs_$(R_VERSION).tar.gz
R_PKG_FILES := $(shell find r -path r/.rlib -prune -o -path r/src/rust/target -prune -o -path r/bench/results -prune -o -type f ! -name '*.o' ! -name '*.so' -print) \
               $(shell find core/src -type f) core/Cargo.toml Cargo.toml Cargo.lock \
               $(addprefix core/tests/fixtures/,$(R_FIXTURES))

TEST_SUITES += test-r

# Installs and checks run in a network namespace with no interface when that works (root,
# or unprivileged user namespaces), to show that the tarball needs no network.
R_OFFLINE   := $(shell unshare -n true 2>/dev/null && echo unshare -n)

.PHONY: test-r bench-r r-deps r-install r-docs r-stage r-package r-check

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

# The tarball, as a user would install it: offline, with a cargo home of its own.
$(R_STAMP): $(R_DEPS_STAMP) $(R_TARBALL)
	@[ -n "$(R_OFFLINE)" ] || echo "unshare -n is not available: the R package installs with network access"
	rm -rf $(R_LIB)/hnswlibrs
	$(R_OFFLINE) R CMD INSTALL --no-docs --no-html -l $(R_LIB) $(R_TARBALL)
	@touch $@

test-r: r-install rust-tools
	cd r/src/rust && $(CARGO) fmt -- --check
	Rscript r/tools/run_tests.R $(R_LIB)
	Rscript r/tools/check_docs.R $(R_LIB)

# Stages the package for the tarball in $(R_STAGE): a copy of r/ without build outputs, with
# hnswlib-core's sources in src/rust/hnswlib-core and the crate's path dependency pointing
# there, the other crates vendored into src/rust/vendor.tar.xz (src/Makevars builds offline
# from it) and the core's fixtures in tests/testthat/fixtures. cargo package writes the core's manifest with the workspace-inherited fields
# resolved; its tests, benches, examples and dev-dependencies are left out. Ends by checking
# that cargo resolves the staged crate with the committed Cargo.lock. The vendor archive is
# reproducible: sorted names, fixed times and owners.
r-stage:
	rm -rf $(R_STAGE) $(R_BUILD)/core-crate
	mkdir -p $(R_STAGE)/src/rust/hnswlib-core $(R_BUILD)/core-crate
	tar -C r --exclude=./.rlib --exclude=./src/rust/target --exclude=./bench/results \
	    --exclude='*.o' --exclude='*.so' -cf - . | tar -C $(R_STAGE) -xf -
	$(CARGO) package --quiet -p hnswlib-core --no-verify --allow-dirty --target-dir $(R_BUILD)/core-crate
	tar -xzf $(R_BUILD)/core-crate/package/hnswlib-core-*.crate -C $(R_BUILD)/core-crate
	cp -R $(R_BUILD)/core-crate/hnswlib-core-*/src $(R_STAGE)/src/rust/hnswlib-core/
	awk 'BEGIN { print "# hnswlib-core'"'"'s manifest as normalised by cargo package (make r-package),"; \
	             print "# without its tests, benches, examples and dev-dependencies" } \
	     /^\[/ { skip = /^\[\[(example|test|bench)\]\]$$/ || /^\[dev-dependencies[].]/ } \
	     /^#/ && !started { next } /^\[/ { started = 1 } !skip' \
	    $(R_BUILD)/core-crate/hnswlib-core-*/Cargo.toml > $(R_STAGE)/src/rust/hnswlib-core/Cargo.toml
	rm -rf $(R_BUILD)/core-crate
	sed -i 's|^hnswlib-core = { path = "../../../core" }$$|hnswlib-core = { path = "hnswlib-core" }|' $(R_STAGE)/src/rust/Cargo.toml
	grep -qx 'hnswlib-core = { path = "hnswlib-core" }' $(R_STAGE)/src/rust/Cargo.toml || \
	    { echo "r-stage: the hnswlib-core dependency of r/src/rust/Cargo.toml was not rewritten" >&2; exit 1; }
	$(CARGO) metadata --locked --format-version 1 --manifest-path $(R_STAGE)/src/rust/Cargo.toml >/dev/null
	cd $(R_STAGE)/src/rust && $(CARGO) vendor --locked --versioned-dirs --quiet vendor >/dev/null
	tar -C $(R_STAGE)/src/rust --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
	    -cf - vendor | xz -T2 -6 > $(R_STAGE)/src/rust/vendor.tar.xz
	rm -rf $(R_STAGE)/src/rust/vendor
	mkdir -p $(R_STAGE)/tests/testthat/fixtures
	cp $(addprefix core/tests/fixtures/,$(R_FIXTURES)) $(R_STAGE)/tests/testthat/fixtures/

r-package: $(R_TARBALL)

$(R_TARBALL): $(R_DEPS_STAMP) $(R_PKG_FILES)
	$(MAKE) --no-print-directory r-stage
	rm -f $(R_BUILD)/hnswlibrs_*.tar.gz
	cd $(R_BUILD) && R CMD build --no-build-vignettes hnswlibrs
	@test -f $@ && ls -l $@

# Fails on an ERROR or a WARNING. --no-manual: the PDF manual needs LaTeX; the Rd files
# are checked all the same. Suggested packages missing from the machine (RcppHNSW) do not
# stop the check; their tests skip. CRAN's incoming checks and the clock check need the
# network: they are off.
r-check: $(R_TARBALL)
	rm -rf $(R_BUILD)/hnswlibrs.Rcheck
	cd $(R_BUILD) && _R_CHECK_FORCE_SUGGESTS_=false _R_CHECK_CRAN_INCOMING_=false \
	    _R_CHECK_CRAN_INCOMING_REMOTE_=false _R_CHECK_SYSTEM_CLOCK_=false \
	    $(R_OFFLINE) R CMD check --as-cran --no-manual $(notdir $(R_TARBALL))
	@! grep -E '^Status:.*(ERROR|WARNING)' $(R_BUILD)/hnswlibrs.Rcheck/00check.log

bench-r: r-install
	Rscript r/bench/knn_bench.R $(R_LIB) $(BENCH_R_ARGS)

# Only the Rd roclet: roxygen2 must not rewrite the hand-written NAMESPACE. The code is
# taken from the installed package, so nothing is compiled here.
r-docs: r-install
	@Rscript -e 'quit(status = !requireNamespace("roxygen2", quietly = TRUE))' || \
	    { $(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y r-cran-roxygen2; }
	cd r && R_LIBS="$(CURDIR)/$(R_LIB)" Rscript -e 'roxygen2::roxygenise(".", roclets = "rd", load_code = roxygen2::load_installed)'
