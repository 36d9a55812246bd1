// WebSocket framing (RFC 6455 §5): a decoder that turns bytes from a peer into messages and
// control frames, enforcing every rule a strict endpoint checks, and an encoder that frames
// messages (fragmented, compressed, masked as the role requires). Both are pure: no I/O.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <wirekit/ws/deflate.hpp>
#include <wirekit/ws/utf8.hpp>

namespace wirekit::ws {

enum class Opcode : std::uint8_t {
  continuation = 0,
  text = 1,
  binary = 2,
  close = 8,
  ping = 9,
  pong = 10
};

// The role of the side that decodes or encodes: a server's decoder requires masked frames and a
// client's refuses them (RFC 6455 §5.1); a client's encoder masks every frame with a fresh key.
enum class Role { server, client };

// Status codes of a close frame (RFC 6455 §7.4.1). no_status and abnormal only ever describe a
// close locally (a close frame without a body, a connection lost without one); they never go
// on the wire.
namespace close_code {
constexpr std::uint16_t normal = 1000;
constexpr std::uint16_t going_away = 1001;
constexpr std::uint16_t protocol_error = 1002;
constexpr std::uint16_t unsupported_data = 1003;
constexpr std::uint16_t no_status = 1005;
constexpr std::uint16_t abnormal = 1006;
constexpr std::uint16_t invalid_payload = 1007;
constexpr std::uint16_t policy_violation = 1008;
constexpr std::uint16_t message_too_big = 1009;
constexpr std::uint16_t mandatory_extension = 1010;
constexpr std::uint16_t internal_error = 1011;
}  // namespace close_code

// Whether `code` may appear in a close frame: 1000–1003, 1007–1014 (1012–1014 registered with
// IANA since the RFC) and 3000–4999 (libraries and applications).
bool is_valid_close_code(std::uint16_t code) noexcept;

constexpr std::size_t max_header_size = 14;
constexpr std::size_t max_control_payload = 125;

// Writes a frame header with the shortest length form to `out` (room for max_header_size
// bytes) and returns its size; `mask` null for an unmasked frame.
std::size_t write_frame_header(char* out, bool fin, bool rsv1, Opcode opcode, std::uint64_t length,
                               const std::array<std::uint8_t, 4>* mask) noexcept;

// XORs `data` with the masking key (RFC 6455 §5.3); `offset` is the position of data[0] within
// the frame's payload, so a payload may be (un)masked in pieces.
void apply_mask(std::span<char> data, std::array<std::uint8_t, 4> key,
                std::size_t offset = 0) noexcept;

struct DecoderOptions {
  // The largest message, after decompression; a larger one fails with 1009.
  std::size_t max_message_size = 1 << 20;
  // The largest frame payload as declared on the wire; 0: max_message_size.
  std::size_t max_frame_size = 0;
};

// What Decoder::next found.
struct Event {
  enum class Kind { need_more, text, binary, ping, pong, close, failure } kind = Kind::need_more;
  // text/binary: the whole message; ping/pong: the payload; close: the reason; failure: a short
  // reason for a log.
  std::string_view payload;
  // close: the peer's code, 1005 when the close frame had no body; failure: the code to close
  // with (1002, 1007 or 1009).
  std::uint16_t code = 0;
};

// Decodes the frames a peer sends, in whatever pieces they arrive (one byte at a time works).
// It checks every rule of RFC 6455 §5 (and RFC 7692 for RSV1): masking by role, reserved bits
// and opcodes, control frames (at most 125 bytes, never fragmented, allowed between the
// fragments of a message), continuation order, the shortest length encoding, the limits, close
// bodies, and UTF-8 in text messages, checked as each piece arrives so an invalid frame fails
// before its message ends. A failure is final: every later call returns it again.
class Decoder {
 public:
  // `inflater` non-null when permessage-deflate was negotiated; not owned, and must outlive the
  // decoder.
  explicit Decoder(Role role, DecoderOptions options = {}, Decompressor* inflater = nullptr);

  // Consumes bytes from the front of `input` (setting `consumed` to how many) and returns the
  // next event. need_more means every byte was taken and more are needed: a frame split across
  // reads is kept inside the decoder, so the caller may drop consumed bytes whenever it likes.
  // Payloads are unmasked in place. The payload of a whole, unfragmented, uncompressed frame is
  // a view into `input` (no copy); fragmented, compressed or split messages are assembled
  // inside the decoder. A view stays valid until the next call, or until the caller changes or
  // drops the consumed bytes it points into. After a close event, the rest of the input is
  // consumed and ignored: nothing may follow a close frame (RFC 6455 §5.5.1).
  Event next(std::span<char> input, std::size_t& consumed);

 private:
  enum class Stage { header, payload, closed, failed };
  struct Frame {
    bool fin = false;
    bool rsv1 = false;
    Opcode opcode = Opcode::continuation;
    bool masked = false;
    std::array<std::uint8_t, 4> key{};
    std::uint64_t length = 0;
    std::uint64_t done = 0;  // payload bytes taken so far
  };

  // Each returns false on a failure (recorded in failure_); read_header also when the header
  // is not complete yet.
  bool read_header(std::span<char> input, std::size_t& at);
  bool check_start(unsigned char b0, unsigned char b1);
  bool check_header(const unsigned char* h);
  bool take_payload(std::string_view piece, bool last);
  bool check_text(std::string_view bytes, bool message_end);
  bool fail(std::uint16_t code, const char* reason);
  Event control_frame(std::span<char> input, std::size_t& at);
  Event data_frame(std::span<char> input, std::size_t& at);
  Event control_event(std::string_view payload);
  bool is_control() const noexcept { return static_cast<unsigned>(frame_.opcode) >= 8; }

  Role role_;
  std::size_t max_message_;
  std::size_t max_frame_;
  Decompressor* inflater_;
  Stage stage_ = Stage::header;
  Frame frame_;
  std::array<char, max_header_size> header_{};
  std::size_t header_size_ = 0;  // bytes of the current header gathered in header_
  // The message being assembled: its opcode while fragments are open, whether it is compressed
  // and how many wire bytes it took so far.
  bool in_message_ = false;
  Opcode message_opcode_ = Opcode::text;
  bool compressed_ = false;
  std::uint64_t message_wire_ = 0;
  bool release_message_ = false;  // message_ was handed out; clear it on the next call
  std::string message_;
  std::string control_;  // a control frame's payload that arrived in pieces
  Utf8Validator utf8_;
  Event failure_;
};

struct EncoderOptions {
  // Messages larger than this go in fragments of this many payload bytes; 0: one frame each.
  std::size_t fragment_size = 0;
  // Messages shorter than this go uncompressed even when a compressor is given.
  std::size_t compression_threshold = 0;
};

// Frames outgoing messages. In the client role every frame is masked with a fresh random key
// (drawn from OpenSSL's CSPRNG in batches).
class Encoder {
 public:
  // `deflater` non-null when permessage-deflate was negotiated; not owned, and must outlive the
  // encoder (one compressor with no_context_takeover may serve many encoders of one loop).
  explicit Encoder(Role role, EncoderOptions options = {}, Compressor* deflater = nullptr);

  // Appends the frames of a text or binary message to `out`: fragmented at fragment_size,
  // compressed when a compressor is given and the payload is at least compression_threshold
  // bytes (RSV1 on the first frame only). Other opcodes throw Error(errc::invalid_argument).
  void message(Opcode text_or_binary, std::string_view payload, std::string& out);
  // Appends a ping, pong or close frame; a payload over 125 bytes or another opcode throws
  // Error(errc::invalid_argument).
  void control(Opcode ping_pong_or_close, std::string_view payload, std::string& out);

  // The body of a close frame: the code, then the reason cut at a UTF-8 boundary to fit the 123
  // bytes left. no_status gives an empty body (a close without a code); another code that may
  // not go on the wire throws Error(errc::invalid_argument).
  static std::string close_payload(std::uint16_t code, std::string_view reason);

 private:
  void frame(bool fin, bool rsv1, Opcode opcode, std::string_view payload, std::string& out);

  Role role_;
  EncoderOptions options_;
  Compressor* deflater_;
  std::string compressed_;  // scratch for a compressed message, kept to reuse its capacity
};

}  // namespace wirekit::ws
