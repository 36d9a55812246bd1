// Internal: ownership of OpenSSL objects and its error queue as text; shared by the tls and
// crypto layers.
#pragma once

#include <memory>
#include <string>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace wirekit::tls::detail {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL_free>>;
using SessionPtr = std::unique_ptr<SSL_SESSION, Deleter<SSL_SESSION_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;

// The oldest error on OpenSSL's queue as text (clearing the queue), for messages that name the
// cause; "unknown OpenSSL error" when the queue is empty.
std::string openssl_error();

// SSL_CTX options both sides share: minimum version, cipher list, no compression, no
// renegotiation. Throws Error(invalid_argument) on a cipher list OpenSSL refuses.
void configure_common(SSL_CTX* ctx, bool tls1_3_only, const std::string& ciphers);

}  // namespace wirekit::tls::detail
