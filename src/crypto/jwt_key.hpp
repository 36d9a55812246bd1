// Internal: what a jwt::Key holds, and the signing and verification it does.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include <wirekit/crypto/jwt.hpp>

#include "crypto/openssl.hpp"

namespace wirekit::crypto::jwt {

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

  // rsa, ec, okp: the key, and per algorithm a digest context initialised for signing or
  // verifying with it, copied for each operation (initialising costs more than the copy).
  detail::PkeyPtr pkey;
  std::string curve;  // "P-256", "P-384", "P-521", "Ed25519", "Ed448"
  detail::MdCtxPtr sign_template[13];
  detail::MdCtxPtr verify_template[13];

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
