#!/usr/bin/env bash
# The consumer matrix: the C and C++ programs of this folder built against a copy of the
# source tree every way a C or C++ project takes hnswlib-rs, with warnings as errors, and
# run (each checks a search result):
#   - add_subdirectory, FetchContent from a git URL, and find_package(hnswlib CONFIG) after
#     cmake --install, each with Ninja and Unix Makefiles, gcc/g++ and clang/clang++, Debug
#     and Release;
#   - pkg-config --cflags --libs hnswlib after make install, with both compilers;
#   - across the two installs: pkg-config after cmake --install, find_package after make
#     install (each install serves both kinds of user);
#   - the Conan recipe (cpp/conan): conan create, shared and static, offline.
# Also: a fresh Ninja build directory plans its build with no cargo output yet, and
# cmake --install and make install give the same, complete tree.
#
#   cpp/tests/consumer/run.sh WORK_DIR
#
# Every build shares the cargo target directory WORK_DIR/cargo, kept between runs: cargo
# builds libhnswlib there once from cold for the git clone, once for the tree's copy, and
# finds it up to date everywhere else. WORK_DIR/run is made anew.
# Environment: CMAKE (default cmake), CONAN (the conan program, required).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
mkdir -p "$1"
work=$(cd "$1" && pwd)
run=$work/run
cmake=${CMAKE:-cmake}
conan=${CONAN:?"set CONAN to the conan program"}
export CARGO_TARGET_DIR=$work/cargo
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
warnings=(-Wall -Wextra -Wpedantic -Werror)

rm -rf "$run"
mkdir -p "$run/logs"
passed=0
failed=0

# check NAME FUNCTION ARGS...: runs the function (stopping at its first failing command),
# its output going to logs/NAME.log, and reports it.
check() {
    local name=$1 log=$run/logs/${1//[^A-Za-z0-9+]/-}.log start=$SECONDS rc
    shift
    (set -e; "$@") >"$log" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
        printf 'ok    %-58s %4ds\n' "$name" $((SECONDS - start))
    else
        failed=$((failed + 1))
        printf 'FAIL  %-58s %4ds  (exit %d, log %s)\n' "$name" $((SECONDS - start)) $rc "$log"
        tail -n 40 "$log" | sed 's/^/      /'
    fi
}

# The source tree as a fresh clone would have it, uncommitted changes included (the files
# git would commit: tracked and new, not ignored), made a git repository for FetchContent.
copy=$run/hnswlib-rs
snapshot() {
    mkdir -p "$copy"
    git -C "$root" ls-files -z --cached --others --exclude-standard |
        tar -C "$root" --null --ignore-failed-read -T - -cf - | tar -C "$copy" -xf -
    git -C "$copy" init -q -b main
    git -C "$copy" add -A
    git -C "$copy" -c user.name=consumer -c user.email=consumer@localhost commit -q -m snapshot
}

# plan: configure the tree as a top-level Ninja project against an empty cargo target
# directory, and dry-run the whole build: Ninja refuses to start unless every input of
# every step has a rule that makes it. (Make checks a step's inputs only when it comes to
# that step, after cargo has run, so a dry run of make proves nothing.)
plan() {
    local b=$run/plan
    "$cmake" -S "$copy/cpp" -B "$b" -G Ninja -DHNSWLIB_CARGO_TARGET_DIR="$run/no-target"
    ninja -C "$b" -n
    test ! -e "$run/no-target"
}

# consumer WAY GENERATOR CC CXX BUILD_TYPE [CMAKE_OPTION...]: build cpp/tests/consumer the
# given way (in a build directory named after them and $build_suffix) and run its programs.
consumer() {
    local way=$1 generator=$2 cc=$3 cxx=$4 type=$5
    shift 5
    local b=$run/$way-${generator// /}-$cc-$type${build_suffix:-}
    "$cmake" -S "$here" -B "$b" -G "$generator" -DCMAKE_BUILD_TYPE="$type" \
        -DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx" -DHNSWLIB_CONSUMER_WAY="$way" "$@"
    "$cmake" --build "$b"
    "$b/consumer_c"
    "$b/consumer_cpp"
    if grep -q '^HNSWLIB_CONSUMER_STATIC:BOOL=ON$' "$b/CMakeCache.txt"; then "$b/consumer_c_static"; fi
}

# complete_tree PREFIX: what an install must hold.
complete_tree() {
    local lib=$1/lib
    for f in include/hnswlib.h include/hnswlib/hnswlib.h include/hnswlib/index.h \
             lib/libhnswlib.a lib/cmake/hnswlib/hnswlibConfig.cmake \
             lib/cmake/hnswlib/hnswlibConfigVersion.cmake lib/pkgconfig/hnswlib.pc; do
        test -f "$1/$f" || { echo "missing: $f"; return 1; }
    done
    test -f "$lib/libhnswlib.so.$version"
    test ! -L "$lib/libhnswlib.so.$version"
    test "$(readlink "$lib/libhnswlib.so.0")" = "libhnswlib.so.$version"
    test "$(readlink "$lib/libhnswlib.so")" = libhnswlib.so.0
    objdump -p "$lib/libhnswlib.so.$version" | grep -E '^ +SONAME +libhnswlib\.so\.0$'
    test "$(PKG_CONFIG_PATH=$lib/pkgconfig pkg-config --modversion hnswlib)" = "$version"
}

cmake_install() {
    local b=$run/install-build
    "$cmake" -S "$copy/cpp" -B "$b" -G Ninja -DHNSWLIB_CPP_TESTS=OFF -DHNSWLIB_CPP_BENCH=OFF
    "$cmake" --build "$b"
    "$cmake" --install "$b" --prefix "$run/prefix-cmake"
    complete_tree "$run/prefix-cmake"
}

# make install: the same files, links and contents, but for the prefix in hnswlib.pc.
make_install() {
    make -C "$copy" --no-print-directory install PREFIX="$run/prefix-make"
    complete_tree "$run/prefix-make"
    diff <(cd "$run/prefix-cmake" && find . -printf '%y %p %l\n' | sort) \
         <(cd "$run/prefix-make" && find . -printf '%y %p %l\n' | sort)
    diff -r --no-dereference --exclude=hnswlib.pc "$run/prefix-cmake" "$run/prefix-make"
    diff <(sed "s|$run/prefix-cmake|PREFIX|" "$run/prefix-cmake/lib/pkgconfig/hnswlib.pc") \
         <(sed "s|$run/prefix-make|PREFIX|" "$run/prefix-make/lib/pkgconfig/hnswlib.pc")
}

# install_one_kind static|shared: cmake --install with BUILD_SHARED_LIBS (as vcpkg and Conan
# set it) holds that library only, and the CMake package's hnswlib::hnswlib is that library.
install_one_kind() {
    local b=$run/install-build-$1 prefix=$run/prefix-$1 shared=OFF
    [ "$1" = shared ] && shared=ON
    "$cmake" -S "$copy/cpp" -B "$b" -G Ninja -DHNSWLIB_CPP_TESTS=OFF -DHNSWLIB_CPP_BENCH=OFF \
        -DBUILD_SHARED_LIBS=$shared
    "$cmake" --build "$b"
    "$cmake" --install "$b" --prefix "$prefix"
    local needed
    if [ "$1" = shared ]; then
        test -f "$prefix/lib/libhnswlib.so.$version"
        test ! -e "$prefix/lib/libhnswlib.a"
        build_suffix=-$1 consumer package Ninja gcc g++ Release -DCMAKE_PREFIX_PATH="$prefix" \
            -DHNSWLIB_CONSUMER_STATIC=OFF
    else
        test -f "$prefix/lib/libhnswlib.a"
        test -z "$(find "$prefix/lib" -name 'libhnswlib.so*')"
        build_suffix=-$1 consumer package Ninja gcc g++ Release -DCMAKE_PREFIX_PATH="$prefix"
    fi
    # consumer_c links hnswlib::hnswlib: libhnswlib.so.0 is needed at run time, or nothing.
    needed=$(objdump -p "$run/package-Ninja-gcc-Release-$1/consumer_c" | sed -n 's/^ *NEEDED *\(libhnswlib.*\)/\1/p')
    echo "consumer_c needs: ${needed:-no libhnswlib}"
    if [ "$1" = shared ]; then test "$needed" = libhnswlib.so.0; else test -z "$needed"; fi
}

# pkgconfig CC CXX [INSTALL]: the programs built with pkg-config's flags alone, against make
# install (INSTALL make, the default) or cmake --install (cmake).
pkgconfig() {
    local out=$run/pkgconfig-$1-${3:-make}
    export PKG_CONFIG_PATH=$run/prefix-${3:-make}/lib/pkgconfig
    local flags rpath
    flags=$(pkg-config --cflags --libs hnswlib)
    rpath=-Wl,-rpath,$(pkg-config --variable=libdir hnswlib)
    mkdir -p "$out"
    # shellcheck disable=SC2086
    "$1" -std=c11 "${warnings[@]}" "$here/main.c" -o "$out/consumer_c" $flags "$rpath"
    # shellcheck disable=SC2086
    "$2" -std=c++17 "${warnings[@]}" "$here/main.cpp" -o "$out/consumer_cpp" $flags "$rpath" -pthread
    "$out/consumer_c"
    "$out/consumer_cpp"
}

# consumer_of_make_install GENERATOR CC CXX BUILD_TYPE: find_package in the tree of make install.
consumer_of_make_install() {
    build_suffix=-make-install consumer package "$@" -DCMAKE_PREFIX_PATH="$run/prefix-make"
}

# conan_create SHARED: conan create of cpp/conan (its test package builds this folder's
# project against the package and runs it), in a Conan home of its own with no remote.
conan_create() {
    export CONAN_HOME=$run/conan-home
    if [ ! -d "$CONAN_HOME" ]; then
        "$conan" profile detect
        "$conan" remote remove conancenter
    fi
    "$conan" create "$copy/cpp/conan" -o "hnswlib-rs/*:shared=$1"
}

combos=("Ninja|gcc|g++|Debug" "Ninja|clang|clang++|Release"
        "Unix Makefiles|gcc|g++|Release" "Unix Makefiles|clang|clang++|Debug")

check "snapshot of the source tree" snapshot
tag=$(git -C "$copy" rev-parse HEAD)
check "Ninja plans the build without cargo output" plan
# FetchContent first: the first build of a clone (cold in a fresh WORK_DIR) is where cargo
# works; the clang builds reuse the clone of their generator (FETCHCONTENT_BASE_DIR). The
# Makefiles builds get the Ninja builds' clone through FetchContent's source override: a
# second clone would be a second cold cargo build (cargo keys its outputs by source path),
# minutes on a 2-core machine, and the clone step itself was just tested.
for combo in "${combos[@]}"; do
    IFS='|' read -r generator cc cxx type <<<"$combo"
    reuse=()
    [ "$generator" = Ninja ] || reuse=(-DFETCHCONTENT_SOURCE_DIR_HNSWLIB="$run/fetchcontent-Ninja/hnswlib-src")
    check "fetchcontent: $generator $cxx $type" consumer fetchcontent "$generator" "$cc" "$cxx" "$type" \
        -DHNSWLIB_GIT_URL="file://$copy" -DHNSWLIB_GIT_TAG="$tag" \
        -DFETCHCONTENT_BASE_DIR="$run/fetchcontent-${generator// /}" "${reuse[@]}"
done
for combo in "${combos[@]}"; do
    IFS='|' read -r generator cc cxx type <<<"$combo"
    check "add_subdirectory: $generator $cxx $type" consumer subdirectory "$generator" "$cc" "$cxx" "$type" \
        -DHNSWLIB_SOURCE_DIR="$copy"
done
check "cmake --install: complete tree" cmake_install
check "make install: the same tree" make_install
for combo in "${combos[@]}"; do
    IFS='|' read -r generator cc cxx type <<<"$combo"
    check "find_package: $generator $cxx $type" consumer package "$generator" "$cc" "$cxx" "$type" \
        -DCMAKE_PREFIX_PATH="$run/prefix-cmake"
done
check "cmake --install, static library only" install_one_kind static
check "cmake --install, shared library only" install_one_kind shared
check "pkg-config: gcc g++" pkgconfig gcc g++
check "pkg-config: clang clang++" pkgconfig clang clang++
check "pkg-config after cmake --install: gcc g++" pkgconfig gcc g++ cmake
check "find_package after make install: Ninja g++ Release" \
    consumer_of_make_install Ninja gcc g++ Release
check "vcpkg port: the workspace's version" \
    grep -q "\"version\": \"$version\"" "$copy/cpp/vcpkg/hnswlib-rs/vcpkg.json"
check "conan create: shared" conan_create True
check "conan create: static" conan_create False

echo "consumers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
