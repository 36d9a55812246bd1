// permessage-deflate over zlib's raw DEFLATE (negative window bits: no zlib header or
// trailer). z_streams live on the heap: zlib's state points back at its stream, so a stream
// cannot move, while the classes holding it can.
#include <algorithm>
#include <climits>
#include <new>

#include <wirekit/core/error.hpp>
#include <wirekit/ws/deflate.hpp>

// next_in becomes a pointer to const, so input views need no const_cast.
#define ZLIB_CONST
#include <zlib.h>

namespace wirekit::ws {

namespace {

// What a sync flush ends with (an empty stored block), left off the wire (RFC 7692 §7.2.1).
constexpr std::string_view flush_tail("\x00\x00\xff\xff", 4);

// zlib counts in uInt: larger views go in pieces.
uInt clamp_uint(std::size_t n) noexcept {
  return static_cast<uInt>(std::min<std::size_t>(n, UINT_MAX));
}

void check_window_bits(int window_bits) {
  if (window_bits < 8 || window_bits > 15) {
    throw Error(errc::invalid_argument, "invalid permessage-deflate window bits " +
                                            std::to_string(window_bits) + ": must be 8 to 15");
  }
}

}  // namespace

// zlib's state is made on first use: a connection that negotiated compression but sends
// nothing large holds none of it (a deflater is some 256 KiB at 15 bits and memLevel 8).
struct Compressor::State {
  z_stream stream{};
  int window_bits = 15;
  int mem_level = 8;
  bool no_context_takeover = false;
  bool initialized = false;
  ~State() {
    if (initialized) deflateEnd(&stream);
  }
  z_stream& ready() {
    if (!initialized) {
      if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -window_bits, mem_level,
                       Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::bad_alloc();
      }
      initialized = true;
    }
    return stream;
  }
};

Compressor::Compressor(int window_bits, bool no_context_takeover, int mem_level) {
  check_window_bits(window_bits);
  if (mem_level < 1 || mem_level > 9) {
    throw Error(errc::invalid_argument,
                "invalid deflate memory level " + std::to_string(mem_level) + ": must be 1 to 9");
  }
  state_ = std::make_unique<State>();
  state_->window_bits = std::max(window_bits, 9);
  state_->mem_level = mem_level;
  state_->no_context_takeover = no_context_takeover;
}

Compressor::~Compressor() = default;
Compressor::Compressor(Compressor&&) noexcept = default;
Compressor& Compressor::operator=(Compressor&&) noexcept = default;

void Compressor::compress(std::string_view message, std::string& out) {
  z_stream& zs = state_->ready();
  std::string_view rest = message;  // not yet handed to zlib
  for (;;) {
    if (zs.avail_in == 0) {
      zs.next_in = reinterpret_cast<const Bytef*>(rest.data());
      zs.avail_in = clamp_uint(rest.size());
      rest.remove_prefix(zs.avail_in);
    }
    const int flush = rest.empty() ? Z_SYNC_FLUSH : Z_NO_FLUSH;
    const std::size_t old_size = out.size();
    const uInt room = clamp_uint(std::max<uLong>(deflateBound(&zs, zs.avail_in), 64));
    out.resize(old_size + room);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + old_size);
    zs.avail_out = room;
    const int ret = deflate(&zs, flush);
    out.resize(old_size + room - zs.avail_out);
    if (ret != Z_OK && ret != Z_BUF_ERROR) {
      throw Error(errc::invalid_argument, std::string("zlib deflate failed: ") + zError(ret));
    }
    // Done when zlib took everything and had room to spare: the flush is complete.
    if (flush == Z_SYNC_FLUSH && zs.avail_in == 0 && zs.avail_out > 0) break;
  }
  out.resize(out.size() - flush_tail.size());
  if (state_->no_context_takeover) deflateReset(&zs);
}

// Made on first use too, and with no_context_takeover ended after each message: between
// messages such a connection holds no inflater (about 7 KiB, and the window once used).
struct Decompressor::State {
  z_stream stream{};
  int window_bits = 15;
  bool no_context_takeover = false;
  bool initialized = false;
  bool stream_ended = false;  // the message's stream ended with a BFINAL block
  ~State() { end(); }
  void ready() {
    if (initialized) return;
    if (inflateInit2(&stream, -window_bits) != Z_OK) throw std::bad_alloc();
    initialized = true;
  }
  void end() {
    if (initialized) inflateEnd(&stream);
    initialized = false;
    stream_ended = false;
  }

  // Inflates `in` onto `out`, whose size must stay within `limit`.
  Result inflate_into(std::string_view in, std::string& out, std::size_t limit) {
    if (stream_ended) return Result::ok;
    std::string_view rest = in;  // not yet handed to zlib
    stream.avail_in = 0;
    for (;;) {
      if (stream.avail_in == 0 && !rest.empty()) {
        stream.next_in = reinterpret_cast<const Bytef*>(rest.data());
        stream.avail_in = clamp_uint(rest.size());
        rest.remove_prefix(stream.avail_in);
      }
      const std::size_t old_size = out.size();
      int ret;
      if (old_size == limit) {
        // The output is full: inflate one byte more into a probe; if it comes, the message is
        // too big, and nothing past the limit was ever stored.
        Bytef probe;
        stream.next_out = &probe;
        stream.avail_out = 1;
        ret = inflate(&stream, Z_NO_FLUSH);
        if (stream.avail_out == 0) return Result::too_big;
      } else {
        const uInt room =
            clamp_uint(std::min(limit - old_size, std::max<std::size_t>(16 * 1024, 4 * in.size())));
        out.resize(old_size + room);
        stream.next_out = reinterpret_cast<Bytef*>(out.data() + old_size);
        stream.avail_out = room;
        ret = inflate(&stream, Z_NO_FLUSH);
        out.resize(old_size + room - stream.avail_out);
      }
      const bool all_input_taken = stream.avail_in == 0 && rest.empty();
      if (ret == Z_STREAM_END) {
        // A block with BFINAL set ends the message's DEFLATE stream (RFC 7692 §7.2.3.3): what
        // follows, the tail included, is ignored, as zlib-based peers do.
        stream_ended = true;
        return Result::ok;
      }
      if (ret == Z_MEM_ERROR) throw std::bad_alloc();
      if (ret != Z_OK && ret != Z_BUF_ERROR) return Result::corrupt;
      if (all_input_taken && stream.avail_out > 0) return Result::ok;
    }
  }
};

Decompressor::Decompressor(int window_bits, bool no_context_takeover) {
  check_window_bits(window_bits);
  state_ = std::make_unique<State>();
  state_->window_bits = std::max(window_bits, 9);
  state_->no_context_takeover = no_context_takeover;
}

Decompressor::~Decompressor() = default;
Decompressor::Decompressor(Decompressor&&) noexcept = default;
Decompressor& Decompressor::operator=(Decompressor&&) noexcept = default;

Decompressor::Result Decompressor::decompress(std::string_view frame_payload,
                                              bool last_frame_of_message, std::string& out,
                                              std::size_t max_out) {
  const std::size_t limit =
      max_out > out.max_size() - out.size() ? out.max_size() : out.size() + max_out;
  State& s = *state_;
  s.ready();
  Result result = s.inflate_into(frame_payload, out, limit);
  if (result == Result::ok && last_frame_of_message && !s.stream_ended) {
    result = s.inflate_into(flush_tail, out, limit);
    // After the tail's empty stored block zlib waits for the next block's header (data_type
    // 128); anywhere else, the message stopped inside a block.
    if (result == Result::ok && !s.stream_ended && (s.stream.data_type & 128) == 0) {
      result = Result::corrupt;
    }
  }
  // A stream that ended cannot go on: the next message starts a new one (its window is gone,
  // so a peer that ends a stream cannot refer back across it).
  if (result != Result::ok || (last_frame_of_message && s.no_context_takeover)) {
    s.end();
  } else if (last_frame_of_message && s.stream_ended) {
    inflateReset(&s.stream);
    s.stream_ended = false;
  }
  return result;
}

}  // namespace wirekit::ws
