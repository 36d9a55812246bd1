// The WebSocket frame codec: header forms, masking, every rule of a strict endpoint with the
// close code it fails with (protocol-facts §1e items 2–9), input chopped anywhere, and the
// encoder's fragments, compression and masks, decoded back.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include <wirekit/core/error.hpp>
#include <wirekit/ws/frame.hpp>

namespace {

using namespace wirekit::ws;
using namespace std::literals;
using Kind = Event::Kind;

constexpr std::array<std::uint8_t, 4> key{0x37, 0xfa, 0x21, 0x3d};  // RFC 6455 §5.7's

// A frame as a peer might write it, valid or not: `b0` is the first byte (FIN, RSV, opcode),
// the length in the shortest form unless `form` asks for 16 or 64 bits, or `declared`
// overrides it.
std::string raw(unsigned b0, std::string_view payload, bool masked = true, int form = 0,
                std::optional<std::uint64_t> declared = {}) {
  const std::uint64_t length = declared.value_or(payload.size());
  std::string out(1, static_cast<char>(b0));
  const unsigned mask_bit = masked ? 0x80U : 0U;
  if (form == 0 && length < 126) {
    out += static_cast<char>(mask_bit | length);
  } else if (form == 16 || (form == 0 && length <= 0xffff)) {
    out += static_cast<char>(mask_bit | 126U);
    out += static_cast<char>(length >> 8);
    out += static_cast<char>(length);
  } else {
    out += static_cast<char>(mask_bit | 127U);
    for (int i = 7; i >= 0; --i) out += static_cast<char>(length >> (8 * i));
  }
  std::string body(payload);
  if (masked) {
    out.append(reinterpret_cast<const char*>(key.data()), key.size());
    apply_mask(body, key);
  }
  return out + body;
}

struct Rec {
  Kind kind;
  std::uint16_t code;
  std::string payload;
  bool operator==(const Rec&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Rec& r) {
  return os << "{kind " << static_cast<int>(r.kind) << ", code " << r.code << ", \"" << r.payload
            << "\"}";
}

// Every event of `wire` fed in pieces of `piece` bytes (0: at once), each piece a fresh buffer
// dropped after the call, as a connection's reads would be; stops at a failure.
std::vector<Rec> decode(Decoder& decoder, std::string_view wire, std::size_t piece = 0) {
  std::vector<Rec> out;
  const std::size_t step = piece == 0 ? std::max<std::size_t>(wire.size(), 1) : piece;
  for (std::size_t at = 0; at < wire.size() || at == 0; at += step) {
    std::string buffer(wire.substr(at, step));
    std::size_t used_total = 0;
    for (;;) {
      std::size_t used = 0;
      const Event e = decoder.next(std::span<char>(buffer).subspan(used_total), used);
      used_total += used;
      if (e.kind == Kind::need_more) break;
      out.push_back({e.kind, e.code, std::string(e.payload)});
      if (e.kind == Kind::failure) return out;
    }
    if (wire.empty()) break;
  }
  return out;
}

std::vector<Rec> decode(Role role, std::string_view wire, std::size_t piece = 0,
                        DecoderOptions options = {}, Decompressor* inflater = nullptr) {
  Decoder decoder(role, options, inflater);
  return decode(decoder, wire, piece);
}

// The code a server fails `wire` with, 0 if it does not fail.
std::uint16_t failure_code(std::string_view wire, DecoderOptions options = {},
                           Decompressor* inflater = nullptr, Role role = Role::server) {
  const auto events = decode(role, wire, 0, options, inflater);
  return !events.empty() && events.back().kind == Kind::failure ? events.back().code : 0;
}

Rec text(std::string s) {
  return {Kind::text, 0, std::move(s)};
}
Rec binary(std::string s) {
  return {Kind::binary, 0, std::move(s)};
}

// --- headers and masking

TEST(FrameHeader, UsesTheShortestLengthForm) {
  char h[max_header_size];
  const std::pair<std::uint64_t, std::size_t> cases[] = {
      {0, 2}, {125, 2}, {126, 4}, {127, 4}, {65535, 4}, {65536, 10}, {(1ULL << 32) + 5, 10}};
  for (const auto& [length, size] : cases) {
    EXPECT_EQ(write_frame_header(h, true, false, Opcode::binary, length, nullptr), size) << length;
    EXPECT_EQ(write_frame_header(h, true, false, Opcode::binary, length, &key), size + 4) << length;
  }
  ASSERT_EQ(write_frame_header(h, true, false, Opcode::binary, 256, nullptr), 4U);
  EXPECT_EQ(std::string_view(h, 4), "\x82\x7e\x01\x00"sv);  // RFC 6455 §5.7
  ASSERT_EQ(write_frame_header(h, true, false, Opcode::binary, 65536, nullptr), 10U);
  EXPECT_EQ(std::string_view(h, 10), "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00"sv);
  ASSERT_EQ(write_frame_header(h, false, true, Opcode::text, 5, &key), 6U);
  EXPECT_EQ(std::string_view(h, 6), "\x41\x85\x37\xfa\x21\x3d"sv);
}

TEST(FrameMask, MatchesTheBytewiseRuleAtEveryOffsetAndAlignment) {
  std::string data;
  for (int i = 0; i < 67; ++i) data += static_cast<char>(i * 7 + 1);
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t start = 0; start < 9; ++start) {
      for (std::size_t length = 0; start + length <= data.size(); length += 5) {
        std::string buffer = data;
        apply_mask(std::span<char>(buffer.data() + start, length), key, offset);
        for (std::size_t i = 0; i < data.size(); ++i) {
          const bool inside = i >= start && i < start + length;
          const char expected =
              inside ? static_cast<char>(data[i] ^ key[(offset + i - start) % 4]) : data[i];
          ASSERT_EQ(buffer[i], expected) << offset << " " << start << " " << length;
        }
      }
    }
  }
}

TEST(FrameMask, UnmaskingInPiecesEqualsUnmaskingAtOnce) {
  const std::string data(100, 'q');
  std::string whole = data;
  apply_mask(whole, key);
  for (std::size_t piece = 1; piece < 20; ++piece) {
    std::string split = data;
    for (std::size_t at = 0; at < split.size(); at += piece) {
      apply_mask(std::span<char>(split).subspan(at, std::min(piece, split.size() - at)), key, at);
    }
    EXPECT_EQ(split, whole) << piece;
  }
}

// --- RFC 6455 §5.7 examples

TEST(FrameDecoder, DecodesTheRfcExamples) {
  EXPECT_EQ(decode(Role::client, "\x81\x05Hello"sv), std::vector{text("Hello")});
  EXPECT_EQ(decode(Role::server, "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58"sv),
            std::vector{text("Hello")});
  EXPECT_EQ(decode(Role::client, "\x01\x03Hel\x80\x02lo"sv), std::vector{text("Hello")});
  EXPECT_EQ(decode(Role::client, "\x89\x05Hello"sv), (std::vector{Rec{Kind::ping, 0, "Hello"}}));
  EXPECT_EQ(decode(Role::client, "\x8a\x05Hello"sv), (std::vector{Rec{Kind::pong, 0, "Hello"}}));
  EXPECT_EQ(decode(Role::client, "\x82\x7e\x01\x00"s + std::string(256, 'b')),
            std::vector{binary(std::string(256, 'b'))});
}

TEST(FrameDecoder, DecodesEveryLengthForm) {  // Autobahn 1.1, 1.2
  for (const std::size_t n :
       std::initializer_list<std::size_t>{0, 125, 126, 127, 128, 65535, 65536}) {
    const std::string payload(n, 'x');
    EXPECT_EQ(decode(Role::server, raw(0x81, payload)), std::vector{text(payload)}) << n;
    EXPECT_EQ(decode(Role::server, raw(0x82, payload)), std::vector{binary(payload)}) << n;
    EXPECT_EQ(decode(Role::client, raw(0x82, payload, false)), std::vector{binary(payload)}) << n;
  }
}

TEST(FrameDecoder, HandsOutAWholeFrameInPlace) {
  std::string wire = raw(0x82, "in place");
  Decoder decoder(Role::server);
  std::size_t used = 0;
  const Event e = decoder.next(wire, used);
  ASSERT_EQ(e.kind, Kind::binary);
  EXPECT_EQ(used, wire.size());
  EXPECT_EQ(e.payload, "in place");
  EXPECT_EQ(e.payload.data(), wire.data() + 6);
}

TEST(FrameDecoder, TakesOneEventPerCallAndLeavesTheRest) {
  std::string wire = raw(0x81, "one") + raw(0x89, "p") + raw(0x82, "two");
  Decoder decoder(Role::server);
  std::size_t used = 0;
  std::size_t at = 0;
  EXPECT_EQ(decoder.next(wire, used).payload, "one");
  at += used;
  EXPECT_EQ(used, 9U);
  const Event ping = decoder.next(std::span<char>(wire).subspan(at), used);
  at += used;
  EXPECT_EQ(ping.kind, Kind::ping);
  EXPECT_EQ(decoder.next(std::span<char>(wire).subspan(at), used).payload, "two");
  at += used;
  EXPECT_EQ(at, wire.size());
  EXPECT_EQ(decoder.next(std::span<char>(wire).subspan(at), used).kind, Kind::need_more);
}

// --- chopping (Autobahn 1.1.8, 5.19, 5.20, 9.5, 9.6)

TEST(FrameDecoder, GivesTheSameEventsHoweverTheInputIsChopped) {
  const std::string wire = raw(0x81, "Hello") + raw(0x01, "Hel") + raw(0x89, "ping!") +
                           raw(0x00, "l\xc3") + raw(0x8a, "") + raw(0x80, "\xa9o") +
                           raw(0x82, std::string(70000, 'z')) + raw(0x02, "") + raw(0x80, "") +
                           raw(0x88,
                               "\x03\xe8"
                               "bye");
  const auto whole = decode(Role::server, wire);
  ASSERT_EQ(whole.size(), 7U);
  EXPECT_EQ(whole[1], (Rec{Kind::ping, 0, "ping!"}));
  EXPECT_EQ(whole[2], (Rec{Kind::pong, 0, ""}));
  EXPECT_EQ(whole[3], text("Hel"
                           "l\xc3\xa9o"));
  EXPECT_EQ(whole[5], binary(""));
  EXPECT_EQ(whole[6], (Rec{Kind::close, 1000, "bye"}));
  for (const std::size_t piece : std::initializer_list<std::size_t>{1, 2, 3, 5, 13, 64, 1000}) {
    EXPECT_EQ(decode(Role::server, wire, piece), whole) << piece;
  }
}

// --- masking rules (§1e item 2)

TEST(FrameDecoder, ServerFailsUnmaskedFrames) {
  EXPECT_EQ(failure_code(raw(0x81, "hi", false)), close_code::protocol_error);
  EXPECT_EQ(failure_code(raw(0x89, "", false)), close_code::protocol_error);
}

TEST(FrameDecoder, ClientFailsMaskedFrames) {
  EXPECT_EQ(failure_code(raw(0x81, "hi", true), {}, nullptr, Role::client),
            close_code::protocol_error);
}

// --- reserved bits (§1e item 3, Autobahn 3.x)

TEST(FrameDecoder, FailsReservedBits) {
  for (const unsigned rsv : {0x10U, 0x20U, 0x30U, 0x50U, 0x60U, 0x70U}) {
    for (const unsigned op : {0x1U, 0x2U, 0x9U, 0x8U}) {
      EXPECT_EQ(failure_code(raw(0x80 | rsv | op, "x\x01"sv)), close_code::protocol_error)
          << rsv << " " << op;
    }
  }
}

TEST(FrameDecoder, FailsRsv1WithoutPermessageDeflate) {
  EXPECT_EQ(failure_code(raw(0xc1, "x")), close_code::protocol_error);
}

TEST(FrameDecoder, FailsRsv1OnControlAndContinuationFramesEvenWithDeflate) {
  Decompressor inflater(15, false);
  EXPECT_EQ(failure_code(raw(0xc9, ""), {}, &inflater), close_code::protocol_error);
  Decompressor other(15, false);
  EXPECT_EQ(failure_code(raw(0x41, "\xf2\x48"sv) + raw(0xc0, "\xcd\xc9\xc9\x07\x00"sv), {}, &other),
            close_code::protocol_error);
}

// --- opcodes (§1e item 4, Autobahn 4.x)

TEST(FrameDecoder, FailsReservedOpcodes) {
  for (const unsigned op : {3U, 4U, 5U, 6U, 7U, 0xbU, 0xcU, 0xdU, 0xeU, 0xfU}) {
    EXPECT_EQ(failure_code(raw(0x80 | op, "")), close_code::protocol_error) << op;
    // Even after a good message: the failure comes where the frame is.
    const auto events = decode(Role::server, raw(0x81, "ok") + raw(0x80 | op, "x"));
    ASSERT_EQ(events.size(), 2U);
    EXPECT_EQ(events[0], text("ok"));
    EXPECT_EQ(events[1].code, close_code::protocol_error);
  }
}

// --- control frames (§1e item 5, Autobahn 2.x, 5.1–5.2)

TEST(FrameDecoder, AcceptsControlPayloadsUpTo125Bytes) {
  const std::string p(125, 'p');
  EXPECT_EQ(decode(Role::server, raw(0x89, p)), (std::vector{Rec{Kind::ping, 0, p}}));
  EXPECT_EQ(decode(Role::server, raw(0x89, "")), (std::vector{Rec{Kind::ping, 0, ""}}));
}

TEST(FrameDecoder, FailsControlFramesOver125Bytes) {  // Autobahn 2.5
  EXPECT_EQ(failure_code(raw(0x89, std::string(126, 'p'))), close_code::protocol_error);
  EXPECT_EQ(failure_code(raw(0x8a, std::string(126, 'p'))), close_code::protocol_error);
}

TEST(FrameDecoder, FailsFragmentedControlFrames) {  // Autobahn 5.1, 5.2
  EXPECT_EQ(failure_code(raw(0x09, "a") + raw(0x80, "b")), close_code::protocol_error);
  EXPECT_EQ(failure_code(raw(0x0a, "a")), close_code::protocol_error);
  EXPECT_EQ(failure_code(raw(0x08, "")), close_code::protocol_error);
}

TEST(FrameDecoder, AcceptsControlFramesBetweenFragments) {  // Autobahn 5.6–5.9
  const std::string wire =
      raw(0x01, "frag") + raw(0x89, "p1") + raw(0x00, "ment") + raw(0x8a, "p2") + raw(0x80, "ed");
  const std::vector<Rec> expected{{Kind::ping, 0, "p1"}, {Kind::pong, 0, "p2"}, text("fragmented")};
  for (const std::size_t piece : std::initializer_list<std::size_t>{0, 1, 3})
    EXPECT_EQ(decode(Role::server, wire, piece), expected);
}

// --- fragmentation (§1e item 6, Autobahn 5.x)

TEST(FrameDecoder, FailsAContinuationWithNothingToContinue) {  // Autobahn 5.9–5.14
  EXPECT_EQ(failure_code(raw(0x80, "x")), close_code::protocol_error);
  EXPECT_EQ(failure_code(raw(0x00, "x")), close_code::protocol_error);
  EXPECT_EQ(failure_code(raw(0x81, "done") + raw(0x80, "x")), close_code::protocol_error);
}

TEST(FrameDecoder, FailsANewMessageInsideAFragmentedOne) {  // Autobahn 5.18
  EXPECT_EQ(failure_code(raw(0x01, "a") + raw(0x81, "b")), close_code::protocol_error);
  EXPECT_EQ(failure_code(raw(0x02, "a") + raw(0x01, "b")), close_code::protocol_error);
}

TEST(FrameDecoder, AssemblesEmptyFragments) {  // Autobahn 6.1.2, 6.1.3
  EXPECT_EQ(decode(Role::server, raw(0x01, "") + raw(0x00, "") + raw(0x80, "")),
            std::vector{text("")});
  EXPECT_EQ(decode(Role::server, raw(0x01, "") + raw(0x00, "mid") + raw(0x80, "")),
            std::vector{text("mid")});
}

// --- lengths (§1e item 7)

TEST(FrameDecoder, FailsNonMinimalLengths) {
  EXPECT_EQ(failure_code(raw(0x82, std::string(125, 'x'), true, 16)), close_code::protocol_error);
  EXPECT_EQ(failure_code(raw(0x82, "", true, 16)), close_code::protocol_error);
  EXPECT_EQ(failure_code(raw(0x82, std::string(65535, 'x'), true, 64)), close_code::protocol_error);
  EXPECT_EQ(failure_code(raw(0x82, "x", true, 64)), close_code::protocol_error);
  EXPECT_EQ(failure_code(raw(0x82, std::string(126, 'x'), true, 16)), 0);
  EXPECT_EQ(failure_code(raw(0x82, std::string(65536, 'x'), true, 64)), 0);
}

TEST(FrameDecoder, FailsA64BitLengthWithItsTopBitSet) {
  EXPECT_EQ(failure_code(raw(0x82, "", true, 64, 1ULL << 63)), close_code::protocol_error);
}

TEST(FrameDecoder, FailsAHugeDeclaredLengthAtItsHeader) {
  for (const std::uint64_t declared : {(1ULL << 32) + 1, 1ULL << 40, (1ULL << 20) + 1}) {
    std::string header = raw(0x82, "", true, 64, declared);
    Decoder decoder(Role::server);
    std::size_t used = 0;
    const Event e = decoder.next(header, used);
    EXPECT_EQ(e.kind, Kind::failure) << declared;
    EXPECT_EQ(e.code, close_code::message_too_big) << declared;
  }
}

TEST(FrameDecoder, AcceptsAMessageOfExactlyTheLimit) {
  const std::string p(1000, 'm');
  EXPECT_EQ(decode(Role::server, raw(0x82, p), 0, {.max_message_size = 1000}),
            std::vector{binary(p)});
  EXPECT_EQ(failure_code(raw(0x82, p + "m"), {.max_message_size = 1000}),
            close_code::message_too_big);
}

TEST(FrameDecoder, CountsEveryFragmentAgainstTheMessageLimit) {
  const std::string wire =
      raw(0x02, std::string(600, 'a')) + raw(0x89, "ping") + raw(0x80, std::string(401, 'b'));
  const auto events = decode(Role::server, wire, 7, {.max_message_size = 1000});
  ASSERT_EQ(events.size(), 2U);
  EXPECT_EQ(events[0].kind, Kind::ping);
  EXPECT_EQ(events[1], (Rec{Kind::failure, close_code::message_too_big, events[1].payload}));
}

TEST(FrameDecoder, AppliesTheFrameLimitToEachFrame) {
  const DecoderOptions options{.max_message_size = 1000, .max_frame_size = 100};
  EXPECT_EQ(failure_code(raw(0x82, std::string(101, 'a')), options), close_code::message_too_big);
  const std::string wire = raw(0x02, std::string(100, 'a')) + raw(0x80, std::string(100, 'b'));
  EXPECT_EQ(decode(Role::server, wire, 0, options),
            std::vector{binary(std::string(100, 'a') + std::string(100, 'b'))});
}

// --- UTF-8 (§1e item 8, Autobahn 6.x)

TEST(FrameDecoder, FailsInvalidUtf8Text) {  // Autobahn 6.3
  EXPECT_EQ(failure_code(raw(0x81,
                             "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"
                             "edited")),
            close_code::invalid_payload);
  EXPECT_EQ(failure_code(raw(0x81, "\xc0\xaf")), close_code::invalid_payload);
  // Binary messages are not text.
  EXPECT_EQ(failure_code(raw(0x82, "\xc0\xaf")), 0);
}

TEST(FrameDecoder, AcceptsCodePointsSplitAcrossFragments) {  // Autobahn 6.2.3, 6.2.4
  const std::string s = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";
  for (std::size_t cut = 0; cut <= s.size(); ++cut) {
    EXPECT_EQ(decode(Role::server, raw(0x01, s.substr(0, cut)) + raw(0x80, s.substr(cut))),
              std::vector{text(s)})
        << cut;
  }
}

TEST(FrameDecoder, FailsTextThatEndsInsideACodePoint) {
  EXPECT_EQ(failure_code(raw(0x81, "ab\xe2\x82")), close_code::invalid_payload);
  EXPECT_EQ(failure_code(raw(0x01, "ab\xe2") + raw(0x80, "\x82")), close_code::invalid_payload);
}

TEST(FrameDecoder, FailsTheFragmentThatMakesTextInvalidBeforeTheMessageEnds) {  // Autobahn 6.4.1
  Decoder decoder(Role::server);
  const auto events =
      decode(decoder, raw(0x01, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5") +
                          raw(0x00, "\xf4\x90\x80\x80"));  // U+110000; the last fragment not sent
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].code, close_code::invalid_payload);
}

TEST(FrameDecoder, FailsInsideAFrameWhoseRestHasNotArrived) {  // Autobahn 6.4.3, 6.4.4
  const std::string frame = raw(0x81,
                                "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80"
                                "\xce\xba\xe1\xbd\xb9");
  Decoder decoder(Role::server);
  // The header, the valid part and the first byte past U+10FFFF; the rest is not sent.
  const auto events = decode(decoder, frame.substr(0, 6 + 13), 4);
  ASSERT_EQ(events.size(), 1U);
  EXPECT_EQ(events[0].code, close_code::invalid_payload);
}

TEST(FrameDecoder, RepeatsAFailureOnEveryLaterCall) {
  Decoder decoder(Role::server);
  std::string bad = raw(0x81, "\xff");
  std::size_t used = 0;
  const Event first = decoder.next(bad, used);
  ASSERT_EQ(first.kind, Kind::failure);
  std::string good = raw(0x81, "fine");
  const Event second = decoder.next(good, used);
  EXPECT_EQ(second.kind, Kind::failure);
  EXPECT_EQ(second.code, first.code);
  EXPECT_EQ(second.payload, first.payload);
}

// --- close (§1e item 9, Autobahn 7.x)

TEST(FrameDecoder, ReadsACloseWithoutABodyAs1005) {  // Autobahn 7.3.1
  EXPECT_EQ(decode(Role::server, raw(0x88, "")), (std::vector{Rec{Kind::close, 1005, ""}}));
}

TEST(FrameDecoder, FailsACloseWithAOneByteBody) {  // Autobahn 7.3.2
  EXPECT_EQ(failure_code(raw(0x88, "\x03")), close_code::protocol_error);
}

TEST(FrameDecoder, AcceptsValidCloseCodes) {  // Autobahn 7.7
  for (const std::uint16_t code :
       std::initializer_list<std::uint16_t>{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011,
                                            1012, 1013, 1014, 3000, 3999, 4000, 4999}) {
    const std::string body{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
    EXPECT_EQ(decode(Role::server, raw(0x88, body + "why")),
              (std::vector{Rec{Kind::close, code, "why"}}))
        << code;
    EXPECT_TRUE(is_valid_close_code(code));
  }
}

TEST(FrameDecoder, FailsInvalidCloseCodes) {  // Autobahn 7.9, 7.13
  for (const std::uint16_t code : std::initializer_list<std::uint16_t>{
           0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    const std::string body{static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
    EXPECT_EQ(failure_code(raw(0x88, body)), close_code::protocol_error) << code;
    EXPECT_FALSE(is_valid_close_code(code));
  }
}

TEST(FrameDecoder, TakesA123ByteReasonAndFailsA124ByteOne) {  // Autobahn 7.3.5, 7.3.6
  const std::string reason(123, 'r');
  EXPECT_EQ(decode(Role::server, raw(0x88, "\x03\xe8" + reason)),
            (std::vector{Rec{Kind::close, 1000, reason}}));
  EXPECT_EQ(failure_code(raw(0x88, "\x03\xe8" + reason + "r")), close_code::protocol_error);
}

TEST(FrameDecoder, FailsACloseReasonThatIsNotUtf8) {  // Autobahn 7.5.1
  EXPECT_EQ(failure_code(raw(0x88, "\x03\xe8\xce\xba\xe1\xbd\xb9\xed\xa0\x80")),
            close_code::invalid_payload);
}

TEST(FrameDecoder, IgnoresWhatFollowsAClose) {
  Decoder decoder(Role::server);
  const auto events = decode(decoder, raw(0x88, "\x03\xe8") + raw(0x81, "late") + "garbage");
  EXPECT_EQ(events, (std::vector{Rec{Kind::close, 1000, ""}}));
  std::string more = raw(0x81, "later");
  std::size_t used = 0;
  EXPECT_EQ(decoder.next(more, used).kind, Kind::need_more);
  EXPECT_EQ(used, more.size());
}

// --- permessage-deflate in the decoder

TEST(FrameDecoder, InflatesCompressedMessages) {
  Compressor deflater(15, false);
  Decompressor inflater(15, false);
  std::string c1, c2;
  deflater.compress("Hello", c1);
  deflater.compress("Hello", c2);
  EXPECT_EQ(c2, "\xf2\x00\x11\x00\x00"sv);
  // The first whole, the second split into a frame per byte (RSV1 on the first only).
  std::string wire = raw(0xc1, c1);
  wire += raw(0x41, c2.substr(0, 1));
  for (std::size_t i = 1; i < c2.size(); ++i)
    wire += raw(i + 1 == c2.size() ? 0x80 : 0x00, c2.substr(i, 1));
  for (const std::size_t piece : std::initializer_list<std::size_t>{0, 1}) {
    Decompressor i2(15, false);
    EXPECT_EQ(decode(Role::server, wire, piece, {}, &i2),
              (std::vector{text("Hello"), text("Hello")}));
  }
  // Uncompressed messages still pass through on a connection with deflate.
  EXPECT_EQ(decode(Role::server, raw(0x82, "plain"), 0, {}, &inflater),
            std::vector{binary("plain")});
}

TEST(FrameDecoder, FailsADeflateBombWith1009Quickly) {
  Compressor deflater(15, true);
  std::string bomb;
  deflater.compress(std::string(100 << 20, '\0'), bomb);
  Decompressor inflater(15, true);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(failure_code(raw(0xc2, bomb), {.max_message_size = 1 << 20}, &inflater),
            close_code::message_too_big);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(FrameDecoder, FailsCorruptCompressedData) {
  Decompressor inflater(15, false);
  EXPECT_EQ(failure_code(raw(0xc1, "\xff\xff\xff"), {}, &inflater), close_code::invalid_payload);
}

TEST(FrameDecoder, FailsCompressedTextThatInflatesToInvalidUtf8) {
  Compressor deflater(15, true);
  std::string wire;
  deflater.compress("ok \xed\xa0\x80 not", wire);
  Decompressor inflater(15, true);
  EXPECT_EQ(failure_code(raw(0xc1, wire), {}, &inflater), close_code::invalid_payload);
}

// --- the encoder

TEST(FrameEncoder, FragmentsAtTheFragmentSize) {  // Autobahn 10.1.1
  Encoder encoder(Role::server, {.fragment_size = 3});
  std::string out;
  encoder.message(Opcode::text, "0123456789", out);
  EXPECT_EQ(out,
            "\x01\x03"
            "012"
            "\x00\x03"
            "345"
            "\x00\x03"
            "678"
            "\x80\x01"
            "9"sv);
  out.clear();
  encoder.message(Opcode::binary, "abc", out);  // exactly one fragment's worth: one frame
  EXPECT_EQ(out,
            "\x82\x03"
            "abc"sv);
  out.clear();
  encoder.message(Opcode::binary, "", out);
  EXPECT_EQ(out, "\x82\x00"sv);
  Encoder big(Role::server, {.fragment_size = 1300});
  out.clear();
  big.message(Opcode::binary, std::string(65536, 'x'), out);
  EXPECT_EQ(decode(Role::client, out), std::vector{binary(std::string(65536, 'x'))});
  EXPECT_EQ(out.size(), 65536 + 51 * 4);  // 50 frames of 1300 and one of 536, 4-byte headers
}

TEST(FrameEncoder, ClientMasksEveryFrameWithAFreshKey) {
  Encoder encoder(Role::client, {.fragment_size = 10});
  std::string out;
  encoder.message(Opcode::text, std::string(2000, 't'), out);
  std::set<std::string> keys;
  for (std::size_t at = 0; at < out.size(); at += 2 + 4 + 10) {
    EXPECT_EQ(static_cast<unsigned char>(out[at + 1]), 0x80U | 10U);
    keys.insert(out.substr(at + 2, 4));
  }
  EXPECT_GE(keys.size(), 190U);  // 200 frames; 32-bit keys almost never repeat
  EXPECT_EQ(decode(Role::server, out, 7), std::vector{text(std::string(2000, 't'))});
}

TEST(FrameEncoder, RoundTripsEveryLengthFormInBothRoles) {
  for (const Role role : {Role::server, Role::client}) {
    const Role peer = role == Role::server ? Role::client : Role::server;
    Encoder encoder(role);
    for (const std::size_t n : std::initializer_list<std::size_t>{0, 125, 126, 127, 65535, 65536}) {
      std::string out;
      encoder.message(Opcode::binary, std::string(n, 'b'), out);
      EXPECT_EQ(decode(peer, out, 1000), std::vector{binary(std::string(n, 'b'))}) << n;
    }
  }
}

TEST(FrameEncoder, CompressesAboveTheThresholdWithRsv1OnTheFirstFrameOnly) {
  Compressor deflater(15, false);
  Decompressor inflater(15, false);
  Encoder encoder(Role::client, {.fragment_size = 4, .compression_threshold = 10}, &deflater);
  std::string out;
  encoder.message(Opcode::text, std::string(40, 'c') + "!", out);
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0x41U);  // text, RSV1, not FIN
  const std::size_t second = 2 + 4 + 4;
  EXPECT_EQ(static_cast<unsigned char>(out[second]) & 0x40U, 0U);
  std::string small;
  encoder.message(Opcode::binary, "shrt", small);
  EXPECT_EQ(static_cast<unsigned char>(small[0]), 0x82U);  // under the threshold: plain
  EXPECT_EQ(decode(Role::server, out + small, 3, {}, &inflater),
            (std::vector{text(std::string(40, 'c') + "!"), binary("shrt")}));
}

TEST(FrameEncoder, WritesControlFrames) {
  Encoder encoder(Role::server);
  std::string out;
  encoder.control(Opcode::ping, "", out);
  encoder.control(Opcode::pong, std::string(125, 'p'), out);
  encoder.control(Opcode::close, Encoder::close_payload(1000, "bye"), out);
  EXPECT_EQ(decode(Role::client, out), (std::vector<Rec>{{Kind::ping, 0, ""},
                                                         {Kind::pong, 0, std::string(125, 'p')},
                                                         {Kind::close, 1000, "bye"}}));
}

TEST(FrameEncoder, RefusesWhatCannotBeSent) {
  Encoder encoder(Role::server);
  std::string out;
  EXPECT_THROW(encoder.control(Opcode::ping, std::string(126, 'p'), out), wirekit::Error);
  EXPECT_THROW(encoder.control(Opcode::text, "", out), wirekit::Error);
  EXPECT_THROW(encoder.message(Opcode::ping, "", out), wirekit::Error);
  EXPECT_THROW(encoder.message(Opcode::continuation, "", out), wirekit::Error);
  EXPECT_TRUE(out.empty());
}

TEST(FrameEncoder, ClosePayloadCutsTheReasonAtACodePoint) {
  EXPECT_EQ(Encoder::close_payload(1000, "bye"),
            "\x03\xe8"
            "bye"sv);
  EXPECT_EQ(Encoder::close_payload(4000, ""), "\x0f\xa0"sv);
  EXPECT_EQ(Encoder::close_payload(close_code::no_status, "ignored"), "");
  const std::string reason = std::string(122, 'a') + "\xc3\xa9" + "tail";  // é across byte 123
  const std::string body = Encoder::close_payload(1001, reason);
  EXPECT_EQ(body.size(), 2 + 122U);
  EXPECT_TRUE(is_valid_utf8(body.substr(2)));
  EXPECT_EQ(Encoder::close_payload(1001, std::string(200, 'x')).size(), 125U);
  EXPECT_THROW(Encoder::close_payload(close_code::abnormal, ""), wirekit::Error);
  EXPECT_THROW(Encoder::close_payload(1015, ""), wirekit::Error);
}

}  // namespace
