# Dependencies found with pkg-config (Debian 12 ships no CMake package for them). Each is
# recorded, so that wirekitConfig.cmake imports it under the same target name for a program
# that links the installed static libraries, and wirekit.pc requires it.
#   wirekit_pkg_dependency(BROTLI libbrotlienc libbrotlidec)  ->  PkgConfig::BROTLI
function(wirekit_pkg_dependency prefix)
  # GLOBAL: tests link some of them too, to check the library against them.
  pkg_check_modules(${prefix} REQUIRED IMPORTED_TARGET GLOBAL ${ARGN})
  list(JOIN ARGN "|" modules)
  set_property(GLOBAL APPEND PROPERTY WIREKIT_PKG_DEPENDENCIES "${prefix}|${modules}")
endfunction()
