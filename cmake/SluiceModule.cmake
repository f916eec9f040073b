# One helper defines every module: src/<name>/*.cc (and internal/*.cc) become the static library
# sluice::<name>, which links exactly the modules it includes (DEPS) and external targets (LIBS).
function(sluice_module name)
  cmake_parse_arguments(M "" "" "DEPS;LIBS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc
       ${CMAKE_CURRENT_SOURCE_DIR}/internal/*.cc)
  if(sources)
    set(scope PUBLIC)
    add_library(sluice_${name} STATIC ${sources})
    sluice_warnings(sluice_${name})
  else()  # headers only
    set(scope INTERFACE)
    add_library(sluice_${name} INTERFACE)
  endif()
  add_library(sluice::${name} ALIAS sluice_${name})
  target_include_directories(sluice_${name} ${scope} ${PROJECT_SOURCE_DIR}/src)
  foreach(dep IN LISTS M_DEPS)
    target_link_libraries(sluice_${name} ${scope} sluice::${dep})
  endforeach()
  target_link_libraries(sluice_${name} ${scope} ${M_LIBS})
endfunction()

# tests/<module>/*_test.cc become one GoogleTest binary per module; each test case is a ctest test.
function(sluice_module_tests name)
  cmake_parse_arguments(T "" "" "DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  if(NOT sources)
    return()
  endif()
  add_executable(${name}_tests ${sources})
  target_link_libraries(${name}_tests PRIVATE sluice::${name} sluice_testing GTest::gmock_main)
  foreach(dep IN LISTS T_DEPS)
    target_link_libraries(${name}_tests PRIVATE sluice::${dep})
  endforeach()
  sluice_warnings(${name}_tests)
  include(GoogleTest)
  gtest_discover_tests(${name}_tests DISCOVERY_MODE PRE_TEST
                       PROPERTIES ENVIRONMENT "SLUICE_BINARY=$<TARGET_FILE:sluice>")
endfunction()
