"""conan create's test: the consumer project of cpp/tests/consumer (a C and a C++ program)
built against the package with find_package(hnswlib CONFIG), then run."""

import os

from conan import ConanFile
from conan.tools.build import can_run
from conan.tools.cmake import CMake, cmake_layout


class HnswlibRsTestConan(ConanFile):
    settings = "os", "arch", "compiler", "build_type"
    generators = "CMakeDeps", "CMakeToolchain"

    def requirements(self):
        self.requires(self.tested_reference_str)

    def layout(self):
        cmake_layout(self)

    def build(self):
        cmake = CMake(self)
        # hnswlib::hnswlib is the static library when the package is static, so the
        # project's extra hnswlib::hnswlib_static program is left out.
        cmake.configure(build_script_folder=os.path.join("..", "..", "tests", "consumer"),
                        variables={"HNSWLIB_CONSUMER_STATIC": "OFF"})
        cmake.build()

    def test(self):
        if can_run(self):
            for program in ("consumer_c", "consumer_cpp"):
                self.run(os.path.join(self.cpp.build.bindir, program), env="conanrun")
