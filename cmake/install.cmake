# What `cmake --install` adds to the headers, libraries (src/CMakeLists.txt) and the CLI
# (apps/wirekit): the CMake package, so that find_package(wirekit 0.1) gives wirekit::wirekit
# and wirekit::<layer>; wirekit.pc for pkg-config; and CPack's .deb of it all (`make package`).
include(CMakePackageConfigHelpers)

set(WIREKIT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/wirekit)
install(EXPORT wirekit NAMESPACE wirekit:: FILE wirekitTargets.cmake
        DESTINATION ${WIREKIT_CMAKE_DIR})
get_property(WIREKIT_PKG_DEPENDENCIES GLOBAL PROPERTY WIREKIT_PKG_DEPENDENCIES)
configure_package_config_file(cmake/wirekitConfig.cmake.in wirekitConfig.cmake
                              INSTALL_DESTINATION ${WIREKIT_CMAKE_DIR})
# 0.x: a minor version may break the API, so only the same minor version is compatible.
write_basic_package_version_file(wirekitConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/wirekitConfig.cmake
              ${PROJECT_BINARY_DIR}/wirekitConfigVersion.cmake
        DESTINATION ${WIREKIT_CMAKE_DIR})

# wirekit.pc: the archives in an order they link in, then what they link.
get_property(libraries GLOBAL PROPERTY WIREKIT_LIBRARIES)
list(REVERSE libraries)
list(TRANSFORM libraries PREPEND -l)
list(JOIN libraries " " WIREKIT_PC_LIBS)
set(pc_requires "")
foreach(dependency IN LISTS WIREKIT_PKG_DEPENDENCIES)
  string(REPLACE "|" ";" modules "${dependency}")
  list(POP_FRONT modules)
  list(APPEND pc_requires ${modules})
endforeach()
list(JOIN pc_requires " " WIREKIT_PC_REQUIRES)
# The prefix relative to the .pc file, so that an installed tree can be moved.
file(RELATIVE_PATH WIREKIT_PC_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" WIREKIT_PC_PREFIX "${WIREKIT_PC_PREFIX}")
configure_file(cmake/wirekit.pc.in wirekit.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/wirekit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

set(WIREKIT_PACKAGE_MAINTAINER "wirekit maintainers <maintainers@wirekit.example>"
    CACHE STRING "The Maintainer of the .deb")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME wirekit)
set(CPACK_PACKAGE_CONTACT "${WIREKIT_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}: library and command-line tool")
set(CPACK_PACKAGE_DESCRIPTION
    "wirekit is one C++20 library with one coroutine API for sockets, HTTP, TLS, tokens and
packet capture, and the command-line tool wirekit that runs a networking tutorial's programs
from a shell. This package holds the tool, the static libraries, their headers, the CMake
package (find_package(wirekit)) and wirekit.pc.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# The tool's run-time libraries, as dpkg-shlibdeps finds them; building against the static
# libraries also takes the -dev packages of what they link.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(build_packages g++ "cmake | pkg-config" libspdlog-dev libfmt-dev nlohmann-json3-dev libssl-dev
    libc-ares-dev zlib1g-dev libdeflate-dev libbrotli-dev libzstd-dev libtomlplusplus-dev)
if(WIREKIT_WITH_CAPTURE)
  list(APPEND build_packages libpcap-dev)
endif()
list(JOIN build_packages ", " CPACK_DEBIAN_PACKAGE_SUGGESTS)
include(CPack)
