// Internal: what a jwt::Key holds, and the signing and verification it does.
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wirekit/crypto/jwt.hpp>

#include "openssl.hpp"

namespace wirekit::crypto::jwt {

// Public-key contexts set up for one key and algorithm, reused from one operation to the next:
// setting one up costs OpenSSL a tenth of a P-256 verification. A thread takes one for the
// length of an operation; the pool grows to the number of threads that ever overlap.
class ContextPool {
 public:
  explicit ContextPool(std::function<detail::PkeyCtxPtr()> make) : make_(std::move(make)) {}

  class Lease {
   public:
    Lease(ContextPool& pool, detail::PkeyCtxPtr ctx) : pool_(pool), ctx_(std::move(ctx)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { pool_.give_back(std::move(ctx_)); }
    EVP_PKEY_CTX* get() const noexcept { return ctx_.get(); }

   private:
    ContextPool& pool_;
    detail::PkeyCtxPtr ctx_;
  };
  Lease take();

 private:
  void give_back(detail::PkeyCtxPtr ctx);
  std::function<detail::PkeyCtxPtr()> make_;
  std::mutex mutex_;
  std::vector<detail::PkeyCtxPtr> idle_;
};

struct Key::Impl {
  KeyType type = KeyType::secret;
  bool is_private = false;
  int bits = 0;
  std::string kid;
  std::optional<Algorithm> algorithm;  // a JWK's "alg"

  // secret: the bytes, and HMAC states for SHA-256/384/512 with the pads absorbed.
  std::string secret;
  std::optional<detail::Hmac> hmac[3];
  bool looks_asymmetric = false;  // PEM or SSH text offered as a secret

  // rsa, ec, okp: the key. RSA and ECDSA sign a digest computed apart, with pooled contexts
  // per algorithm; EdDSA signs the whole message, through a digest context initialised once
  // and copied for each operation.
  detail::PkeyPtr pkey;
  std::string curve;  // "P-256", "P-384", "P-521", "Ed25519", "Ed448"
  std::unique_ptr<ContextPool> signers[13];
  std::unique_ptr<ContextPool> verifiers[13];
  detail::MdCtxPtr eddsa_sign;
  detail::MdCtxPtr eddsa_verify;

  ~Impl();

  // Throws InvalidTokenError (`verifying`) or Error(errc::invalid_argument) when this key
  // cannot be used with `alg`.
  void check_usable(Algorithm alg, bool verifying) const;
  std::string sign(Algorithm alg, std::string_view signing_input) const;
  bool verify(Algorithm alg, std::string_view signing_input, std::string_view signature) const;

  // Prepares the digest contexts once the key is loaded.
  void prepare();
};

}  // namespace wirekit::crypto::jwt
