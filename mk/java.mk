# Java binding (java/): Maven builds the JNI crate (java/native) with cargo, packages it
# into the jar, runs the JUnit 5 suites (surefire) and the jar-loading tests (failsafe).

MVN       ?= mvn
MVN_FLAGS ?= -B -q -Dstyle.color=never

TEST_SUITES += test-java

.PHONY: test-java java-tools

# A JDK (17 or newer) and Maven; Debian 12 has both.
java-tools:
	@command -v javac >/dev/null && command -v $(MVN) >/dev/null || \
	    { $(SUDO) apt-get update && $(SUDO) apt-get install -y openjdk-17-jdk-headless maven; }

# The live check against hnswlib runs pip hnswlib 0.8.0 from $(VPY) (python-tools, in
# mk/python.mk); run by hand without it, that one test is skipped and committed hnswlib
# fixtures cover the files.
test-java: java-tools rust-tools python-tools
	$(MVN) $(MVN_FLAGS) -f java/pom.xml -Dcargo.command=$(CARGO) \
	    -Dhnswlib.test.python=$(abspath $(VPY)) verify
	@cat java/target/surefire-reports/*.txt java/target/failsafe-reports/*.txt 2>/dev/null | \
	    awk -F'[:,] *' '/^Tests run:/ { t += $$2; f += $$4 + $$6; s += $$8 } \
	        END { printf "java: %d passed, %d failed, %d skipped\n", t - f - s, f, s }'

# Single-query QPS on GloVe from Java against the Rust core (a benchmark, not a test).
BENCH_JAVA_ARGS ?=

.PHONY: bench-java
bench-java: venv java-tools rust-tools
	CARGO="$(CARGO)" MVN="$(MVN)" $(VPY) java/bench/glove_java.py $(BENCH_JAVA_ARGS)

.PHONY: clean-java
clean: clean-java
clean-java:
	rm -rf java/target
