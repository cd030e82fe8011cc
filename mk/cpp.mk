# C++ header library (cpp/): CMake + Ninja build in build/cpp, GoogleTest suite through
# ctest, the examples (SIFT test, updates test) at small sizes, and the CMake package.
#
#   make test-cpp     configure, build (cargo runs only if the Rust sources changed), test
#   make bench-cpp    per-call overhead of one k-NN call: C++ layer, C ABI, core (criterion)

TEST_SUITES += test-cpp

CPP_BUILD   := build/cpp
CMAKE       ?= cmake
CPP_CONFIGURE := $(CMAKE) -S cpp -B $(CPP_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
# Debian packages the suite needs: compilers and build tools, GoogleTest, and hnswlib
# 0.6.2's headers (the interoperability tests build a program against them).
CPP_APT     := cmake ninja-build g++ libgtest-dev libhnswlib-dev

.PHONY: cpp-deps test-cpp bench-cpp

cpp-deps:
	@missing=""; \
	command -v $(CMAKE) >/dev/null || missing="$$missing cmake"; \
	command -v ninja >/dev/null || missing="$$missing ninja-build"; \
	command -v g++ >/dev/null || missing="$$missing g++"; \
	test -f /usr/include/gtest/gtest.h || missing="$$missing libgtest-dev"; \
	test -f /usr/include/hnswlib/hnswalg.h || missing="$$missing libhnswlib-dev"; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    $(SUDO) apt-get update && $(SUDO) apt-get install -y $$missing; \
	fi

test-cpp: cpp-deps rust-tools
	$(CPP_CONFIGURE)
	$(CMAKE) --build $(CPP_BUILD)
	cd $(CPP_BUILD) && ctest --output-on-failure -j2 -LE example
	cd $(CPP_BUILD) && ctest --output-on-failure -L example --verbose

bench-cpp: cpp-deps rust-tools
	$(CPP_CONFIGURE)
	$(CMAKE) --build $(CPP_BUILD)
	$(CARGO) bench -p hnswlib --bench abi_overhead
	$(CPP_BUILD)/bench/knn_overhead
