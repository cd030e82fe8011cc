# ctest: install the package into a scratch prefix, build the consumer project against
# it with find_package and again with add_subdirectory, and run its programs.
#   -DHNSWLIB_BUILD_DIR -DCONSUMER_SOURCE_DIR -DWORK_DIR -DGENERATOR
get_filename_component(HNSWLIB_SOURCE_DIR "${CONSUMER_SOURCE_DIR}/../.." ABSOLUTE)
file(REMOVE_RECURSE "${WORK_DIR}")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}")
  endif()
endfunction()

run("${CMAKE_COMMAND}" --install "${HNSWLIB_BUILD_DIR}" --prefix "${WORK_DIR}/prefix")
foreach(f include/hnswlib.h include/hnswlib/hnswlib.h include/hnswlib/index.h
          lib/libhnswlib.so lib/libhnswlib.so.0 lib/libhnswlib.a lib/cmake/hnswlib/hnswlibConfig.cmake)
  if(NOT EXISTS "${WORK_DIR}/prefix/${f}")
    message(FATAL_ERROR "cmake --install did not install ${f}")
  endif()
endforeach()

foreach(mode package subdir)
  if(mode STREQUAL "package")
    set(how "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix")
  else()
    set(how "-DHNSWLIB_SOURCE_DIR=${HNSWLIB_SOURCE_DIR}")
  endif()
  run("${CMAKE_COMMAND}" -S "${CONSUMER_SOURCE_DIR}" -B "${WORK_DIR}/${mode}" -G "${GENERATOR}"
      -DCMAKE_BUILD_TYPE=Release "${how}")
  run("${CMAKE_COMMAND}" --build "${WORK_DIR}/${mode}")
  foreach(exe consumer_cpp consumer_c consumer_c_static)
    run("${WORK_DIR}/${mode}/${exe}")
  endforeach()
endforeach()
