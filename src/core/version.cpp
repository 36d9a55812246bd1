#include <wirekit/core.hpp>

namespace wirekit {

const char* version() noexcept {
  return WIREKIT_VERSION;
}

}  // namespace wirekit
