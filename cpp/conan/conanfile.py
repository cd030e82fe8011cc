"""Conan 2 recipe of hnswlib-rs for C and C++: libhnswlib (the C library, built by cargo
from this checkout) and the header-only C++ library over it.

    conan create cpp/conan                               # shared library (default)
    conan create cpp/conan -o "hnswlib-rs/*:shared=False"  # static library

Consumers: find_package(hnswlib CONFIG) with CMakeDeps, then hnswlib::hnswlib (C) or
hnswlib::hnswlib_cpp (C++); pkg-config names hnswlib and hnswlib-cpp with PkgConfigDeps.
Rust (cargo) must be on the machine that builds the package; nothing else is downloaded
beyond the crates cargo fetches (or has in its cache).
"""

import os
import re
import shutil

from conan import ConanFile
from conan.tools.cmake import CMake, CMakeToolchain, cmake_layout
from conan.tools.files import copy, rmdir
from conan.tools.scm import Git


class HnswlibRsConan(ConanFile):
    name = "hnswlib-rs"
    description = "hnswlib-rs, the hnswlib-compatible HNSW port: C library and C++ headers"
    license = "Apache-2.0"
    url = "https://github.com/hnswlib-rs/hnswlib-rs"
    topics = ("hnsw", "nearest-neighbors", "vector-search", "hnswlib")
    package_type = "library"
    settings = "os", "arch", "compiler", "build_type"
    options = {"shared": [True, False]}
    default_options = {"shared": True}

    def _repo_root(self):
        return Git(self, self.recipe_folder).get_repo_root()

    def set_version(self):
        # The workspace's version, as the library's SONAME and the CMake package have it.
        cargo = open(os.path.join(self._repo_root(), "Cargo.toml"), encoding="utf-8").read()
        self.version = re.search(r'^version = "([0-9.]+)"', cargo, re.MULTILINE).group(1)

    def export_sources(self):
        # The files git would commit (tracked and new, not ignored): the whole workspace,
        # since cargo loads every member's manifest.
        root = self._repo_root()
        for name in Git(self, root).included_files():
            source = os.path.join(root, name)
            if os.path.isfile(source):
                target = os.path.join(self.export_sources_folder, name)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copy2(source, target)

    def layout(self):
        cmake_layout(self)

    def generate(self):
        # BUILD_SHARED_LIBS follows the shared option: the install holds that library only.
        toolchain = CMakeToolchain(self)
        toolchain.cache_variables["HNSWLIB_CPP_TESTS"] = False
        toolchain.cache_variables["HNSWLIB_CPP_BENCH"] = False
        toolchain.generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure(build_script_folder="cpp")
        cmake.build()

    def package(self):
        CMake(self).install()
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        # Consumers get CMake and pkg-config files from Conan's generators instead.
        rmdir(self, os.path.join(self.package_folder, "lib", "cmake"))
        rmdir(self, os.path.join(self.package_folder, "lib", "pkgconfig"))

    def package_id(self):
        # A C ABI built by rustc, always optimised: the C/C++ compiler and build type
        # of the consumer do not change the binary.
        self.info.settings.rm_safe("compiler")
        self.info.settings.rm_safe("build_type")

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "hnswlib")
        self.cpp_info.set_property("cmake_target_name", "hnswlib-rs::hnswlib-rs")

        c = self.cpp_info.components["hnswlib"]
        c.set_property("cmake_target_name", "hnswlib::hnswlib")
        c.set_property("pkg_config_name", "hnswlib")
        c.libs = ["hnswlib"]
        if not self.options.shared:
            # What Rust's std needs from the system (rustc --print native-static-libs).
            c.system_libs = ["util", "rt", "pthread", "m", "dl"]

        cpp = self.cpp_info.components["hnswlib_cpp"]
        cpp.set_property("cmake_target_name", "hnswlib::hnswlib_cpp")
        cpp.set_property("pkg_config_name", "hnswlib-cpp")
        cpp.requires = ["hnswlib"]
        cpp.libdirs = []
        cpp.bindirs = []
