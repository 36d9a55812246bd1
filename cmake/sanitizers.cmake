# WIREKIT_SANITIZE=address,undefined | thread applies to everything built in this tree.
if(WIREKIT_SANITIZE)
  add_compile_options(-fsanitize=${WIREKIT_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${WIREKIT_SANITIZE})
endif()

# Fuzzing: the libraries are built with ASan too, and the parsers with UBSan and libFuzzer's
# coverage instrumentation (src/CMakeLists.txt), so libFuzzer sees into them, not only into the
# fuzz target's own file. (Clang 14 cannot compile coroutines with UBSan: "cannot represent a
# difference across sections"; the parsers have none.)
if(WIREKIT_FUZZ)
  add_compile_options(-fsanitize=address -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
