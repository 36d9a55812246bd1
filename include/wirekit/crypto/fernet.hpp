// Fernet (https://github.com/fernet/spec), byte-compatible with Python's cryptography.fernet.
//
//   auto key = crypto::Fernet::generate_key();           // 44 characters of url-safe base64
//   crypto::Fernet f(key);
//   std::string token = f.encrypt("Hello, secure world!");
//   std::string text = f.decrypt(token);                  // throws crypto::InvalidToken
//
// A token is base64url(0x80 ‖ timestamp (8 bytes, big-endian) ‖ IV (16) ‖ AES-128-CBC
// ciphertext ‖ HMAC-SHA256 of all that). Given the same key, time and IV, encrypt produces the
// bytes cryptography produces, and each decrypts the other's tokens.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <wirekit/core/error.hpp>

namespace wirekit::crypto {

// The one error of Fernet decryption, whatever the cause — wrong key, tampered, truncated,
// expired or future token — as cryptography's InvalidToken: telling the causes apart would
// tell an attacker which guess came closer. code() is errc::invalid_token.
class InvalidToken : public Error {
 public:
  InvalidToken();
};

class Fernet {
 public:
  // With a TTL, how far in the future a token's timestamp may be before it is refused
  // (cryptography's _MAX_CLOCK_SKEW). Without a TTL the time is not checked, as in cryptography.
  static constexpr std::chrono::seconds max_clock_skew{60};

  // 32 random bytes (OpenSSL's CSPRNG), url-safe base64 with padding.
  static std::string generate_key();

  // `key`: 32 bytes in url-safe base64, as generate_key makes them (the first 16 sign, the last
  // 16 encrypt). Throws Error(errc::invalid_argument) naming the problem, never the key.
  explicit Fernet(std::string_view key);
  ~Fernet();
  Fernet(Fernet&&) noexcept;
  Fernet& operator=(Fernet&&) noexcept;
  Fernet(const Fernet&);
  Fernet& operator=(const Fernet&);

  // A token for `data` stamped with the current time and a random IV.
  std::string encrypt(std::string_view data) const;
  // The same at a given Unix time (seconds), for tests and replays.
  std::string encrypt_at_time(std::string_view data, std::int64_t unix_time) const;
  // Fully determined by its inputs: the vectors of cryptography's _encrypt_from_parts.
  std::string encrypt_from_parts(std::string_view data, std::int64_t unix_time,
                                 std::span<const std::uint8_t, 16> iv) const;

  // The plaintext; throws InvalidToken. With a TTL, tokens older than it, or stamped more than
  // max_clock_skew ahead, are refused. Tokens must be padded, as cryptography requires.
  std::string decrypt(std::string_view token,
                      std::optional<std::chrono::seconds> ttl = std::nullopt) const;
  std::string decrypt_at_time(std::string_view token, std::chrono::seconds ttl,
                              std::int64_t unix_time) const;

  // The token's timestamp once its HMAC checks out; throws InvalidToken.
  std::int64_t extract_timestamp(std::string_view token) const;

 private:
  friend class MultiFernet;
  struct Keys;
  // Checks the token and returns its timestamp, IV and ciphertext; throws InvalidToken.
  struct Parts;
  Parts verified(std::string_view token, std::string& raw) const;
  std::string plaintext(const Parts& parts) const;
  std::string decrypt_checked(std::string_view token, std::optional<std::chrono::seconds> ttl,
                              std::int64_t now) const;
  std::unique_ptr<Keys> keys_;
};

// Key rotation (cryptography's MultiFernet): the first key encrypts, every key decrypts.
class MultiFernet {
 public:
  // Throws Error(errc::invalid_argument) when `fernets` is empty.
  explicit MultiFernet(std::vector<Fernet> fernets);

  std::string encrypt(std::string_view data) const;
  std::string encrypt_at_time(std::string_view data, std::int64_t unix_time) const;
  std::string decrypt(std::string_view token,
                      std::optional<std::chrono::seconds> ttl = std::nullopt) const;
  std::string decrypt_at_time(std::string_view token, std::chrono::seconds ttl,
                              std::int64_t unix_time) const;
  std::int64_t extract_timestamp(std::string_view token) const;
  // The token re-encrypted under the first key, keeping its original timestamp (so a TTL still
  // counts from when it was first issued); throws InvalidToken if no key opens it.
  std::string rotate(std::string_view token) const;

 private:
  template <class Attempt>
  auto first_success(Attempt attempt) const;
  std::vector<Fernet> fernets_;
};

}  // namespace wirekit::crypto
