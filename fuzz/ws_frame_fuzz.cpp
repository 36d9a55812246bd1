// Fuzzes the WebSocket frame decoder on bytes a peer chooses, in both roles, with and without
// permessage-deflate. The first byte picks the setting, the rest is the stream. Besides not
// crashing, it checks what a connection relies on: no call consumes more than it was given,
// need_more takes everything, a failure repeats, and the stream chopped into pieces (each
// dropped once consumed) gives the same events as the stream at once. Then the encoder's
// output for the same bytes must decode to the same message.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <wirekit/ws/frame.hpp>

namespace {

using namespace wirekit::ws;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

struct Setting {
  Role role = Role::server;
  bool deflate = false;
  int window_bits = 15;
  bool no_context_takeover = false;
  std::size_t max_message = 0;
  std::size_t fragment_size = 0;
};

Setting setting_of(std::uint8_t b) {
  static constexpr std::size_t sizes[] = {64, 1000, 65536, 1 << 20};
  static constexpr std::size_t fragments[] = {0, 1, 7, 125, 126, 1000, 65536, 3};
  return Setting{.role = (b & 1U) != 0 ? Role::client : Role::server,
                 .deflate = (b & 2U) != 0,
                 .window_bits = 8 + static_cast<int>((b >> 2) & 7U),
                 .no_context_takeover = (b & 0x20U) != 0,
                 .max_message = sizes[b >> 6],
                 .fragment_size = fragments[(b >> 3) & 7U]};
}

struct Record {
  Event::Kind kind;
  std::uint16_t code;
  std::string payload;
  bool operator==(const Record&) const = default;
};

// Decodes the events of one call sequence, checking the contract of next() on the way. Returns
// false once the decoder failed.
bool take(Decoder& decoder, std::string& buffer, std::vector<Record>& records) {
  std::size_t at = 0;
  for (;;) {
    const std::size_t left = buffer.size() - at;
    std::size_t used = 12345;
    const Event e = decoder.next(std::span<char>(buffer.data() + at, left), used);
    check(used <= left);
    at += used;
    if (e.kind == Event::Kind::need_more) {
      check(used == left);
      return true;
    }
    records.push_back({e.kind, e.code, std::string(e.payload)});
    if (e.kind == Event::Kind::failure) {
      check(e.code == 1002 || e.code == 1007 || e.code == 1009);
      check(!e.payload.empty());
      std::size_t again = 1;
      const Event repeat = decoder.next(std::span<char>(buffer.data() + at, left - used), again);
      check(repeat.kind == e.kind && repeat.code == e.code && repeat.payload == e.payload);
      return false;
    }
    if (e.kind == Event::Kind::close) check(e.code == 1005 || is_valid_close_code(e.code));
    if (e.kind == Event::Kind::ping || e.kind == Event::Kind::pong) {
      check(e.payload.size() <= 125);
    }
  }
}

std::vector<Record> decode(const Setting& s, std::string_view stream, std::string_view seed,
                           bool chopped) {
  std::optional<Decompressor> inflater;
  if (s.deflate) inflater.emplace(s.window_bits, s.no_context_takeover);
  Decoder decoder(s.role, {.max_message_size = s.max_message}, inflater ? &*inflater : nullptr);
  std::vector<Record> records;
  if (!chopped) {
    std::string buffer(stream);
    (void)take(decoder, buffer, records);
    return records;
  }
  for (std::size_t at = 0, k = 0; at < stream.size(); ++k) {
    const auto b = seed.empty() ? 0U : static_cast<unsigned char>(seed[(k * 13) % seed.size()]);
    const std::size_t piece = (b & 0x80U) != 0 ? 1 + (std::size_t{b} << 3) : 1 + (b & 7U);
    std::string buffer(stream.substr(at, piece));  // dropped after the call: a fresh read
    at += buffer.size();
    if (!take(decoder, buffer, records)) break;
  }
  return records;
}

// The encoder's frames for `payload`, sent twice (the second message tests the compression
// context), must decode to the same two messages and a ping.
void round_trip(const Setting& s, std::string_view payload) {
  const Role peer = s.role == Role::server ? Role::client : Role::server;
  std::optional<Compressor> deflater;
  std::optional<Decompressor> inflater;
  if (s.deflate) {
    deflater.emplace(s.window_bits, s.no_context_takeover);
    inflater.emplace(s.window_bits, s.no_context_takeover);
  }
  Encoder encoder(peer,
                  {.fragment_size = s.fragment_size, .compression_threshold = s.max_message % 7},
                  deflater ? &*deflater : nullptr);
  const Opcode opcode = is_valid_utf8(payload) ? Opcode::text : Opcode::binary;
  std::string wire;
  encoder.message(opcode, payload, wire);
  encoder.control(Opcode::ping, payload.substr(0, 125), wire);
  encoder.message(opcode, payload, wire);
  Decoder decoder(s.role, {.max_message_size = std::max<std::size_t>(payload.size(), 1)},
                  inflater ? &*inflater : nullptr);
  std::vector<Record> records;
  check(take(decoder, wire, records));
  const auto kind = opcode == Opcode::text ? Event::Kind::text : Event::Kind::binary;
  check(records.size() == 3);
  check(records[0] == (Record{kind, 0, std::string(payload)}));
  check(records[1] == (Record{Event::Kind::ping, 0, std::string(payload.substr(0, 125))}));
  check(records[2] == records[0]);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Setting s = setting_of(data[0]);
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::vector<Record> whole = decode(s, stream, {}, false);
  check(decode(s, stream, stream, true) == whole);
  check(decode(s, stream, stream.substr(stream.size() / 2), true) == whole);
  round_trip(s, stream);
  return 0;
}
