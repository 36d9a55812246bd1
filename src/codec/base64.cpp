// base64 and base64url (RFC 4648 §4, §5).
#include <array>
#include <cstdint>

#include <fmt/format.h>

#include <wirekit/codec.hpp>
#include <wirekit/core/error.hpp>

namespace wirekit::codec {

namespace {

constexpr std::uint8_t invalid = 0xff;

struct Alphabet {
  const char* name;
  std::array<char, 64> digits;
  std::array<std::uint8_t, 256> values;  // digit -> value, `invalid` for other bytes
};

constexpr Alphabet make_alphabet(const char* name, char digit62, char digit63) {
  Alphabet a{name, {}, {}};
  constexpr std::string_view common =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  for (std::size_t i = 0; i < common.size(); ++i) a.digits[i] = common[i];
  a.digits[62] = digit62;
  a.digits[63] = digit63;
  a.values.fill(invalid);
  for (std::size_t i = 0; i < 64; ++i) {
    a.values[static_cast<unsigned char>(a.digits[i])] = static_cast<std::uint8_t>(i);
  }
  return a;
}

constexpr Alphabet standard = make_alphabet("base64", '+', '/');
constexpr Alphabet url = make_alphabet("base64url", '-', '_');

std::string encode(std::span<const std::byte> data, const Alphabet& a, bool pad) {
  const std::size_t full = data.size() / 3;
  const std::size_t rest = data.size() % 3;
  const std::size_t size = full * 4 + (rest == 0 ? 0 : pad ? 4 : rest + 1);
  std::string text(size, '=');
  char* out = text.data();
  const auto byte = [&](std::size_t i) { return std::to_integer<std::uint32_t>(data[i]); };
  const auto digit = [&](std::uint32_t v) { return a.digits[v & 0x3f]; };
  for (std::size_t i = 0; i < full * 3; i += 3) {
    const std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    *out++ = digit(v >> 18);
    *out++ = digit(v >> 12);
    *out++ = digit(v >> 6);
    *out++ = digit(v);
  }
  if (rest > 0) {
    const std::size_t i = full * 3;
    const std::uint32_t v = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
    *out++ = digit(v >> 18);
    *out++ = digit(v >> 12);
    if (rest == 2) *out = digit(v >> 6);
  }
  return text;
}

[[noreturn]] void reject(const Alphabet& a, std::string_view why) {
  throw Error(errc::invalid_argument, fmt::format("invalid {}: {}", a.name, why));
}

[[noreturn]] void reject_character(const Alphabet& a, std::string_view text, std::size_t at) {
  const auto c = static_cast<unsigned char>(text[at]);
  const std::string shown = c >= 0x21 && c < 0x7f ? fmt::format("'{}'", static_cast<char>(c))
                                                  : fmt::format("0x{:02x}", c);
  reject(a, fmt::format("unexpected character {} at offset {}", shown, at));
}

// `text` without its padding, whose length the caller checked.
std::string decode_digits(std::string_view text, std::string_view digits, const Alphabet& a) {
  if (digits.size() % 4 == 1) {
    reject(a, fmt::format("length {}: a last group of one character holds no byte", text.size()));
  }
  const std::size_t full = digits.size() / 4;
  const std::size_t rest = digits.size() % 4;
  std::string data(full * 3 + (rest == 0 ? 0 : rest - 1), '\0');
  char* out = data.data();
  const auto value = [&](std::size_t i) -> std::uint32_t {
    const std::uint8_t v = a.values[static_cast<unsigned char>(digits[i])];
    if (v == invalid) reject_character(a, text, i);
    return v;
  };
  for (std::size_t i = 0; i < full * 4; i += 4) {
    const std::uint32_t v = value(i) << 18 | value(i + 1) << 12 | value(i + 2) << 6 | value(i + 3);
    *out++ = static_cast<char>(v >> 16);
    *out++ = static_cast<char>(v >> 8);
    *out++ = static_cast<char>(v);
  }
  if (rest > 0) {
    const std::size_t i = full * 4;
    const std::uint32_t v =
        value(i) << 18 | value(i + 1) << 12 | (rest == 3 ? value(i + 2) << 6 : 0);
    // Bits below the last byte must be zero, or several texts would decode to the same bytes.
    if ((rest == 2 ? v & 0xffff : v & 0xff) != 0) reject(a, "non-zero bits after the last byte");
    *out++ = static_cast<char>(v >> 16);
    if (rest == 3) *out = static_cast<char>(v >> 8);
  }
  return data;
}

std::string decode(std::string_view text, const Alphabet& a, bool padding_required) {
  std::string_view digits = text;
  std::size_t padding = 0;
  while (padding < 2 && !digits.empty() && digits.back() == '=') {
    digits.remove_suffix(1);
    ++padding;
  }
  if ((padding_required || padding > 0) && text.size() % 4 != 0) {
    reject(a, fmt::format("length {} is not a multiple of 4", text.size()));
  }
  return decode_digits(text, digits, a);
}

}  // namespace

std::string base64_encode(std::span<const std::byte> data) {
  return encode(data, standard, true);
}

std::string base64url_encode(std::span<const std::byte> data, bool pad) {
  return encode(data, url, pad);
}

std::string base64_decode(std::string_view text) {
  return decode(text, standard, true);
}

std::string base64url_decode(std::string_view text) {
  return decode(text, url, false);
}

}  // namespace wirekit::codec
