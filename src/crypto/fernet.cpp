#include <algorithm>
#include <array>
#include <cstring>
#include <limits>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include <wirekit/codec.hpp>
#include <wirekit/crypto/fernet.hpp>

#include "openssl.hpp"

namespace wirekit::crypto {
namespace {

constexpr std::uint8_t version = 0x80;
constexpr std::size_t header_size = 1 + 8 + 16;  // version, timestamp, IV
constexpr std::size_t mac_size = 32;
constexpr std::size_t block = 16;

const EVP_CIPHER* aes128_cbc() {
  static const EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-128-CBC", nullptr);
  return cipher;
}

EVP_CIPHER_CTX* cipher_scratch() {
  thread_local detail::CipherCtxPtr ctx{EVP_CIPHER_CTX_new()};
  return ctx.get();
}

// Runs AES-128-CBC with PKCS#7 padding over `in` into `out` (room for in.size() + 16 bytes);
// returns the bytes written, or nullopt if the cipher refuses (a bad padding on decryption).
std::optional<std::size_t> cbc(bool encrypt, const std::uint8_t* key, const std::uint8_t* iv,
                               std::string_view in, std::uint8_t* out) {
  EVP_CIPHER_CTX* ctx = cipher_scratch();
  int len = 0;
  int final_len = 0;
  if (EVP_CipherInit_ex2(ctx, aes128_cbc(), key, iv, encrypt ? 1 : 0, nullptr) != 1 ||
      EVP_CipherUpdate(ctx, out, &len, reinterpret_cast<const std::uint8_t*>(in.data()),
                       static_cast<int>(in.size())) != 1 ||
      EVP_CipherFinal_ex(ctx, out + len, &final_len) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  return static_cast<std::size_t>(len + final_len);
}

}  // namespace

InvalidToken::InvalidToken() : Error(errc::invalid_token, "invalid Fernet token") {}

struct Fernet::Keys {
  Keys(std::span<const std::uint8_t, 32> key) : signer(detail::sha256(), key.first<16>()) {
    std::memcpy(encryption.data(), key.data() + 16, 16);
  }
  ~Keys() { OPENSSL_cleanse(encryption.data(), encryption.size()); }
  Keys(const Keys&) = default;

  detail::Hmac signer;
  std::array<std::uint8_t, 16> encryption{};
};

struct Fernet::Parts {
  std::int64_t timestamp;
  const std::uint8_t* iv;
  std::string_view ciphertext;
};

std::string Fernet::generate_key() {
  std::array<std::uint8_t, 32> key;
  detail::random_bytes(key);
  std::string text = codec::base64url_encode(std::as_bytes(std::span(key)), true);
  OPENSSL_cleanse(key.data(), key.size());
  return text;
}

Fernet::Fernet(std::string_view key) {
  std::string raw;
  try {
    raw = codec::base64url_decode(key);
  } catch (const Error&) {
    raw.clear();
  }
  if (raw.size() != 32) {
    OPENSSL_cleanse(raw.data(), raw.size());
    throw Error(errc::invalid_argument, "Fernet key must be 32 url-safe base64-encoded bytes");
  }
  keys_ = std::make_unique<Keys>(
      std::span<const std::uint8_t, 32>(reinterpret_cast<const std::uint8_t*>(raw.data()), 32));
  OPENSSL_cleanse(raw.data(), raw.size());
}

Fernet::~Fernet() = default;
Fernet::Fernet(Fernet&&) noexcept = default;
Fernet& Fernet::operator=(Fernet&&) noexcept = default;
Fernet::Fernet(const Fernet& other) : keys_(std::make_unique<Keys>(*other.keys_)) {}
Fernet& Fernet::operator=(const Fernet& other) {
  if (this != &other) keys_ = std::make_unique<Keys>(*other.keys_);
  return *this;
}

std::string Fernet::encrypt(std::string_view data) const {
  return encrypt_at_time(data, detail::unix_now());
}

std::string Fernet::encrypt_at_time(std::string_view data, std::int64_t unix_time) const {
  std::array<std::uint8_t, 16> iv;
  detail::random_bytes(iv);
  return encrypt_from_parts(data, unix_time, iv);
}

std::string Fernet::encrypt_from_parts(std::string_view data, std::int64_t unix_time,
                                       std::span<const std::uint8_t, 16> iv) const {
  const std::size_t padded = (data.size() / block + 1) * block;
  std::string raw(header_size + padded + mac_size, '\0');
  auto* bytes = reinterpret_cast<std::uint8_t*>(raw.data());
  bytes[0] = version;
  const auto stamp = static_cast<std::uint64_t>(unix_time);
  for (int i = 0; i < 8; ++i) bytes[1 + i] = static_cast<std::uint8_t>(stamp >> (56 - 8 * i));
  std::memcpy(bytes + 9, iv.data(), iv.size());
  if (cbc(true, keys_->encryption.data(), iv.data(), data, bytes + header_size) != padded) {
    throw Error(errc::invalid_argument, "Fernet encryption failed: " + detail::openssl_error());
  }
  const std::string_view signed_part(raw.data(), header_size + padded);
  keys_->signer.sign({signed_part}, bytes + header_size + padded);
  std::string token = codec::base64url_encode(raw, true);
  OPENSSL_cleanse(raw.data(), raw.size());
  return token;
}

Fernet::Parts Fernet::verified(std::string_view token, std::string& raw) const {
  // cryptography's base64 decoder wants the padding; so do we, for the same verdicts.
  if (token.size() % 4 != 0) throw InvalidToken();
  try {
    raw = codec::base64url_decode(token);
  } catch (const Error&) {
    throw InvalidToken();
  }
  if (raw.size() < header_size + block + mac_size ||
      (raw.size() - header_size - mac_size) % block != 0 ||
      static_cast<std::uint8_t>(raw[0]) != version) {
    throw InvalidToken();
  }
  const std::string_view body(raw.data(), raw.size() - mac_size);
  if (!keys_->signer.verify({body}, std::string_view(raw).substr(body.size()))) {
    throw InvalidToken();
  }
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(raw.data());
  std::uint64_t stamp = 0;
  for (int i = 0; i < 8; ++i) stamp = (stamp << 8) | bytes[1 + i];
  // Past 2^62 seconds a stamp is in the future for any clock; refusing it keeps the TTL
  // arithmetic below signed and exact.
  if (stamp > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / 2)) {
    throw InvalidToken();
  }
  return {static_cast<std::int64_t>(stamp), bytes + 9, body.substr(header_size)};
}

std::string Fernet::decrypt(std::string_view token, std::optional<std::chrono::seconds> ttl) const {
  return decrypt_checked(token, ttl, detail::unix_now());
}

std::string Fernet::decrypt_at_time(std::string_view token, std::chrono::seconds ttl,
                                    std::int64_t unix_time) const {
  return decrypt_checked(token, ttl, unix_time);
}

std::string Fernet::plaintext(const Parts& parts) const {
  std::string out(parts.ciphertext.size(), '\0');
  const auto written = cbc(false, keys_->encryption.data(), parts.iv, parts.ciphertext,
                           reinterpret_cast<std::uint8_t*>(out.data()));
  if (!written) throw InvalidToken();
  out.resize(*written);
  return out;
}

std::string Fernet::decrypt_checked(std::string_view token, std::optional<std::chrono::seconds> ttl,
                                    std::int64_t now) const {
  std::string raw;
  const Parts parts = verified(token, raw);
  // As cryptography: the clock is consulted only when a TTL is given.
  if (ttl &&
      (parts.timestamp + ttl->count() < now || now + max_clock_skew.count() < parts.timestamp)) {
    throw InvalidToken();
  }
  return plaintext(parts);
}

std::int64_t Fernet::extract_timestamp(std::string_view token) const {
  std::string raw;
  return verified(token, raw).timestamp;
}

MultiFernet::MultiFernet(std::vector<Fernet> fernets) : fernets_(std::move(fernets)) {
  if (fernets_.empty()) throw Error(errc::invalid_argument, "MultiFernet needs at least one key");
}

template <class Attempt>
auto MultiFernet::first_success(Attempt attempt) const {
  for (const Fernet& fernet : fernets_) {
    try {
      return attempt(fernet);
    } catch (const InvalidToken&) {
    }
  }
  throw InvalidToken();
}

std::string MultiFernet::encrypt(std::string_view data) const {
  return fernets_.front().encrypt(data);
}

std::string MultiFernet::encrypt_at_time(std::string_view data, std::int64_t unix_time) const {
  return fernets_.front().encrypt_at_time(data, unix_time);
}

std::string MultiFernet::decrypt(std::string_view token,
                                 std::optional<std::chrono::seconds> ttl) const {
  return first_success([&](const Fernet& f) { return f.decrypt(token, ttl); });
}

std::string MultiFernet::decrypt_at_time(std::string_view token, std::chrono::seconds ttl,
                                         std::int64_t unix_time) const {
  return first_success([&](const Fernet& f) { return f.decrypt_at_time(token, ttl, unix_time); });
}

std::int64_t MultiFernet::extract_timestamp(std::string_view token) const {
  return first_success([&](const Fernet& f) { return f.extract_timestamp(token); });
}

std::string MultiFernet::rotate(std::string_view token) const {
  // As cryptography does: no TTL or clock-skew check, and the original timestamp is kept.
  return first_success([&](const Fernet& f) {
    std::string raw;
    const Fernet::Parts parts = f.verified(token, raw);
    const std::string data = f.plaintext(parts);
    return fernets_.front().encrypt_at_time(data, parts.timestamp);
  });
}

}  // namespace wirekit::crypto
