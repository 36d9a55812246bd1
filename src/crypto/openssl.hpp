// Internal: the OpenSSL 3 primitives Fernet and JWT share, over the ownership helpers of
// wirekit_openssl.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "openssl_support.hpp"

namespace wirekit::crypto::detail {

using openssl::Deleter;
using openssl::PkeyPtr;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX_free>>;

using openssl::openssl_error;

// Seconds since the Unix epoch, the clock of Fernet timestamps and JWT NumericDates.
std::int64_t unix_now();

// Cryptographically secure random bytes; throws Error if the generator fails.
void random_bytes(std::span<std::uint8_t> out);

// Digests fetched once per process (EVP_MD_fetch), so operations skip the name lookup.
const EVP_MD* sha256();
const EVP_MD* sha384();
const EVP_MD* sha512();

// HMAC with the key's inner and outer pads absorbed once (RFC 2104), so each message costs only
// its own blocks plus one for the outer hash. Safe to use from many threads: each call works on
// per-thread copies of the prepared states.
class Hmac {
 public:
  Hmac(const EVP_MD* md, std::span<const std::uint8_t> key);
  Hmac(const Hmac& other);
  Hmac& operator=(const Hmac&) = delete;
  ~Hmac();

  std::size_t size() const noexcept { return size_; }
  // Writes size() bytes of MAC over the concatenation of `parts`.
  void sign(std::initializer_list<std::string_view> parts, std::uint8_t* out) const;
  // Constant-time comparison of the MAC of `parts` with `mac`.
  bool verify(std::initializer_list<std::string_view> parts, std::string_view mac) const;

 private:
  const EVP_MD* md_;
  std::size_t size_;
  MdCtxPtr inner_;
  MdCtxPtr outer_;
};

}  // namespace wirekit::crypto::detail
