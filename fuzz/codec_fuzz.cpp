// Fuzzes the decoders of HTTP bodies and base64, which read whatever a peer sends. The first
// byte picks the content coding, the rest is the body. They must return or throw
// wirekit::Error, never crash, and never decode past the limit.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <wirekit/codec.hpp>
#include <wirekit/core/error.hpp>

namespace {

constexpr std::size_t max_output = 1 << 20;
// Re-encoding bigger bodies would slow the fuzzer down without covering more of the decoders.
constexpr std::size_t max_round_trip = std::size_t{64} * 1024;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace wirekit::codec;
  if (size == 0) return 0;
  const auto e = static_cast<Encoding>(data[0] % 5);
  const std::span<const std::byte> body(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  try {
    const std::string decoded = decompress(e, body, max_output);
    if (decoded.size() > max_output) __builtin_trap();
    // What we decode, we must encode into something we decode back the same.
    if (decoded.size() <= max_round_trip &&
        decompress(e, compress(e, decoded), max_output) != decoded) {
      __builtin_trap();
    }
  } catch (const wirekit::Error&) {
  }

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    // base64 has one accepted text per byte string, so decoding then encoding gives it back.
    if (base64_encode(base64_decode(text)) != text) __builtin_trap();
  } catch (const wirekit::Error&) {
  }
  try {
    const std::string bytes = base64url_decode(text);
    std::string_view unpadded = text;
    while (unpadded.ends_with('=')) unpadded.remove_suffix(1);
    if (base64url_encode(bytes) != unpadded) __builtin_trap();
  } catch (const wirekit::Error&) {
  }
  return 0;
}
