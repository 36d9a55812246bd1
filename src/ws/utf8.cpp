// A table-driven DFA over byte classes: each state says which bytes may come next, so the
// first byte that makes the input impossible moves to `reject` at once. Runs of ASCII between
// code points are skipped 8 bytes at a time.
#include <array>
#include <cstddef>
#include <cstring>

#include <wirekit/ws/utf8.hpp>

namespace wirekit::ws {

namespace {

// Byte classes: the continuation bytes are split by the ranges that the second byte of
// E0, ED, F0 and F4 sequences must fall in (RFC 3629 §4).
enum Class : std::uint8_t {
  ascii,     // 00..7F
  cont_80,   // 80..8F
  cont_90,   // 90..9F
  cont_a0,   // A0..BF
  invalid,   // C0, C1 (overlong 2-byte forms), F5..FF (beyond U+10FFFF, 5- and 6-byte forms)
  lead2,     // C2..DF
  lead3_e0,  // E0: then A0..BF, or it would be overlong
  lead3,     // E1..EC, EE, EF
  lead3_ed,  // ED: then 80..9F, or it would be a surrogate
  lead4_f0,  // F0: then 90..BF, or it would be overlong
  lead4,     // F1..F3
  lead4_f4,  // F4: then 80..8F, or it would pass U+10FFFF
};
constexpr std::size_t class_count = lead4_f4 + 1;

// States: `accept` (0, between code points) and `reject` first, then the open sequences by
// what they still need.
enum State : std::uint8_t {
  accept,
  reject,
  need1,     // one continuation byte
  need2,     // two continuation bytes
  need2_e0,  // A0..BF, then one more
  need2_ed,  // 80..9F, then one more
  need3,     // three continuation bytes
  need3_f0,  // 90..BF, then two more
  need3_f4,  // 80..8F, then two more
};
constexpr std::size_t state_count = need3_f4 + 1;

constexpr std::array<std::uint8_t, 256> make_classes() {
  std::array<std::uint8_t, 256> c{};
  for (int b = 0; b < 256; ++b) {
    Class k = invalid;
    if (b < 0x80) {
      k = ascii;
    } else if (b < 0x90) {
      k = cont_80;
    } else if (b < 0xa0) {
      k = cont_90;
    } else if (b < 0xc0) {
      k = cont_a0;
    } else if (b >= 0xc2 && b < 0xe0) {
      k = lead2;
    } else if (b == 0xe0) {
      k = lead3_e0;
    } else if (b == 0xed) {
      k = lead3_ed;
    } else if (b > 0xe0 && b < 0xf0) {
      k = lead3;
    } else if (b == 0xf0) {
      k = lead4_f0;
    } else if (b > 0xf0 && b < 0xf4) {
      k = lead4;
    } else if (b == 0xf4) {
      k = lead4_f4;
    }
    c[static_cast<std::size_t>(b)] = k;
  }
  return c;
}

constexpr std::array<std::uint8_t, state_count * class_count> make_transitions() {
  std::array<std::uint8_t, state_count * class_count> t{};
  for (auto& s : t) s = reject;
  const auto set = [&t](State from, Class c, State to) {
    t[std::size_t{from} * class_count + std::size_t{c}] = to;
  };
  set(accept, ascii, accept);
  set(accept, lead2, need1);
  set(accept, lead3_e0, need2_e0);
  set(accept, lead3, need2);
  set(accept, lead3_ed, need2_ed);
  set(accept, lead4_f0, need3_f0);
  set(accept, lead4, need3);
  set(accept, lead4_f4, need3_f4);
  for (const Class c : {cont_80, cont_90, cont_a0}) {
    set(need1, c, accept);
    set(need2, c, need1);
    set(need3, c, need2);
  }
  set(need2_e0, cont_a0, need1);
  set(need2_ed, cont_80, need1);
  set(need2_ed, cont_90, need1);
  set(need3_f0, cont_90, need2);
  set(need3_f0, cont_a0, need2);
  set(need3_f4, cont_80, need2);
  return t;
}

constexpr auto classes = make_classes();
constexpr auto transitions = make_transitions();

constexpr std::uint64_t high_bits = 0x8080808080808080ULL;

}  // namespace

bool Utf8Validator::feed(std::string_view bytes) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* const end = p + bytes.size();
  std::uint8_t state = state_;
  if (state == reject) return false;
  while (p != end) {
    if (state == accept) {
      while (end - p >= 8) {
        std::uint64_t word;
        std::memcpy(&word, p, sizeof word);
        if ((word & high_bits) != 0) break;
        p += 8;
      }
      while (p != end && *p < 0x80) ++p;
      if (p == end) break;
    }
    state = transitions[std::size_t{state} * class_count + classes[*p++]];
    if (state == reject) break;
  }
  state_ = state;
  return state != reject;
}

bool is_valid_utf8(std::string_view bytes) noexcept {
  Utf8Validator v;
  return v.feed(bytes) && v.complete();
}

}  // namespace wirekit::ws
