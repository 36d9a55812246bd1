# WIREKIT_SANITIZE=address,undefined | thread applies to everything built in this tree.
if(WIREKIT_SANITIZE)
  add_compile_options(-fsanitize=${WIREKIT_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${WIREKIT_SANITIZE})
endif()

# Fuzzing: every library is built with coverage instrumentation and ASan/UBSan, so libFuzzer
# sees into the parsers, not only into the fuzz target's own file.
if(WIREKIT_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
