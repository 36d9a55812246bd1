#include "openssl_support.hpp"

#include <openssl/err.h>

namespace wirekit::openssl {

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  const char* reason = ERR_reason_error_string(code);
  return reason ? reason : "OpenSSL error " + std::to_string(code);
}

}  // namespace wirekit::openssl
