#include <fmt/format.h>
#include <sys/uio.h>

#include <wirekit/net/stream.hpp>

namespace wirekit::net {

// ---- IoOperation ---------------------------------------------------------------------------

namespace detail {

IoOperation::~IoOperation() {
  source_.forget(*this);
}

void IoOperation::start_waiting() {
  source_.watch_for(wait_for_);
  source_.wait(wait_for_, *this);
  if (timeout_ > Duration::zero()) {
    EventLoop& loop = EventLoop::current();
    loop.arm(deadline_, loop.now() + timeout_);
  }
  // Last: a token already requested cancels at once, through the same path as any other.
  if (also_until_.stop_possible()) until_callback_.emplace(also_until_, CancelWait{this});
}

void IoOperation::run() noexcept {
  if (status_ == Status::pending && !finished_) {
    finished_ = step();
    if (!finished_) {
      // Readiness was spurious or partial: keep waiting (perhaps the other way, for TLS).
      try {
        source_.watch_for(wait_for_);
        source_.wait(wait_for_, *this);
        return;
      } catch (const Error& e) {
        error_ = e.code();
        finished_ = true;
      }
    }
  }
  EventLoop::current().disarm(deadline_);
  until_callback_.reset();
  leave(*this);
  handle_.resume();
}

void IoOperation::cancel() noexcept {
  if (status_ != Status::pending) return;  // both tokens fired
  source_.forget(*this);
  status_ = Status::cancelled;
  EventLoop::current().schedule(*this);
}

void IoOperation::expire() noexcept {
  if (status_ != Status::pending) return;
  source_.forget(*this);
  status_ = Status::timed_out;
  EventLoop::current().schedule(*this);
}

void IoOperation::rethrow_failure() const {
  switch (status_) {
    case Status::cancelled:
      throw Error(errc::cancelled, describe() + ": cancelled");
    case Status::timed_out:
      throw Error(errc::timed_out,
                  fmt::format("{}: timed out after {}", describe(), format_duration(timeout_)));
    case Status::pending:
      break;
  }
  if (error_) throw Error::because(error_, describe());
}

}  // namespace detail

// ---- stream operations --------------------------------------------------------------------

ReadSome::ReadSome(Stream& stream, std::span<std::byte> buffer) noexcept
    : TimedOperation(stream.io_source(), stream.read_timeout()), stream_(stream), buffer_(buffer) {}

bool ReadSome::step() noexcept {
  const Attempt a = stream_.try_read(buffer_);
  bytes_ = a.bytes;
  return record(a);
}

std::string ReadSome::describe() const {
  return "read from " + stream_.describe();
}

WriteAll::WriteAll(Stream& stream, std::span<const std::byte> data) noexcept
    : TimedOperation(stream.io_source(), stream.write_timeout()), stream_(stream), rest_(data) {}

bool WriteAll::step() noexcept {
  while (!rest_.empty()) {
    const Attempt a = stream_.try_write(rest_);
    if (a.would_block || a.error) return record(a);
    rest_ = rest_.subspan(a.bytes);
  }
  return true;
}

std::string WriteAll::describe() const {
  return "write to " + stream_.describe();
}

WritevAll::WritevAll(Stream& stream, std::span<iovec> chunks) noexcept
    : TimedOperation(stream.io_source(), stream.write_timeout()), stream_(stream), rest_(chunks) {}

bool WritevAll::step() noexcept {
  for (;;) {
    while (!rest_.empty() && rest_.front().iov_len == 0) rest_ = rest_.subspan(1);
    if (rest_.empty()) return true;
    const Attempt a = stream_.try_writev(rest_);
    if (a.would_block || a.error) return record(a);
    std::size_t written = a.bytes;
    while (written > 0) {
      iovec& chunk = rest_.front();
      const std::size_t n = std::min(written, chunk.iov_len);
      chunk.iov_base = static_cast<char*>(chunk.iov_base) + n;
      chunk.iov_len -= n;
      written -= n;
      if (chunk.iov_len == 0) rest_ = rest_.subspan(1);
    }
  }
}

std::string WritevAll::describe() const {
  return "write to " + stream_.describe();
}

WaitReadable::WaitReadable(Stream& stream) noexcept
    : TimedOperation(stream.io_source(), stream.read_timeout()), stream_(stream) {}

bool WaitReadable::step() noexcept {
  if (!stream_.is_open()) return record(Attempt::failed(make_error_code(errc::closed)));
  if (stream_.has_buffered_input() || source_.ready(Interest::read)) return true;
  return record(Attempt::blocked(Interest::read));
}

std::string WaitReadable::describe() const {
  return "wait for data from " + stream_.describe();
}

ShutdownWrite::ShutdownWrite(Stream& stream) noexcept
    : TimedOperation(stream.io_source(), stream.write_timeout()), stream_(stream) {}

bool ShutdownWrite::step() noexcept {
  return record(stream_.try_shutdown_write());
}

std::string ShutdownWrite::describe() const {
  return "shut down writing to " + stream_.describe();
}

// ---- Stream -------------------------------------------------------------------------------

Attempt Stream::try_writev(std::span<const iovec> chunks) noexcept {
  for (const iovec& chunk : chunks) {
    if (chunk.iov_len != 0) {
      return try_write(std::span(static_cast<const std::byte*>(chunk.iov_base), chunk.iov_len));
    }
  }
  return Attempt::done(0);
}

bool Stream::quiet() noexcept {
  if (!is_open() || has_buffered_input()) return false;
  std::byte probe{};
  return try_read(std::span(&probe, 1)).would_block;
}

Task<void> Stream::read_exact(std::span<std::byte> buffer) {
  while (!buffer.empty()) {
    const std::size_t n = co_await read_some(buffer);
    if (n == 0) {
      throw Error(errc::unexpected_eof,
                  fmt::format("read from {}: closed with {} bytes still expected", describe(),
                              buffer.size()));
    }
    buffer = buffer.subspan(n);
  }
}

Task<std::string> Stream::read_to_end(std::size_t limit) {
  std::string out;
  std::byte chunk[16384];
  for (;;) {
    const std::size_t n = co_await read_some(chunk);
    if (n == 0) co_return out;
    if (out.size() + n > limit) {
      throw Error(errc::limit_exceeded,
                  fmt::format("read from {}: more than {} bytes", describe(), limit));
    }
    out.append(reinterpret_cast<const char*>(chunk), n);
  }
}

}  // namespace wirekit::net
