// The compression engine of permessage-deflate (RFC 7692 §7): raw DEFLATE (zlib), each message
// flushed to a byte boundary with the trailing 00 00 ff ff left off the wire. Negotiating the
// extension is the handshake's business; these classes take its outcome.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace wirekit::ws {

// Deflates whole messages. With context takeover the LZ77 window carries over from message to
// message (RFC 7692 §7.2.1), so one Compressor belongs to one connection. With
// no_context_takeover every message starts afresh: such a compressor holds nothing between
// calls and may be shared by all the connections of one loop (not across threads), which keeps
// its memory (about (1 << (window_bits + 2)) + (1 << (mem_level + 9)) bytes) out of the cost of
// each connection; ws::Connection does so. zlib's state is made on the first compress(): a
// compressor that never compresses costs a few bytes.
class Compressor {
 public:
  // window_bits 8..15 (8 is raised to 9: zlib cannot make a raw deflater with a window of 256
  // bytes, and a window of 9 bits only ever refers back 256 bytes more), mem_level 1..9;
  // anything else throws Error(errc::invalid_argument).
  Compressor(int window_bits, bool no_context_takeover, int mem_level = 8);
  ~Compressor();
  Compressor(Compressor&&) noexcept;
  Compressor& operator=(Compressor&&) noexcept;

  // Appends the compressed form of `message` to `out`: deflated with Z_SYNC_FLUSH, the
  // trailing 00 00 ff ff stripped (RFC 7692 §7.2.1).
  void compress(std::string_view message, std::string& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Inflates messages frame by frame, or in any smaller pieces. It holds the peer's window, so it
// belongs to one connection, even with no_context_takeover: a message may arrive over many
// reads, interleaved with other connections' messages. Its zlib state is made on the first
// decompress() and, with no_context_takeover, freed at the end of each message: between
// messages it costs a few bytes.
class Decompressor {
 public:
  // window_bits 8..15 (the peer's max window bits); anything else throws
  // Error(errc::invalid_argument). 8 inflates with a window of 9 bits: zlib peers, this
  // Compressor among them, deflate with 9 when 8 was agreed, and a larger window accepts every
  // stream a smaller one does.
  Decompressor(int window_bits, bool no_context_takeover);
  ~Decompressor();
  Decompressor(Decompressor&&) noexcept;
  Decompressor& operator=(Decompressor&&) noexcept;

  enum class Result { ok, too_big, corrupt };

  // Inflates `frame_payload` (a frame's payload, or a piece of it), appending to `out`; after
  // the last piece of a message (`last_frame_of_message`) it adds the 00 00 ff ff tail the
  // sender stripped, and checks that the message ended on a block boundary. It never appends
  // more than `max_out` bytes: too_big as soon as the output would pass that (a decompression
  // bomb costs at most max_out bytes of memory and the time to inflate them). corrupt for data
  // that is not DEFLATE. After too_big or corrupt the stream is reset; the connection is to be
  // failed anyway.
  Result decompress(std::string_view frame_payload, bool last_frame_of_message, std::string& out,
                    std::size_t max_out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace wirekit::ws
