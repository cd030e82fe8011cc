# hnswlib-rs as a vcpkg overlay port, built from the checkout that holds this file:
#
#   vcpkg install hnswlib-rs --overlay-ports=path/to/hnswlib-rs/cpp/vcpkg
#
# cargo (Rust) must be on the PATH. The C library is built once, optimised, for Debug and
# Release consumers alike (its ABI is C's), so only the release tree is made. The triplet's
# linkage picks libhnswlib.so or libhnswlib.a; the CMake package offers hnswlib::hnswlib
# (C) and hnswlib::hnswlib_cpp (C++) either way.
set(VCPKG_BUILD_TYPE release)
set(VCPKG_POLICY_MISMATCHED_NUMBER_OF_BINARIES enabled)  # no debug tree, by design
get_filename_component(SOURCE_PATH "${CURRENT_PORT_DIR}/../../.." ABSOLUTE)

vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}/cpp"
    OPTIONS
        -DHNSWLIB_CPP_TESTS=OFF
        -DHNSWLIB_CPP_BENCH=OFF
        "-DHNSWLIB_CARGO_TARGET_DIR=${CURRENT_BUILDTREES_DIR}/cargo"
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME hnswlib CONFIG_PATH lib/cmake/hnswlib)
vcpkg_fixup_pkgconfig()

file(INSTALL "${CURRENT_PORT_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
