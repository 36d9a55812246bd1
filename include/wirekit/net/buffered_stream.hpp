// BufferedStream: a read buffer over any Stream, for the line- and delimiter-framed protocols
// (HTTP heads, SMTP commands, RESP replies, WebSocket handshakes) and the parsers that work on
// bytes in place.
//
//   net::BufferedStream in{tcp};
//   while (auto line = co_await in.read_line(512)) handle(*line);  // nullopt: the peer closed
//
// A BufferedStream is itself a Stream: reads are served from the buffer first, writes go straight
// to the inner stream. So a protocol can hand the connection on with what was read ahead — an
// HTTP upgrade gives the WebSocket the bytes past the request; STARTTLS drops them instead
// (tls::starttls) — and everything written against Stream works on it unchanged.
//
// The buffer: bytes [begin, end) of one block. Views returned by the read functions point into
// it and stay valid until the next read or unread. When a read needs room at the back, the
// unconsumed bytes move to the front (one memmove) and, when that is not enough, the block grows
// up to what the caller's limit needs. Blocks of the initial capacity come from a pool per event
// loop and go back to it on release() or destruction: an idle connection of a server holds no
// buffer. One loop: a BufferedStream is used on the loop of its inner stream.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <wirekit/core/task.hpp>
#include <wirekit/net/stream.hpp>

namespace wirekit::net {

class BufferedStream final : public Stream {
 public:
  static constexpr std::size_t default_capacity = 16 * 1024;

  // Over `inner`, which must outlive this stream.
  explicit BufferedStream(Stream& inner, std::size_t capacity = default_capacity) noexcept;
  // Over a stream it owns.
  explicit BufferedStream(std::unique_ptr<Stream> inner,
                          std::size_t capacity = default_capacity) noexcept;
  ~BufferedStream() override;

  Stream& inner() noexcept { return *inner_; }
  const Stream& inner() const noexcept { return *inner_; }

  // ---- the buffer ----
  // The bytes read and not yet consumed.
  std::string_view buffered() const noexcept { return {data_.get() + begin_, end_ - begin_}; }
  // The same bytes, writable: a parser may transform them in place (a WebSocket payload is
  // unmasked where it lies).
  std::span<char> mutable_buffered() noexcept { return {data_.get() + begin_, end_ - begin_}; }
  bool empty() const noexcept { return begin_ == end_; }
  void consume(std::size_t n) noexcept;
  // Puts `bytes` back in front of the buffered bytes: the next read returns them first.
  void unread(std::string_view bytes);
  // Gives the block back to the loop's pool when nothing is buffered (an idle connection).
  void release() noexcept;

  // Reads once more from the inner stream into the buffer, making room as described above
  // for at most `limit` buffered bytes. Returns false when the stream has ended; throws
  // Error(errc::limit_exceeded) when `limit` bytes are buffered already. `timeout` bounds the
  // wait (zero: the inner stream's read timeout).
  Task<bool> fill(std::size_t limit, Duration timeout = {});
  // Keeps the first `keep` buffered bytes where they are (views into them stay valid), drops
  // the rest, and reads once more into the room behind them: a server reads a request's body
  // this way while its head is in use. Returns false when the stream has ended.
  Task<bool> fill_after(std::size_t keep, Duration timeout = {});
  // Moves the unconsumed bytes to the front of the block now, so that the most room is behind
  // them (views into them are invalid afterwards). Returns whether anything moved.
  bool compact() noexcept;

  // ---- framed reads: views into the buffer, consumed, valid until the next read ----
  // Everything up to and including `delimiter`, at most `limit` bytes in all. nullopt when the
  // stream ends with nothing buffered; Error(errc::unexpected_eof) when it ends in the middle,
  // Error(errc::limit_exceeded) past `limit`.
  Task<std::optional<std::string_view>> read_until(std::string_view delimiter, std::size_t limit);
  // A line ended by CRLF, without the CRLF (a bare LF is part of the line: the protocol
  // decides whether to refuse it). As read_until, with `limit` counting the CRLF.
  Task<std::optional<std::string_view>> read_line(std::size_t limit);
  // Exactly `n` bytes; Error(errc::unexpected_eof) when the stream ends first.
  Task<std::string_view> read_exact(std::size_t n);
  using Stream::read_exact;

  // ---- Stream ----
  void close() noexcept override { inner_->close(); }
  void reset() noexcept override { inner_->reset(); }
  bool is_open() const noexcept override { return inner_->is_open(); }
  std::string describe() const override { return inner_->describe(); }
  Attempt try_read(std::span<std::byte> buffer) noexcept override;
  Attempt try_write(std::span<const std::byte> data) noexcept override {
    return inner_->try_write(data);
  }
  Attempt try_writev(std::span<const iovec> chunks) noexcept override {
    return inner_->try_writev(chunks);
  }
  Attempt try_shutdown_write() noexcept override { return inner_->try_shutdown_write(); }
  IoSource& io_source() noexcept override { return inner_->io_source(); }
  bool has_buffered_input() const noexcept override {
    return !empty() || inner_->has_buffered_input();
  }

 private:
  // Makes room for at least one more byte with at most `limit` bytes buffered.
  void make_room(std::size_t limit);
  void reallocate(std::size_t capacity);
  Task<bool> read_into_back(Duration timeout);

  std::unique_ptr<Stream> owned_;
  Stream* inner_;
  std::size_t initial_capacity_;
  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace wirekit::net
