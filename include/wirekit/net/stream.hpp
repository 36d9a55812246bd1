// Stream: the one byte-stream interface of wirekit. TCP, Unix sockets, TLS (tls layer) and
// in-memory test pipes implement it; HTTP, WebSocket, SMTP and Redis are written against it.
//
// A stream implements a few non-blocking primitives (try_read, try_write, ...) and names the
// IoSource whose readiness to wait on. Stream turns them into awaitable operations that never
// allocate: `co_await s.read_some(buf)`, `co_await s.write(bytes)`. Every operation accepts a
// deadline, `co_await s.read_some(buf).timeout(5s)`, and is cancelled by the task's stop token.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>

#include <sys/uio.h>

#include <wirekit/core.hpp>

namespace wirekit::net {

// The outcome of one non-blocking attempt.
struct Attempt {
  std::size_t bytes = 0;
  std::error_code error;               // the attempt failed
  bool would_block = false;            // nothing done; wait for `wait_for` and try again
  Interest wait_for = Interest::read;  // (TLS may need to read in order to write)

  static Attempt done(std::size_t n) noexcept { return {n, {}, false, Interest::read}; }
  static Attempt blocked(Interest i) noexcept { return {0, {}, true, i}; }
  static Attempt failed(std::error_code e) noexcept { return {0, e, false, Interest::read}; }
  static Attempt failed_errno(int err) noexcept {
    return failed(std::error_code(err, std::system_category()));
  }
};

namespace detail {

// The awaiter behind every socket operation. It attempts at once; while the attempt would
// block it waits for readiness (and its deadline, if any) and tries again without resuming
// the task; it resumes the task only with a result, an error, a timeout or a cancellation.
class IoOperation : public wirekit::detail::Waiter, protected wirekit::detail::Suspension {
 public:
  bool await_ready() noexcept {
    finished_ = step();
    return finished_;
  }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    if (!enter(h, *this)) {
      status_ = Status::cancelled;
      return false;
    }
    start_waiting();
    return true;
  }
  void run() noexcept override;
  void cancel() noexcept override;

 protected:
  IoOperation(IoSource& source, Duration timeout) noexcept : source_(source), timeout_(timeout) {
    deadline_.operation = this;
  }
  // Only before the operation starts (see Waiter).
  IoOperation(IoOperation&& other) noexcept
      : wirekit::detail::Waiter(std::move(other)),
        source_(other.source_),
        timeout_(other.timeout_),
        also_until_(std::move(other.also_until_)),
        error_(other.error_),
        wait_for_(other.wait_for_) {
    deadline_.operation = this;
  }
  ~IoOperation() override;

  // Makes progress without blocking. Returns true when the operation is over (its result or
  // `error_` recorded), false when it would block (with `wait_for_` set).
  virtual bool step() noexcept = 0;
  // What the operation is, for error messages: "read from 127.0.0.1:80".
  virtual std::string describe() const = 0;
  // Throws the failure, if any, as an Error naming the operation.
  void rethrow_failure() const;

  bool record(const Attempt& a) noexcept {
    if (a.would_block) {
      wait_for_ = a.wait_for;
      return false;
    }
    error_ = a.error;
    return true;
  }

  IoSource& source_;
  Duration timeout_;
  std::stop_token also_until_;  // a second token that cancels the wait (see TimedOperation::until)
  std::error_code error_;
  Interest wait_for_ = Interest::read;

 private:
  enum class Status : unsigned char { pending, cancelled, timed_out };
  struct Deadline final : wirekit::detail::TimerEntry {
    IoOperation* operation = nullptr;
    void run() noexcept override { operation->expire(); }
  };
  struct CancelWait {
    IoOperation* operation;
    void operator()() const noexcept { operation->cancel(); }
  };
  void start_waiting();
  void expire() noexcept;

  Deadline deadline_;
  std::optional<std::stop_callback<CancelWait>> until_callback_;
  Status status_ = Status::pending;
  bool finished_ = false;
};

// CRTP helper: `.timeout(d)` on a temporary operation keeps its type.
template <class Derived>
class TimedOperation : public IoOperation {
 public:
  Derived timeout(Duration d) && noexcept {
    timeout_ = d;
    return static_cast<Derived&&>(*this);
  }
  // Also stops waiting, as if cancelled, when `token` is requested. The request must come
  // from the loop's own thread (a server's drain signal does).
  Derived until(std::stop_token token) && noexcept {
    also_until_ = std::move(token);
    return static_cast<Derived&&>(*this);
  }

 protected:
  using IoOperation::IoOperation;
};

}  // namespace detail

class Stream;

// co_await → bytes read; 0 means the peer closed its side.
class ReadSome final : public detail::TimedOperation<ReadSome> {
 public:
  ReadSome(Stream& stream, std::span<std::byte> buffer) noexcept;
  std::size_t await_resume() const {
    rethrow_failure();
    return bytes_;
  }

 private:
  bool step() noexcept override;
  std::string describe() const override;
  Stream& stream_;
  std::span<std::byte> buffer_;
  std::size_t bytes_ = 0;
};

// co_await → every byte written, or throws.
class WriteAll final : public detail::TimedOperation<WriteAll> {
 public:
  WriteAll(Stream& stream, std::span<const std::byte> data) noexcept;
  void await_resume() const { rethrow_failure(); }

 private:
  bool step() noexcept override;
  std::string describe() const override;
  Stream& stream_;
  std::span<const std::byte> rest_;
};

// co_await → every chunk written (gathered into as few syscalls as possible), or throws.
// The iovec array is advanced in place as bytes go out.
class WritevAll final : public detail::TimedOperation<WritevAll> {
 public:
  WritevAll(Stream& stream, std::span<iovec> chunks) noexcept;
  void await_resume() const { rethrow_failure(); }

 private:
  bool step() noexcept override;
  std::string describe() const override;
  Stream& stream_;
  std::span<iovec> rest_;
};

// co_await → the stream has input to read (or its end, or an error); reads nothing.
class WaitReadable final : public detail::TimedOperation<WaitReadable> {
 public:
  explicit WaitReadable(Stream& stream) noexcept;
  void await_resume() const { rethrow_failure(); }

 private:
  bool step() noexcept override;
  std::string describe() const override;
  Stream& stream_;
};

// co_await → the write side is shut down (the peer reads end of stream).
class ShutdownWrite final : public detail::TimedOperation<ShutdownWrite> {
 public:
  explicit ShutdownWrite(Stream& stream) noexcept;
  void await_resume() const { rethrow_failure(); }

 private:
  bool step() noexcept override;
  std::string describe() const override;
  Stream& stream_;
};

class Stream {
 public:
  Stream() = default;
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  virtual ~Stream() = default;

  [[nodiscard]] ReadSome read_some(std::span<std::byte> buffer) noexcept {
    return ReadSome(*this, buffer);
  }
  [[nodiscard]] WriteAll write(std::span<const std::byte> data) noexcept {
    return WriteAll(*this, data);
  }
  [[nodiscard]] WriteAll write(std::string_view text) noexcept {
    return WriteAll(*this, std::as_bytes(std::span(text.data(), text.size())));
  }
  [[nodiscard]] WritevAll writev(std::span<iovec> chunks) noexcept {
    return WritevAll(*this, chunks);
  }
  [[nodiscard]] ShutdownWrite shutdown_write() noexcept { return ShutdownWrite(*this); }
  // Waits until reading would make progress, without taking a buffer: an idle connection of a
  // server then holds no read buffer while it waits for its next request.
  [[nodiscard]] WaitReadable wait_readable() noexcept { return WaitReadable(*this); }
  // Fills `buffer` completely; throws Error(errc::unexpected_eof) if the peer closes first.
  Task<void> read_exact(std::span<std::byte> buffer);
  // Reads until the peer closes, at most `limit` bytes (Error(errc::limit_exceeded) beyond).
  Task<std::string> read_to_end(std::size_t limit);

  // Deadlines applied to every read / write that does not set its own (zero: none).
  void set_read_timeout(Duration d) noexcept { read_timeout_ = d; }
  void set_write_timeout(Duration d) noexcept { write_timeout_ = d; }
  Duration read_timeout() const noexcept { return read_timeout_; }
  Duration write_timeout() const noexcept { return write_timeout_; }

  // Whether an idle connection is still usable: open, and a read would block. The end of the
  // stream, an error or bytes nobody asked for (a peer out of step) mean it is not; a byte
  // read to find out is lost, so ask only of a connection about to be dropped if it fails
  // (a pool's health check).
  bool quiet() noexcept;

  // Closes at once; pending operations fail with errc::closed.
  virtual void close() noexcept = 0;
  // Closes abortively: what is not sent yet is dropped, and a TCP peer sees a reset rather than
  // an orderly end (a peer that stopped reading gets no cut message that looks complete, and the
  // kernel frees the unsent bytes at once). Default: close().
  virtual void reset() noexcept { close(); }
  virtual bool is_open() const noexcept = 0;
  // The peer, for messages: "127.0.0.1:5555".
  virtual std::string describe() const = 0;

  // ---- what an implementation provides: non-blocking attempts ----
  virtual Attempt try_read(std::span<std::byte> buffer) noexcept = 0;
  virtual Attempt try_write(std::span<const std::byte> data) noexcept = 0;
  // Default: writes the first non-empty chunk with try_write.
  virtual Attempt try_writev(std::span<const iovec> chunks) noexcept;
  virtual Attempt try_shutdown_write() noexcept = 0;
  virtual IoSource& io_source() noexcept = 0;
  // Input already decrypted or buffered inside the stream (TLS), which the descriptor's
  // readiness does not show.
  virtual bool has_buffered_input() const noexcept { return false; }

 protected:
  Stream(Stream&&) noexcept = default;
  Stream& operator=(Stream&&) noexcept = default;

 private:
  Duration read_timeout_{};
  Duration write_timeout_{};
};

// A Stream that forwards to another it does not own: to layer a stream (TLS after STARTTLS)
// over one whose owner keeps it.
class StreamRef final : public Stream {
 public:
  explicit StreamRef(Stream& target) noexcept : target_(target) {}
  void close() noexcept override { target_.close(); }
  void reset() noexcept override { target_.reset(); }
  bool is_open() const noexcept override { return target_.is_open(); }
  std::string describe() const override { return target_.describe(); }
  Attempt try_read(std::span<std::byte> buffer) noexcept override {
    return target_.try_read(buffer);
  }
  Attempt try_write(std::span<const std::byte> data) noexcept override {
    return target_.try_write(data);
  }
  Attempt try_writev(std::span<const iovec> chunks) noexcept override {
    return target_.try_writev(chunks);
  }
  Attempt try_shutdown_write() noexcept override { return target_.try_shutdown_write(); }
  IoSource& io_source() noexcept override { return target_.io_source(); }
  bool has_buffered_input() const noexcept override { return target_.has_buffered_input(); }

 private:
  Stream& target_;
};

}  // namespace wirekit::net
