# Warnings every wirekit target is built with; the build stays warning-free.
add_library(wirekit_warnings INTERFACE)
target_compile_options(wirekit_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wconversion -Wsign-conversion -Wnull-dereference -Wimplicit-fallthrough
  -Wno-missing-field-initializers  # designated initializers leave the rest defaulted on purpose
  $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
