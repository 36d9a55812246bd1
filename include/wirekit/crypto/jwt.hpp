// JSON Web Tokens (RFC 7519, JWS compact form RFC 7515, algorithms RFC 7518 and RFC 8037),
// interoperable with PyJWT: HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512, EdDSA.
//
//   auto key = jwt::Key::secret("your-secret-key");
//   std::string token = jwt::encode({{"username", "user123"}, {"exp", jwt::from_now(1h)}},
//                                   key, jwt::Algorithm::HS256);
//   try {
//     auto claims = jwt::decode(token, key, {.algorithms = {jwt::Algorithm::HS256}});
//   } catch (const jwt::ExpiredSignatureError&) { ... } catch (const jwt::InvalidTokenError& e) {
//   ... }
//
// Safe by construction: decode takes the caller's list of allowed algorithms and never the
// token's word for it ("none" is not an algorithm here), a key only works with algorithms of
// its own kind (an RSA public key is never an HMAC secret), and an RSA key must have at least
// 2048 bits (RFC 7518 §3.3).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <wirekit/core/error.hpp>

namespace wirekit::crypto::jwt {

// Claims keep the order they were given in, as Python dicts do, so a token encoded here is byte
// for byte the one PyJWT encodes from the same dict.
using Json = nlohmann::ordered_json;

enum class Algorithm {
  HS256,
  HS384,
  HS512,  // HMAC with SHA-2
  RS256,
  RS384,
  RS512,  // RSASSA-PKCS1-v1_5
  PS256,
  PS384,
  PS512,  // RSASSA-PSS, salt as long as the hash
  ES256,
  ES384,
  ES512,  // ECDSA on P-256, P-384, P-521; signature r ‖ s
  EdDSA,  // Ed25519 or Ed448
};
std::string_view name(Algorithm alg) noexcept;
// "HS256"... exactly as in RFC 7518; nullopt for anything else, "none" included.
std::optional<Algorithm> algorithm_from_name(std::string_view name) noexcept;

// Every way a token can fail, with PyJWT's messages ("Signature verification failed",
// "The specified alg value is not allowed", "Invalid audience"...). code() is
// errc::invalid_token. The message never contains a key or a secret.
class InvalidTokenError : public Error {
 public:
  explicit InvalidTokenError(const std::string& reason);

 protected:
  InvalidTokenError(errc code, const std::string& reason);
};
// The token was valid but its exp has passed ("Signature has expired"); errc::token_expired.
class ExpiredSignatureError : public InvalidTokenError {
 public:
  ExpiredSignatureError();
};

enum class KeyType { secret, rsa, ec, okp };

// A signing or verification key. Copies share the underlying key; usable from many threads.
class Key {
 public:
  // An HMAC secret (any bytes). A PEM or SSH public key passed as a secret is refused when used,
  // as PyJWT does, so an RSA public key can never stand in for an HMAC secret.
  static Key secret(std::string_view bytes);
  // A PEM key: private (PKCS#8, PKCS#1 "RSA PRIVATE KEY", SEC1 "EC PRIVATE KEY") or public
  // (SubjectPublicKeyInfo, PKCS#1 "RSA PUBLIC KEY", or an X.509 certificate's key). Encrypted
  // private keys are not supported. Throws Error(errc::invalid_argument).
  static Key pem(std::string_view pem_text);
  // A JSON Web Key (RFC 7517): kty "oct", "RSA", "EC" (P-256/384/521) or "OKP" (Ed25519,
  // Ed448); private when it carries "d". Its "kid" and "alg" are kept.
  static Key jwk(const nlohmann::json& jwk);
  static Key jwk(std::string_view jwk_json);

  KeyType type() const noexcept;
  bool is_private() const noexcept;  // secrets count as private: they sign
  // The key's size in bits (RSA modulus, curve order, secret length × 8).
  int bits() const noexcept;
  const std::string& kid() const noexcept;
  // The "alg" a JWK names, if any: decode then accepts only that algorithm with this key.
  std::optional<Algorithm> algorithm() const noexcept;
  // The public half as a JWK (no "d"); a secret's JWK includes "k".
  nlohmann::json to_jwk() const;

  struct Impl;
  const Impl& impl() const noexcept { return *impl_; }

 private:
  explicit Key(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// A JWK Set (RFC 7517 §5): keys chosen by the token header's "kid".
class KeySet {
 public:
  // {"keys": [...]}; keys of unsupported types or with "use": "enc" are skipped; throws
  // Error(errc::invalid_argument) if no usable key is left.
  static KeySet parse(std::string_view jwks_json);
  explicit KeySet(std::vector<Key> keys = {}) : keys_(std::move(keys)) {}
  void add(Key key) { keys_.push_back(std::move(key)); }
  // The key with this kid, or null.
  const Key* find(std::string_view kid) const noexcept;
  const std::vector<Key>& keys() const noexcept { return keys_; }

 private:
  std::vector<Key> keys_;
};

// Seconds since the Unix epoch `d` from now, for exp/nbf/iat claims.
std::int64_t from_now(std::chrono::seconds d);

// Signs `payload` (a JSON object) with `key`. The header is {"alg": ..., "typ": "JWT"} plus
// `headers` (e.g. {"kid": "k1"}), keys sorted, as PyJWT writes it. Throws Error(errc::
// invalid_argument) if the payload is not an object or the key cannot sign with `alg`.
std::string encode(const Json& payload, const Key& key, Algorithm alg, const Json& headers = {});

struct DecodeOptions {
  std::vector<Algorithm> algorithms;   // required: the algorithms this caller accepts
  std::chrono::seconds leeway{0};      // slack for exp, nbf and iat
  std::vector<std::string> audience;   // if set, "aud" must name one of these
  std::optional<std::string> issuer;   // if set, "iss" must equal it
  std::optional<std::string> subject;  // if set, "sub" must equal it
  std::vector<std::string> require;    // claims that must be present ("exp", "iat"...)
  bool verify_exp = true;
  bool verify_nbf = true;
  // Unix time to check against; the clock when unset (tests).
  std::optional<std::int64_t> now;
};

struct Decoded {
  Json header;
  Json payload;
};

// The verified payload; throws ExpiredSignatureError or InvalidTokenError, and
// Error(errc::invalid_argument) when options.algorithms is empty.
Json decode(std::string_view token, const Key& key, const DecodeOptions& options);
// The same, choosing the key by the header's "kid" (the only key when the set has one and the
// token names none).
Json decode(std::string_view token, const KeySet& keys, const DecodeOptions& options);
Decoded decode_complete(std::string_view token, const Key& key, const DecodeOptions& options);

// The header, unverified — to pick a key by "kid" before verifying. Throws InvalidTokenError if
// the token is malformed.
Json unverified_header(std::string_view token);
// Header and payload without any verification, for inspecting a token; never trust the result.
Decoded decode_unverified(std::string_view token);

// Largest token decode accepts (bytes); longer ones fail before any parsing.
inline constexpr std::size_t max_token_size = 64 * 1024;

}  // namespace wirekit::crypto::jwt
