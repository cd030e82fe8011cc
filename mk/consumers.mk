# C and C++ consumers (cpp/tests/consumer/run.sh): a tiny C and a tiny C++ program built
# against a copy of the source tree by add_subdirectory, FetchContent, find_package after
# cmake --install and pkg-config after make install, with Ninja and Makefiles, gcc and
# clang, Debug and Release; the Conan recipe's conan create, shared and static, offline.
#
#   make test-consumers   the whole matrix, in build/consumers (prints one line per build)

TEST_SUITES += test-consumers

CONSUMERS_BUILD := build/consumers
CONAN_TOOLS     := $(VENV)/.hnswlib-rs-conan

.PHONY: test-consumers consumers-deps

# Beyond cpp-deps (cmake, ninja, g++): clang, pkg-config, git, and Conan in the venv.
consumers-deps: cpp-deps $(CONAN_TOOLS)
	@missing=""; \
	command -v clang++ >/dev/null || missing="$$missing clang"; \
	command -v pkg-config >/dev/null || missing="$$missing pkg-config"; \
	command -v git >/dev/null || missing="$$missing git"; \
	if [ -n "$$missing" ]; then \
	    echo "installing:$$missing"; \
	    $(SUDO) apt-get update && $(SUDO) apt-get install -y $$missing; \
	fi

$(CONAN_TOOLS): $(VENV_STAMP)
	$(VPY) -m pip install --quiet "conan>=2.0,<3"
	@touch $@

test-consumers: consumers-deps rust-tools
	CMAKE=$(CMAKE) CONAN=$(abspath $(VENV))/bin/conan cpp/tests/consumer/run.sh $(CONSUMERS_BUILD)
