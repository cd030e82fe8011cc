# Every package a user installs, built and checked (never part of `make test`):
#
#   make dist           make wheel, make java-deploy, make r-check and make crates-check
#   make crates-check   cargo publish --dry-run of hnswlib-core and hnswlib together (cargo
#                       checks hnswlib against the packaged hnswlib-core); needs a clean
#                       tree, or CRATES_CHECK_FLAGS=--allow-dirty

CRATES_CHECK_FLAGS ?=

.PHONY: dist crates-check

crates-check: rust-tools
	$(CARGO) publish --dry-run $(CRATES_CHECK_FLAGS) -p hnswlib-core -p hnswlib

dist: wheel java-deploy r-check crates-check
	@echo "dist: build/wheels, build/maven-repo (and ~/.m2), build/r: built and checked"
