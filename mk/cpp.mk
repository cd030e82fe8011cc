# C++ header library (cpp/): CMake + Ninja build in build/cpp, GoogleTest suite through
# ctest, the examples (SIFT test, updates test) at small sizes, and the CMake package.
#
#   make test-cpp     configure, build (cargo runs only if the Rust sources changed), test
#   make bench-cpp        per-call cost of one k-NN call: C++ layer and C ABI (cpp/bench),
#                         C ABI and core (criterion, benches/abi_overhead.rs)
#   make bench-cpp-glove  GloVe single-thread QPS: C++ layer and C ABI on one index, then the
#                         core's GloVe example on the same split (CPP_GLOVE_ARGS, e.g. --n 100000)

TEST_SUITES += test-cpp

CPP_BUILD   := build/cpp
CMAKE       ?= cmake
CPP_CONFIGURE := $(CMAKE) -S cpp -B $(CPP_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release
# Debian packages the suite needs: compilers and build tools, GoogleTest, and hnswlib
# 0.6.2's headers (the interoperability tests build a program against them).
CPP_APT     := cmake ninja-build g++ libgtest-dev libhnswlib-dev

.PHONY: cpp-deps cpp-build test-cpp bench-cpp bench-cpp-glove

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

test-cpp: cpp-build
	cd $(CPP_BUILD) && ctest --output-on-failure -j2 -LE example
	cd $(CPP_BUILD) && ctest --output-on-failure -L example --verbose

cpp-build: cpp-deps rust-tools
	$(CPP_CONFIGURE)
	$(CMAKE) --build $(CPP_BUILD)

bench-cpp: cpp-build
	$(CPP_BUILD)/bench/knn_overhead
	$(CARGO) bench -p hnswlib --bench abi_overhead

CPP_GLOVE_ARGS ?=
CPP_GLOVE_EFS  ?= 10,20,40,80,120,200
bench-cpp-glove: cpp-build venv
	mkdir -p $(CPP_BUILD)/glove
	@npy="$$($(VPY) -c '$(GLOVE_FIND)')" && \
	    $(CPP_BUILD)/bench/glove_qps "$$npy" --efs $(CPP_GLOVE_EFS) --write-split $(CPP_BUILD)/glove $(CPP_GLOVE_ARGS)
	$(CARGO) run --release -p hnswlib-core --example glove -- --no-progress --efs $(CPP_GLOVE_EFS) \
	    --base $(CPP_BUILD)/glove/base.npy --queries $(CPP_BUILD)/glove/queries.npy
