// Internal: ownership of the TLS objects of OpenSSL, and the SSL_CTX setup both sides share.
#pragma once

#include <memory>
#include <string>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "openssl_support.hpp"

namespace wirekit::tls::detail {

using openssl::Deleter;
using openssl::openssl_error;
using openssl::PkeyPtr;
using SslCtxPtr = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX_free>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL_free>>;
using SessionPtr = std::unique_ptr<SSL_SESSION, Deleter<SSL_SESSION_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;

// SSL_CTX options both sides share: minimum version, cipher list, no compression, no
// renegotiation. Throws Error(invalid_argument) on a cipher list OpenSSL refuses.
void configure_common(SSL_CTX* ctx, bool tls1_3_only, const std::string& ciphers);

}  // namespace wirekit::tls::detail
