// Internal (the wirekit_openssl library, not a layer of its own): what the tls and crypto
// layers share of OpenSSL 3 — ownership of its objects and its error queue as text. Both link
// it privately; neither may include the other's private headers.
#pragma once

#include <memory>
#include <string>

#include <openssl/evp.h>

namespace wirekit::openssl {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;

// The oldest error on OpenSSL's queue as text (clearing the queue), for messages that name the
// cause; "unknown OpenSSL error" when the queue is empty.
std::string openssl_error();

}  // namespace wirekit::openssl
