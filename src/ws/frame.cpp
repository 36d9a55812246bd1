// RFC 6455 §5 framing. The decoder is a small state machine over headers and payloads that
// takes every byte it is given: a header split across reads is gathered in a 14-byte buffer, a
// payload split across reads in the message buffer, so the caller never has to keep bytes for
// it. Only a frame that arrives whole is handed out in place.
#include <algorithm>
#include <cstring>
#include <limits>

#include <openssl/rand.h>

#include <wirekit/core/error.hpp>
#include <wirekit/ws/frame.hpp>

namespace wirekit::ws {

namespace {

// A message buffer that grew past this is freed once its message was handed out, so one large
// message does not pin its memory to the connection for the rest of its life (thousands of
// chat connections, each keeping what its largest message needed, would add up).
constexpr std::size_t kept_capacity = 4 * 1024;

// A compressed message may take a little more room on the wire than its inflated size (stored
// blocks of incompressible data cost 5 bytes per 64 KiB, each flush a few bytes): its declared
// lengths are held to this bound of the limits, its inflated size to the limits themselves.
std::uint64_t compressed_bound(std::uint64_t n) noexcept {
  const std::uint64_t slack = n / 8 + 1024;
  return n > std::numeric_limits<std::uint64_t>::max() - slack
             ? std::numeric_limits<std::uint64_t>::max()
             : n + slack;
}

// A fresh masking key per frame (RFC 6455 §10.3: unpredictable to the page that chose the
// payload), from OpenSSL's CSPRNG, drawn 256 keys at a time per thread to keep RAND_bytes out
// of the cost of a frame.
std::array<std::uint8_t, 4> next_mask_key() {
  thread_local struct {
    std::array<std::uint8_t, 1024> bytes{};
    std::size_t at = bytes.size();
  } pool;
  if (pool.at == pool.bytes.size()) {
    if (RAND_bytes(pool.bytes.data(), static_cast<int>(pool.bytes.size())) != 1) {
      throw Error(errc::invalid_argument, "random number generator failed");
    }
    pool.at = 0;
  }
  std::array<std::uint8_t, 4> key;
  std::memcpy(key.data(), pool.bytes.data() + pool.at, key.size());
  pool.at += key.size();
  return key;
}

// The size of the header whose second byte is `b1`: 2, the extended length, the masking key.
std::size_t header_length(unsigned char b1) noexcept {
  const unsigned len7 = b1 & 0x7fU;
  const std::size_t length_size = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  return 2 + length_size + ((b1 & 0x80U) != 0 ? 4 : 0);
}

}  // namespace

bool is_valid_close_code(std::uint16_t code) noexcept {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

std::size_t write_frame_header(char* out, bool fin, bool rsv1, Opcode opcode, std::uint64_t length,
                               const std::array<std::uint8_t, 4>* mask) noexcept {
  auto* p = reinterpret_cast<unsigned char*>(out);
  p[0] = static_cast<unsigned char>((fin ? 0x80U : 0U) | (rsv1 ? 0x40U : 0U) |
                                    static_cast<unsigned>(opcode));
  const unsigned mask_bit = mask != nullptr ? 0x80U : 0U;
  std::size_t n;
  if (length < 126) {
    p[1] = static_cast<unsigned char>(mask_bit | length);
    n = 2;
  } else if (length <= 0xffff) {
    p[1] = static_cast<unsigned char>(mask_bit | 126U);
    p[2] = static_cast<unsigned char>(length >> 8);
    p[3] = static_cast<unsigned char>(length);
    n = 4;
  } else {
    p[1] = static_cast<unsigned char>(mask_bit | 127U);
    for (std::size_t i = 0; i < 8; ++i)
      p[2 + i] = static_cast<unsigned char>(length >> (56 - 8 * i));
    n = 10;
  }
  if (mask != nullptr) {
    std::memcpy(p + n, mask->data(), mask->size());
    n += mask->size();
  }
  return n;
}

void apply_mask(std::span<char> data, std::array<std::uint8_t, 4> key,
                std::size_t offset) noexcept {
  // The key repeated twice, rotated so that pattern[i % 8] masks data[i].
  std::array<unsigned char, 8> pattern;
  for (std::size_t i = 0; i < pattern.size(); ++i) pattern[i] = key[(offset + i) % 4];
  std::uint64_t word;
  std::memcpy(&word, pattern.data(), sizeof word);
  char* const p = data.data();
  const std::size_t n = data.size();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t v;
    std::memcpy(&v, p + i, sizeof v);
    v ^= word;
    std::memcpy(p + i, &v, sizeof v);
  }
  for (; i < n; ++i) p[i] = static_cast<char>(static_cast<unsigned char>(p[i]) ^ pattern[i % 8]);
}

Decoder::Decoder(Role role, DecoderOptions options, Decompressor* inflater)
    : role_(role),
      max_message_(options.max_message_size),
      max_frame_(options.max_frame_size != 0 ? options.max_frame_size : options.max_message_size),
      inflater_(inflater) {}

Event Decoder::next(std::span<char> input, std::size_t& consumed) {
  consumed = 0;
  if (release_message_) {
    release_message_ = false;
    if (message_.capacity() > kept_capacity) {
      std::string().swap(message_);
    } else {
      message_.clear();
    }
  }
  if (stage_ == Stage::failed) return failure_;
  if (stage_ == Stage::closed) {
    consumed = input.size();
    return {};
  }
  std::size_t at = 0;
  for (;;) {
    if (stage_ == Stage::header && !read_header(input, at)) break;
    const Event event = is_control() ? control_frame(input, at) : data_frame(input, at);
    // need_more with the stage back at `header` is a fragment that ended: go on to the next.
    if (event.kind != Event::Kind::need_more || stage_ != Stage::header) {
      consumed = at;
      return event;
    }
  }
  consumed = at;
  return stage_ == Stage::failed ? failure_ : Event{};
}

bool Decoder::read_header(std::span<char> input, std::size_t& at) {
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  if (header_size_ == 0 && input.size() - at >= 2) {
    const std::size_t size = header_length(in[at + 1]);
    if (input.size() - at >= size) {
      const unsigned char* h = in + at;
      at += size;
      return check_start(h[0], h[1]) && check_header(h);
    }
  }
  // The header arrives in pieces: gather it, checking its first two bytes as soon as they are
  // here, so a frame fails without waiting for its length and key.
  auto* h = reinterpret_cast<unsigned char*>(header_.data());
  for (;;) {
    const std::size_t size = header_size_ < 2 ? 2 : header_length(h[1]);
    if (header_size_ == size) break;
    const std::size_t take = std::min(size - header_size_, input.size() - at);
    if (take == 0) return false;
    std::memcpy(h + header_size_, in + at, take);
    header_size_ += take;
    at += take;
    if (header_size_ == 2 && !check_start(h[0], h[1])) return false;
  }
  header_size_ = 0;
  return check_header(h);
}

bool Decoder::check_start(unsigned char b0, unsigned char b1) {
  const bool fin = (b0 & 0x80U) != 0;
  const bool rsv1 = (b0 & 0x40U) != 0;
  const unsigned op = b0 & 0x0fU;
  const bool masked = (b1 & 0x80U) != 0;
  if ((b0 & 0x30U) != 0) return fail(close_code::protocol_error, "reserved bit RSV2 or RSV3 set");
  if ((op > 2 && op < 8) || op > 10) return fail(close_code::protocol_error, "reserved opcode");
  if (role_ == Role::server && !masked) {
    return fail(close_code::protocol_error, "unmasked frame from a client");
  }
  if (role_ == Role::client && masked) {
    return fail(close_code::protocol_error, "masked frame from a server");
  }
  if (op >= 8) {
    if (!fin) return fail(close_code::protocol_error, "fragmented control frame");
    if (rsv1) return fail(close_code::protocol_error, "RSV1 set on a control frame");
    if ((b1 & 0x7fU) > max_control_payload) {
      return fail(close_code::protocol_error, "control frame payload over 125 bytes");
    }
  } else if (op == 0) {
    if (!in_message_)
      return fail(close_code::protocol_error, "continuation frame without a message");
    if (rsv1) return fail(close_code::protocol_error, "RSV1 set on a continuation frame");
  } else {
    if (in_message_) {
      return fail(close_code::protocol_error, "new message inside a fragmented message");
    }
    if (rsv1 && inflater_ == nullptr) {
      return fail(close_code::protocol_error, "RSV1 set without permessage-deflate");
    }
  }
  frame_ = Frame{.fin = fin, .rsv1 = rsv1, .opcode = static_cast<Opcode>(op), .masked = masked};
  return true;
}

bool Decoder::check_header(const unsigned char* h) {
  std::uint64_t length = h[1] & 0x7fU;
  std::size_t at = 2;
  if (length == 126) {
    length = (std::uint64_t{h[2]} << 8) | h[3];
    at = 4;
    if (length < 126) return fail(close_code::protocol_error, "length not in its shortest form");
  } else if (length == 127) {
    length = 0;
    for (std::size_t i = 0; i < 8; ++i) length = (length << 8) | h[2 + i];
    at = 10;
    if ((length >> 63) != 0)
      return fail(close_code::protocol_error, "64-bit length with its top bit set");
    if (length <= 0xffff)
      return fail(close_code::protocol_error, "length not in its shortest form");
  }
  if (frame_.masked) std::memcpy(frame_.key.data(), h + at, frame_.key.size());
  frame_.length = length;
  frame_.done = 0;
  if (!is_control()) {
    if (frame_.opcode != Opcode::continuation) {
      in_message_ = true;
      message_opcode_ = frame_.opcode;
      compressed_ = frame_.rsv1;
      message_wire_ = 0;
      utf8_.reset();
    }
    // Declared lengths are checked before any payload is taken: a huge header fails at once.
    const std::uint64_t frame_limit = compressed_ ? compressed_bound(max_frame_) : max_frame_;
    const std::uint64_t message_limit = compressed_ ? compressed_bound(max_message_) : max_message_;
    if (length > frame_limit) return fail(close_code::message_too_big, "frame over the size limit");
    if (length > message_limit - message_wire_) {
      return fail(close_code::message_too_big, "message over the size limit");
    }
    message_wire_ += length;
  }
  stage_ = Stage::payload;
  return true;
}

Event Decoder::control_frame(std::span<char> input, std::size_t& at) {
  const std::size_t avail = input.size() - at;
  const auto length = static_cast<std::size_t>(frame_.length);  // at most 125
  if (frame_.done == 0 && avail >= length) {
    const std::span<char> payload = input.subspan(at, length);
    if (frame_.masked) apply_mask(payload, frame_.key);
    at += length;
    stage_ = Stage::header;
    return control_event({payload.data(), payload.size()});
  }
  if (frame_.done == 0) control_.clear();
  const std::size_t n = std::min<std::size_t>(avail, length - frame_.done);
  const std::span<char> piece = input.subspan(at, n);
  if (frame_.masked) apply_mask(piece, frame_.key, frame_.done);
  control_.append(piece.data(), n);
  at += n;
  frame_.done += n;
  if (frame_.done < length) return {};
  stage_ = Stage::header;
  return control_event(control_);
}

Event Decoder::control_event(std::string_view payload) {
  switch (frame_.opcode) {
    case Opcode::ping:
      return {Event::Kind::ping, payload};
    case Opcode::pong:
      return {Event::Kind::pong, payload};
    default:
      break;
  }
  if (payload.empty()) {
    stage_ = Stage::closed;
    return {Event::Kind::close, {}, close_code::no_status};
  }
  if (payload.size() == 1) {
    fail(close_code::protocol_error, "close frame with a 1-byte body");
    return failure_;
  }
  const auto code = static_cast<std::uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                               static_cast<unsigned char>(payload[1]));
  if (!is_valid_close_code(code)) {
    fail(close_code::protocol_error, "invalid close code");
    return failure_;
  }
  const std::string_view reason = payload.substr(2);
  if (!is_valid_utf8(reason)) {
    fail(close_code::invalid_payload, "close reason is not UTF-8");
    return failure_;
  }
  stage_ = Stage::closed;
  return {Event::Kind::close, reason, code};
}

Event Decoder::data_frame(std::span<char> input, std::size_t& at) {
  const std::size_t avail = input.size() - at;
  const std::uint64_t remaining = frame_.length - frame_.done;
  if (frame_.fin && frame_.opcode != Opcode::continuation && !compressed_ && frame_.done == 0 &&
      avail >= remaining) {
    // A whole message in one frame, all of it here: handed out in place.
    const std::span<char> payload = input.subspan(at, remaining);
    if (frame_.masked) apply_mask(payload, frame_.key);
    at += payload.size();
    stage_ = Stage::header;
    in_message_ = false;
    const std::string_view view(payload.data(), payload.size());
    if (message_opcode_ == Opcode::binary) return {Event::Kind::binary, view};
    if (!check_text(view, true)) return failure_;
    return {Event::Kind::text, view};
  }
  if (frame_.done == 0 && !compressed_) message_.reserve(message_.size() + frame_.length);
  const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(avail, remaining));
  const std::span<char> piece = input.subspan(at, n);
  if (frame_.masked) apply_mask(piece, frame_.key, frame_.done);
  at += n;
  frame_.done += n;
  if (!take_payload({piece.data(), n}, false)) return failure_;
  if (frame_.done < frame_.length) return {};
  stage_ = Stage::header;
  if (!frame_.fin) return {};
  in_message_ = false;
  if (compressed_ && !take_payload({}, true)) return failure_;
  if (message_opcode_ == Opcode::text && !check_text({}, true)) return failure_;
  release_message_ = true;
  return {message_opcode_ == Opcode::text ? Event::Kind::text : Event::Kind::binary, message_};
}

bool Decoder::take_payload(std::string_view piece, bool last) {
  const std::size_t old_size = message_.size();
  Decompressor::Result result = Decompressor::Result::ok;
  if (compressed_) {
    result = inflater_->decompress(piece, last, message_, max_message_ - old_size);
  } else {
    message_.append(piece);
  }
  // What was inflated is checked even when inflating stopped on an error, so a message fails
  // on its first fault in the stream however its bytes were split.
  if (message_opcode_ == Opcode::text &&
      !check_text(std::string_view(message_).substr(old_size), false)) {
    return false;
  }
  if (result == Decompressor::Result::too_big) {
    return fail(close_code::message_too_big, "message over the size limit once inflated");
  }
  if (result == Decompressor::Result::corrupt) {
    return fail(close_code::invalid_payload, "invalid compressed data");
  }
  return true;
}

bool Decoder::check_text(std::string_view bytes, bool message_end) {
  if (!utf8_.feed(bytes)) return fail(close_code::invalid_payload, "text message is not UTF-8");
  if (message_end && !utf8_.complete()) {
    return fail(close_code::invalid_payload, "text message ends inside a UTF-8 sequence");
  }
  return true;
}

bool Decoder::fail(std::uint16_t code, const char* reason) {
  failure_ = Event{Event::Kind::failure, reason, code};
  stage_ = Stage::failed;
  return false;
}

Encoder::Encoder(Role role, EncoderOptions options, Compressor* deflater)
    : role_(role), options_(options), deflater_(deflater) {}

void Encoder::message(Opcode text_or_binary, std::string_view payload, std::string& out) {
  if (text_or_binary != Opcode::text && text_or_binary != Opcode::binary) {
    throw Error(errc::invalid_argument, "a WebSocket message is text or binary");
  }
  bool rsv1 = false;
  if (deflater_ != nullptr && payload.size() >= options_.compression_threshold) {
    compressed_.clear();
    deflater_->compress(payload, compressed_);
    payload = compressed_;
    rsv1 = true;
  }
  Opcode opcode = text_or_binary;
  const std::size_t step = options_.fragment_size;
  if (step != 0) {
    while (payload.size() > step) {
      frame(false, rsv1, opcode, payload.substr(0, step), out);
      payload.remove_prefix(step);
      opcode = Opcode::continuation;
      rsv1 = false;  // RFC 7692 §6.1: only on the first frame
    }
  }
  frame(true, rsv1, opcode, payload, out);
  if (compressed_.capacity() > kept_capacity) std::string().swap(compressed_);
}

void Encoder::control(Opcode ping_pong_or_close, std::string_view payload, std::string& out) {
  if (ping_pong_or_close != Opcode::ping && ping_pong_or_close != Opcode::pong &&
      ping_pong_or_close != Opcode::close) {
    throw Error(errc::invalid_argument, "a WebSocket control frame is a ping, pong or close");
  }
  if (payload.size() > max_control_payload) {
    throw Error(errc::invalid_argument, "control frame payload of " +
                                            std::to_string(payload.size()) + " bytes: at most 125");
  }
  frame(true, false, ping_pong_or_close, payload, out);
}

void Encoder::frame(bool fin, bool rsv1, Opcode opcode, std::string_view payload,
                    std::string& out) {
  std::array<std::uint8_t, 4> key{};
  const bool masked = role_ == Role::client;
  if (masked) key = next_mask_key();
  char header[max_header_size];
  const std::size_t size =
      write_frame_header(header, fin, rsv1, opcode, payload.size(), masked ? &key : nullptr);
  out.append(header, size);
  const std::size_t at = out.size();
  out.append(payload);
  if (masked) apply_mask(std::span<char>(out.data() + at, payload.size()), key);
}

std::string Encoder::close_payload(std::uint16_t code, std::string_view reason) {
  if (code == close_code::no_status) return {};
  if (!is_valid_close_code(code)) {
    throw Error(errc::invalid_argument, "close code " + std::to_string(code) + " may not be sent");
  }
  std::size_t n = std::min<std::size_t>(reason.size(), max_control_payload - 2);
  // Back up over continuation bytes, so the cut falls between code points.
  if (n < reason.size()) {
    while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xc0U) == 0x80U) --n;
  }
  std::string out;
  out.reserve(2 + n);
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xff));
  out.append(reason.substr(0, n));
  return out;
}

}  // namespace wirekit::ws
