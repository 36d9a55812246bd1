#include "openssl.hpp"

#include <array>
#include <chrono>
#include <cstring>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <wirekit/core/error.hpp>

namespace wirekit::crypto::detail {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void random_bytes(std::span<std::uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    throw Error(errc::invalid_argument, "random number generator failed: " + openssl_error());
  }
}

namespace {

const EVP_MD* fetched(const char* name) {
  const EVP_MD* md = EVP_MD_fetch(nullptr, name, nullptr);
  if (!md) throw Error(errc::invalid_argument, std::string("OpenSSL lacks ") + name);
  return md;
}

// A scratch digest context per thread, reused by every HMAC computed on it.
EVP_MD_CTX* scratch() {
  thread_local MdCtxPtr ctx{EVP_MD_CTX_new()};
  return ctx.get();
}

void check(int ok, const char* what) {
  if (ok != 1) throw Error(errc::invalid_argument, std::string(what) + ": " + openssl_error());
}

}  // namespace

const EVP_MD* sha256() {
  static const EVP_MD* md = fetched("SHA2-256");
  return md;
}
const EVP_MD* sha384() {
  static const EVP_MD* md = fetched("SHA2-384");
  return md;
}
const EVP_MD* sha512() {
  static const EVP_MD* md = fetched("SHA2-512");
  return md;
}

Hmac::Hmac(const EVP_MD* md, std::span<const std::uint8_t> key)
    : md_(md),
      size_(static_cast<std::size_t>(EVP_MD_get_size(md))),
      inner_(EVP_MD_CTX_new()),
      outer_(EVP_MD_CTX_new()) {
  const auto block = static_cast<std::size_t>(EVP_MD_get_block_size(md));
  std::array<std::uint8_t, 128> padded{};  // SHA-512's block is the largest used
  if (key.size() > block) {
    unsigned int len = 0;
    check(EVP_Digest(key.data(), key.size(), padded.data(), &len, md, nullptr), "HMAC key");
  } else {
    std::memcpy(padded.data(), key.data(), key.size());
  }
  std::array<std::uint8_t, 128> pad{};
  for (std::size_t i = 0; i < block; ++i) pad[i] = padded[i] ^ 0x36;
  check(EVP_DigestInit_ex2(inner_.get(), md, nullptr), "HMAC init");
  check(EVP_DigestUpdate(inner_.get(), pad.data(), block), "HMAC init");
  for (std::size_t i = 0; i < block; ++i) pad[i] = padded[i] ^ 0x5c;
  check(EVP_DigestInit_ex2(outer_.get(), md, nullptr), "HMAC init");
  check(EVP_DigestUpdate(outer_.get(), pad.data(), block), "HMAC init");
  OPENSSL_cleanse(padded.data(), padded.size());
  OPENSSL_cleanse(pad.data(), pad.size());
}

Hmac::Hmac(const Hmac& other)
    : md_(other.md_), size_(other.size_), inner_(EVP_MD_CTX_new()), outer_(EVP_MD_CTX_new()) {
  check(EVP_MD_CTX_copy_ex(inner_.get(), other.inner_.get()), "HMAC copy");
  check(EVP_MD_CTX_copy_ex(outer_.get(), other.outer_.get()), "HMAC copy");
}

Hmac::~Hmac() = default;

void Hmac::sign(std::initializer_list<std::string_view> parts, std::uint8_t* out) const {
  EVP_MD_CTX* ctx = scratch();
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> inner_hash;
  unsigned int len = 0;
  check(EVP_MD_CTX_copy_ex(ctx, inner_.get()), "HMAC");
  for (std::string_view part : parts)
    check(EVP_DigestUpdate(ctx, part.data(), part.size()), "HMAC");
  check(EVP_DigestFinal_ex(ctx, inner_hash.data(), &len), "HMAC");
  check(EVP_MD_CTX_copy_ex(ctx, outer_.get()), "HMAC");
  check(EVP_DigestUpdate(ctx, inner_hash.data(), len), "HMAC");
  check(EVP_DigestFinal_ex(ctx, out, &len), "HMAC");
}

bool Hmac::verify(std::initializer_list<std::string_view> parts, std::string_view mac) const {
  if (mac.size() != size_) return false;
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> expected;
  sign(parts, expected.data());
  return CRYPTO_memcmp(expected.data(), mac.data(), size_) == 0;
}

}  // namespace wirekit::crypto::detail
