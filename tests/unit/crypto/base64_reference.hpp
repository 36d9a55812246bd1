// A base64url written apart from wirekit's codec, so the crypto tests take tokens apart and
// forge them without trusting the code under test.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace wirekit::crypto::test {

inline constexpr std::string_view b64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// url-safe base64; padded as Python's base64.urlsafe_b64encode (Fernet), or not (JWS).
inline std::string b64url_encode(std::string_view bytes, bool pad) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : bytes) {
    acc = (acc << 8) | std::uint8_t(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += b64_alphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += b64_alphabet[(acc << (6 - bits)) & 63];
  while (pad && out.size() % 4 != 0) out += '=';
  return out;
}

// Decodes url-safe base64 (padding optional); throws std::invalid_argument on other characters.
inline std::string b64url_decode(std::string_view text) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const char c : text) {
    if (c == '=') break;
    const std::size_t v = b64_alphabet.find(c);
    if (v == std::string_view::npos) throw std::invalid_argument("not base64url");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

}  // namespace wirekit::crypto::test
