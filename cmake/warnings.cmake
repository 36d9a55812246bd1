# Warnings every wirekit target is built with; the build stays warning-free.
add_library(wirekit_warnings INTERFACE)
target_compile_options(wirekit_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wconversion -Wsign-conversion -Wnull-dereference -Wimplicit-fallthrough
  -Wno-missing-field-initializers  # designated initializers leave the rest defaulted on purpose
  $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)

# With LTO, GCC 12 reports the frames of one coroutine template instantiated in several files
# as One Definition Rule violations (their layout is the compiler's own); the code is fine.
if(CMAKE_INTERPROCEDURAL_OPTIMIZATION AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  add_link_options(-Wno-odr)
endif()
