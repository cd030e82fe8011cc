# C ABI: libhnswlib (.so with SONAME, .a), include/hnswlib.h, pkg-config; the C tests.
#
#   make lib                     build target/release/libhnswlib.{so,a} (regenerates the header)
#   make install PREFIX=/usr/local [DESTDIR=...]   install the libraries, the C and C++ headers,
#                                the CMake package and hnswlib.pc (cmake --install of cpp/)
#   make test-c                  header check + C tests (against an install in build/c/prefix)

TEST_SUITES += test-c

PREFIX      ?= /usr/local
CC          ?= cc
CMAKE       ?= cmake
INSTALL_BUILD := build/install
# What a program linking libhnswlib.a also needs (rustc --print native-static-libs).
STATIC_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc

C_BUILD     := build/c
C_PREFIX    := $(abspath $(C_BUILD)/prefix)
C_TESTS     := $(patsubst tests/c/%.c,$(C_BUILD)/%,$(wildcard tests/c/test_*.c))
C_FLAGS     := -std=c11 -Wall -Wextra -Werror -O1 -g -pthread
# The quick ones also run under valgrind: no invalid access, no leak on any error path.
VALGRIND_C_TESTS := test_errors test_bruteforce test_compat test_stop test_filter test_native test_ids

.PHONY: lib install header-check test-c

lib: rust-tools
	$(CARGO) build --release -p hnswlib

# The CMake install rules of cpp/ (libhnswlib.so with its SONAME links, libhnswlib.a, the C
# and C++ headers, the CMake package, hnswlib.pc), over the library `make lib` built.
install: lib
	$(CMAKE) -S cpp -B $(INSTALL_BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) -DHNSWLIB_CARGO_BUILD=OFF \
	    -DHNSWLIB_CARGO_TARGET_DIR=$(abspath $(or $(CARGO_TARGET_DIR),target)) \
	    -DHNSWLIB_CPP_TESTS=OFF -DHNSWLIB_CPP_BENCH=OFF
	DESTDIR=$(DESTDIR) $(CMAKE) --install $(INSTALL_BUILD)

# The build regenerates include/hnswlib.h from src/; a difference from the committed
# header means it was not regenerated and committed with the last ABI change.
header-check: lib
	@if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	    git diff --exit-code -- include/hnswlib.h || \
	    { echo "include/hnswlib.h is stale: commit the regenerated header" >&2; exit 1; }; \
	else echo "not a git checkout: header check skipped"; fi

# cpp-deps (mk/cpp.mk): cmake for make install.
test-c: header-check cpp-deps
	@command -v pkg-config >/dev/null || { $(SUDO) apt-get update && $(SUDO) apt-get install -y pkg-config; }
	rm -rf $(C_PREFIX)
	$(MAKE) --no-print-directory install PREFIX=$(C_PREFIX)
	@set -e; export PKG_CONFIG_PATH=$(C_PREFIX)/lib/pkgconfig; \
	for t in $(C_TESTS); do \
	    $(CC) $(C_FLAGS) tests/c/$$(basename $$t).c -o $$t \
	        $$(pkg-config --cflags --libs hnswlib) -Wl,-rpath,$(C_PREFIX)/lib -lm; \
	done; \
	$(CC) $(C_FLAGS) tests/c/test_hnsw.c -o $(C_BUILD)/test_hnsw_static \
	    $$(pkg-config --cflags hnswlib) $(C_PREFIX)/lib/libhnswlib.a \
	    $$(pkg-config --libs-only-other --static hnswlib) $(STATIC_LIBS)
	$(CC) $(C_FLAGS) tests/c/example.c -o $(C_BUILD)/example \
	    $$(PKG_CONFIG_PATH=$(C_PREFIX)/lib/pkgconfig pkg-config --cflags --libs hnswlib) \
	    -Wl,-rpath,$(C_PREFIX)/lib
	@set -e; scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	echo "== README example"; (cd "$$scratch" && $(abspath $(C_BUILD))/example) | tee $$scratch/example.out; \
	grep -q "label 12 distance" $$scratch/example.out; grep -q "loaded 4 elements" $$scratch/example.out; \
	for t in $(C_TESTS) $(C_BUILD)/test_hnsw_static; do \
	    echo "== $$t"; $$t "$$scratch" core/tests/fixtures; \
	done; \
	if command -v valgrind >/dev/null; then \
	    for t in $(VALGRIND_C_TESTS); do \
	        echo "== valgrind $$t"; \
	        valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite --show-possibly-lost=no \
	            $(C_BUILD)/$$t "$$scratch" core/tests/fixtures >/dev/null; \
	    done; \
	else echo "valgrind not found: memory checks of the C tests skipped"; fi

# ---- the C tests under ThreadSanitizer (run by make tsan) --------------------------------
#
# libhnswlib built with the sanitizer over an instrumented standard library (in TSAN_DIR,
# with make tsan's std), every C test compiled with -fsanitize=thread and linked with
# rustc's TSan runtime: one runtime for both, since gcc's libtsan is older than the LLVM
# that instruments the library. Any report fails the test (exit code 66).

TSAN_C_BUILD := build/tsan-c
TSAN_C_LIB    = $(abspath $(TSAN_DIR))/$(HOST_TRIPLE)/debug
TSAN_RT       = "$$(rustc +nightly --print sysroot)/lib/rustlib/$(HOST_TRIPLE)/lib/librustc-nightly_rt.tsan.a"
TSAN_C_OPTIONS := halt_on_error=1 second_deadlock_stack=1

.PHONY: tsan-c
tsan-c: rust-tools
	$(TSAN_CARGO) build -Zbuild-std --target $(HOST_TRIPLE) -p hnswlib
	ln -sf libhnswlib.so $(TSAN_C_LIB)/libhnswlib.so.0
	@set -e; mkdir -p $(TSAN_C_BUILD); scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	for t in $(notdir $(C_TESTS)); do \
	    $(CC) $(C_FLAGS) -fsanitize=thread -Iinclude -c tests/c/$$t.c -o $(TSAN_C_BUILD)/$$t.o; \
	    $(CC) -pthread $(TSAN_C_BUILD)/$$t.o -o $(TSAN_C_BUILD)/$$t -rdynamic \
	        -Wl,--whole-archive $(TSAN_RT) -Wl,--no-whole-archive \
	        -L$(TSAN_C_LIB) -lhnswlib -Wl,-rpath,$(TSAN_C_LIB) -lm -ldl; \
	    echo "== tsan $$t"; \
	    TSAN_OPTIONS="$(TSAN_C_OPTIONS)" $(TSAN_C_BUILD)/$$t "$$scratch" core/tests/fixtures >/dev/null; \
	done; \
	echo "tsan-c: $(words $(C_TESTS)) C tests, no ThreadSanitizer report"
