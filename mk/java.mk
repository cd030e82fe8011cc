# Java binding (java/): Maven builds the JNI crate (java/native) with cargo, packages it
# into the jar, runs the JUnit 5 suites (surefire) and the jar-loading tests (failsafe).
#
#   make test-java    that, for this machine's platform; installs the jar into ~/.m2 and
#                     builds and tests java/consumer, a user's project depending on it
#   make jar          the release jars: the binding's, with the JNI library for linux-x86_64
#                     and linux-aarch64 (cargo-zigbuild with zig from PyPI, against glibc
#                     2.17) under native/<platform>/, and hnswlib-rs-spark's, each with its
#                     sources and javadoc jars; the whole suite runs against the binding's jar,
#                     then it is installed into ~/.m2, java/consumer is tested, and the Spark
#                     module's suite runs against it before that jar is installed too
#   make java-deploy  mvn deploy of both releases to the file repository build/maven-repo
#                     (jar, sources, javadoc, POM, each with .md5 and .sha1; SIGN=1 adds the
#                     .asc signatures with gpg's default key, or GPG_KEYNAME)

MVN       ?= mvn
MVN_FLAGS ?= -B -q -Dstyle.color=never
# pyspark's version is the Spark module's (make jar tests that module too; section Spark below).
SPARK_VERSION := $(shell sed -n 's:.*<spark.version>\(.*\)</spark.version>.*:\1:p' java/spark/pom.xml)
PYSPARK_STAMP := $(VENV)/.hnswlib-rs-pyspark-$(SPARK_VERSION)

TEST_SUITES += test-java

.PHONY: test-java java-tools

# A JDK (17 or newer) and Maven; Debian 12 has both.
java-tools:
	@command -v javac >/dev/null && command -v $(MVN) >/dev/null || \
	    { $(SUDO) apt-get update && $(SUDO) apt-get install -y openjdk-17-jdk-headless maven; }

# The live check against hnswlib runs pip hnswlib 0.8.0 from $(VPY) (python-tools, in
# mk/python.mk); run by hand without it, that one test is skipped and committed hnswlib
# fixtures cover the files.
JAVA_SUMMARY = @cat java/target/surefire-reports/*.txt java/target/failsafe-reports/*.txt \
	    java/consumer/target/surefire-reports/*.txt 2>/dev/null | \
	    awk -F'[:,] *' '/^Tests run:/ { t += $$2; f += $$4 + $$6; s += $$8 } \
	        END { printf "java: %d passed, %d failed, %d skipped\n", t - f - s, f, s }'
JAVA_CONSUMER = $(MVN) $(MVN_FLAGS) -f java/consumer/pom.xml verify

test-java: java-tools rust-tools python-tools
	$(MVN) $(MVN_FLAGS) -f java/pom.xml -Dcargo.command=$(CARGO) \
	    -Dhnswlib.test.python=$(abspath $(VPY)) install
	$(JAVA_CONSUMER)
	$(JAVA_SUMMARY)

# ---- the release jar -------------------------------------------------------------------

JAVA_NATIVE_DIR := build/java-native
# A target directory of their own: the wheels' zig builds (maturin) share target/<triple>
# with other settings, and each would rebuild everything after the other.
JAVA_NATIVE_TARGET := target/java-natives
JAVA_REPO       := build/maven-repo
JAVA_PLATFORMS  := linux-x86_64:x86_64-unknown-linux-gnu linux-aarch64:aarch64-unknown-linux-gnu
JAVA_PLATFORM_NAMES := linux-x86_64,linux-aarch64
ZIGBUILD_STAMP  := $(VENV)/.hnswlib-rs-zigbuild
JAVA_RELEASE_FLAGS = -P release$(if $(SIGN),$(comma)sign) $(if $(GPG_KEYNAME),-Dgpg.keyname=$(GPG_KEYNAME))
JAVA_RELEASE    = $(MVN) $(MVN_FLAGS) -f java/pom.xml $(JAVA_RELEASE_FLAGS) -Dnative.dir=$(abspath $(JAVA_NATIVE_DIR))
comma := ,

.PHONY: jar java-natives java-deploy

# cargo-zigbuild (and the zig of python-tools) from PyPI.
$(ZIGBUILD_STAMP): | python-tools
	$(VPY) -m pip install --quiet "cargo-zigbuild>=0.19,<0.25"
	@touch $@

# Each platform's library, linked by zig against glibc 2.17 (as the Python wheels are),
# without debug information (cargo rustc: only the last link differs from a plain build).
java-natives: $(ZIGBUILD_STAMP) rust-tools
	rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
	@set -e; for p in $(JAVA_PLATFORMS); do \
	    platform=$${p%%:*}; triple=$${p#*:}; \
	    echo "== $$platform ($$triple, glibc 2.17)"; \
	    PATH="$(abspath $(VENV))/bin:$$PATH" cargo-zigbuild rustc --release --quiet -p hnswlib-jni --lib \
	        --target $$triple.2.17 --target-dir $(JAVA_NATIVE_TARGET) -- -C strip=debuginfo; \
	    mkdir -p $(JAVA_NATIVE_DIR)/$$platform; \
	    cp $(JAVA_NATIVE_TARGET)/$$triple/release/libhnswlib_jni.so $(JAVA_NATIVE_DIR)/$$platform/; \
	done
	@if command -v file >/dev/null; then file $(JAVA_NATIVE_DIR)/*/libhnswlib_jni.so; fi

jar: java-tools java-natives python-tools $(PYSPARK_STAMP)
	$(JAVA_RELEASE) -Dhnswlib.test.python=$(abspath $(VPY)) \
	    -Dnative.test.platforms=$(JAVA_PLATFORM_NAMES) install
	@unzip -l java/target/hnswlib-rs-*[0-9].jar | grep 'native/'
	$(JAVA_CONSUMER)
	$(JAVA_SUMMARY)
	$(SPARK_MVN) $(JAVA_RELEASE_FLAGS) $(SPARK_TEST_CP) install
	$(JAVA_SPARK_SUMMARY)

# The tests ran in make jar; deploy packages again (the same inputs) and uploads.
JAVA_DEPLOY_TO = -DskipTests -DaltDeploymentRepository=local::file://$(abspath $(JAVA_REPO)) deploy

java-deploy: jar
	rm -rf $(JAVA_REPO)
	$(JAVA_RELEASE) $(JAVA_DEPLOY_TO)
	$(SPARK_MVN) $(JAVA_RELEASE_FLAGS) $(JAVA_DEPLOY_TO)
	@set -e; for a in hnswlib-rs hnswlib-rs-spark; do \
	    ( cd $(JAVA_REPO)/io/github/hnswlibrs/$$a/*[0-9]/; pwd; ls; \
	    for f in *.jar *.pom; do \
	        for c in md5 sha1; do \
	            test "$$(cat $$f.$$c)" = "$$($${c}sum $$f | cut -d' ' -f1)" || { echo "$$f.$$c is wrong or missing" >&2; exit 1; }; \
	        done; \
	        if [ -n "$(SIGN)" ]; then gpg --verify $$f.asc $$f; fi; \
	    done; \
	    for f in "" -sources -javadoc; do ls *[0-9]$$f.jar >/dev/null; done; ls *.pom >/dev/null ); \
	done; \
	echo "java-deploy: hnswlib-rs and hnswlib-rs-spark: jar, sources, javadoc and POM with checksums$(if $(SIGN), and signatures) in $(JAVA_REPO)"

# Single-query QPS on GloVe from Java against the Rust core (a benchmark, not a test).
BENCH_JAVA_ARGS ?=

.PHONY: bench-java
bench-java: venv java-tools rust-tools
	CARGO="$(CARGO)" MVN="$(MVN)" $(VPY) java/bench/glove_java.py $(BENCH_JAVA_ARGS)

.PHONY: clean-java
clean: clean-java
clean-java:
	rm -rf java/target java/consumer/target

# ---- Spark (java/spark: io.github.hnswlibrs:hnswlib-rs-spark) ----------------------------
#
#   make test-java-spark  the module's JUnit 5 suites on a local Spark (local[2])
#   make java-spark-jar   its jar, without the tests (the pyspark suite puts it on spark.jars)
#   make bench-spark      SIFT-like vectors in 2, 4 and 8 shards against one index (mk/bench.mk)
#
# Spark 3.5 / Scala 2.12, the version of the POM's spark.version, is what PyPI's pyspark of
# that version bundles. The pyspark suite needs pyspark anyway, so here Maven compiles and
# tests against the jars inside it (-Dspark.jars.dir, the POM's profile spark-from-pyspark)
# instead of downloading the same Spark build again from Maven Central (about 210 MB); a
# plain `mvn -f java/spark/pom.xml install` resolves Spark from Maven Central.

JAVA_VERSION_ := $(shell sed -n '0,/<version>/s:.*<version>\(.*\)</version>.*:\1:p' java/pom.xml)
JAVA_JAR       = java/target/hnswlib-rs-$(JAVA_VERSION_).jar
SPARK_JAR      = java/spark/target/hnswlib-rs-spark-$(JAVA_VERSION_).jar
SPARK_JARS     = $(abspath $(SPARK_JAR)),$(abspath $(JAVA_JAR))
# The jars directory of the venv's pyspark, and Maven's options to build against it.
PYSPARK_JARS   = $$($(VPY) -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "jars"))')
SPARK_MVN      = jars="$(PYSPARK_JARS)" && $(MVN) $(MVN_FLAGS) -f java/spark/pom.xml -Dspark.jars.dir="$$jars"
# Every jar of pyspark's Spark on the tests' class path, as spark-submit would give them.
SPARK_TEST_CP  = -Dmaven.test.additionalClasspath="$$(ls "$$jars"/*.jar | paste -sd, -)"
JAVA_SPARK_SUMMARY = @cat java/spark/target/surefire-reports/*.txt 2>/dev/null | \
	    awk -F'[:,] *' '/^Tests run:/ { t += $$2; f += $$4 + $$6; s += $$8 } \
	        END { printf "java-spark: %d passed, %d failed, %d skipped\n", t - f - s, f, s }'

.PHONY: pyspark-tools
pyspark-tools: $(PYSPARK_STAMP)

# pyspark (317 MB from PyPI: Spark's jars and scripts) into the venv.
$(PYSPARK_STAMP): | $(VENV_STAMP)
	$(VPY) -m pip install --quiet "pyspark==$(SPARK_VERSION)"
	@touch $@

TEST_SUITES += test-java-spark

.PHONY: test-java-spark java-spark-jar java-install

# The binding's jar (with this machine's native library) in ~/.m2, without its tests; in
# make test, test-java has installed it.
ifneq ($(filter test test-java,$(MAKECMDGOALS)),)
java-install: test-java
else
java-install: java-tools rust-tools
	$(MVN) $(MVN_FLAGS) -f java/pom.xml -Dcargo.command=$(CARGO) -DskipTests install
endif

test-java-spark: java-install $(PYSPARK_STAMP)
	$(SPARK_MVN) $(SPARK_TEST_CP) install
	$(JAVA_SPARK_SUMMARY)

# In make test, test-java-spark has built it.
ifneq ($(filter test test-java-spark,$(MAKECMDGOALS)),)
java-spark-jar: test-java-spark
else
java-spark-jar: java-install $(PYSPARK_STAMP)
	$(SPARK_MVN) -DskipTests install
endif

clean-java: clean-java-spark
.PHONY: clean-java-spark
clean-java-spark:
	rm -rf java/spark/target
