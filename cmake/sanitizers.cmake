# WIREKIT_SANITIZE=address,undefined | thread applies to everything built in this tree.
if(WIREKIT_SANITIZE)
  add_compile_options(-fsanitize=${WIREKIT_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${WIREKIT_SANITIZE})
endif()
