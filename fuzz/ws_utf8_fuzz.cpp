// Fuzzes the UTF-8 validator against a reference written differently: code point ranges
// instead of a state table. Besides agreeing on validity, it checks the fail-fast promise (feed
// fails at exactly the first byte no continuation could save) and that any split of the input
// into pieces gives the verdict of the whole.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <wirekit/ws/utf8.hpp>

namespace {

using wirekit::ws::Utf8Validator;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Verdict {
  std::size_t fails_at = std::string_view::npos;  // the first byte that makes it impossible
  bool truncated = false;                         // valid so far, but inside a code point
};

// Whether a sequence of `length` bytes starting with `prefix` can still encode a scalar value:
// the code points it may become form the interval between filling the missing bytes with 80
// and with BF, which must meet the values of that length outside the surrogates.
bool can_complete(std::string_view prefix, std::size_t length) {
  const auto lead = static_cast<unsigned char>(prefix[0]);
  const unsigned lead_bits = length == 2 ? 0x1fU : length == 3 ? 0x0fU : 0x07U;
  std::uint32_t lo = lead & lead_bits;
  std::uint32_t hi = lo;
  for (std::size_t i = 1; i < length; ++i) {
    const unsigned b = i < prefix.size() ? static_cast<unsigned char>(prefix[i]) & 0x3fU : 0U;
    lo = (lo << 6) | b;
    hi = (hi << 6) | (i < prefix.size() ? b : 0x3fU);
  }
  const std::uint32_t min = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
  const std::uint32_t max = length == 2 ? 0x7ff : length == 3 ? 0xffff : 0x10ffff;
  if (hi < min || lo > max) return false;
  // Only surrogates in [lo, hi]: the interval lies within D800..DFFF.
  return !(lo >= 0xd800 && hi <= 0xdfff);
}

Verdict reference(std::string_view s) {
  Verdict v;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    const std::size_t length = (lead & 0xe0U) == 0xc0U   ? 2
                               : (lead & 0xf0U) == 0xe0U ? 3
                               : (lead & 0xf8U) == 0xf0U ? 4
                                                         : 0;
    if (length == 0 || !can_complete(s.substr(i, 1), length)) {
      v.fails_at = i;
      return v;
    }
    for (std::size_t j = 1; j < length; ++j) {
      if (i + j == s.size()) {
        v.truncated = true;
        return v;
      }
      if ((static_cast<unsigned char>(s[i + j]) & 0xc0U) != 0x80U ||
          !can_complete(s.substr(i, j + 1), length)) {
        v.fails_at = i + j;
        return v;
      }
    }
    i += length;
  }
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const Verdict expected = reference(input);
  const bool valid = expected.fails_at == std::string_view::npos;

  check(wirekit::ws::is_valid_utf8(input) == (valid && !expected.truncated));

  // Byte by byte: feed fails at exactly the first impossible byte, and stays failed.
  Utf8Validator bytewise;
  for (std::size_t i = 0; i < input.size(); ++i) {
    check(bytewise.feed(input.substr(i, 1)) == (i < expected.fails_at));
  }
  check(bytewise.complete() == (valid && !expected.truncated));

  // In pieces sized by the input itself: the verdict of the whole.
  Utf8Validator pieces;
  bool ok = true;
  for (std::size_t at = 0, k = 0; at < input.size(); ++k) {
    const std::size_t piece =
        1 + static_cast<unsigned char>(input[(k * 31 + 7) % input.size()]) % 19;
    ok = pieces.feed(input.substr(at, piece)) && ok;
    at += piece;
  }
  check(ok == valid);
  check(pieces.complete() == (valid && !expected.truncated));
  return 0;
}
