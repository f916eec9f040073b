# Warnings are errors in CI (SLUICE_WERROR=ON) and warnings elsewhere.
option(SLUICE_WERROR "Treat warnings as errors" OFF)

function(sluice_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                           -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
                                           # Designated initializers leave the other members at
                                           # their defaults on purpose.
                                           -Wno-missing-field-initializers)
  if(SLUICE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
