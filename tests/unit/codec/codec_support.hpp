// Helpers shared by the codec's tests: sample bodies, running external tools on them, and
// decoding streams with the compression libraries directly, independently of wirekit.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include <wirekit/codec.hpp>

namespace wirekit::codec::test {

inline constexpr std::array<Encoding, 5> all_encodings{
    Encoding::identity, Encoding::gzip, Encoding::deflate, Encoding::br, Encoding::zstd};
inline constexpr std::array<Encoding, 4> compressing_encodings{Encoding::gzip, Encoding::deflate,
                                                               Encoding::br, Encoding::zstd};

inline std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s));
}

inline std::string random_bytes(std::size_t n, std::uint32_t seed = 1) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(gen() & 0xff);
  return s;
}

// Text like a server's access log: compresses well, though not to nothing.
inline std::string repetitive(std::size_t n) {
  std::string s;
  s.reserve(n + 100);
  for (unsigned i = 0; s.size() < n; ++i) {
    s += "GET /static/app.js HTTP/1.1 200 " + std::to_string(i * 7919 % 100'000) +
         " \"Mozilla/5.0\"\n";
  }
  s.resize(n);
  return s;
}

// Compares bodies without printing megabytes when they differ.
inline ::testing::AssertionResult same_bytes(std::string_view actual, std::string_view expected) {
  if (actual == expected) return ::testing::AssertionSuccess();
  std::size_t at = 0;
  while (at < actual.size() && at < expected.size() && actual[at] == expected[at]) ++at;
  return ::testing::AssertionFailure() << actual.size() << " bytes instead of " << expected.size()
                                       << ", first difference at offset " << at;
}
// The same for the output of run_filter().
inline ::testing::AssertionResult same_output(const std::optional<std::string>& actual,
                                              std::string_view expected) {
  if (!actual) return ::testing::AssertionFailure() << "the command failed";
  return same_bytes(*actual, expected);
}

// Whether a command is on the PATH.
bool have_command(const char* name);
// Whether /usr/bin/python3 can import `module`.
bool have_python_module(const char* name);
// Runs a shell command with `input` on its stdin; its stdout, or std::nullopt if it failed.
std::optional<std::string> run_filter(const std::string& command, std::string_view input);

// Decodes a stream that may be incomplete, as a client does with a body still arriving:
// everything the bytes so far allow, without requiring the end of the stream.
std::string decode_prefix(Encoding e, std::string_view stream);

// Raw DEFLATE (RFC 1951, no zlib header), compressed with zlib.
std::string raw_deflate(std::string_view data);

}  // namespace wirekit::codec::test
