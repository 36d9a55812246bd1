// Sockets: the descriptor-backed Stream shared by TCP and Unix sockets, listeners, accept,
// connect and sendfile. Every descriptor is non-blocking and close-on-exec.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <sys/types.h>

#include <wirekit/core.hpp>
#include <wirekit/net/address.hpp>
#include <wirekit/net/stream.hpp>

namespace wirekit::net {

namespace detail {

// A descriptor and its readiness; heap-held so the stream object can move while the loop
// keeps pointing at the IoSource.
struct SocketCore {
  explicit SocketCore(int fd_in, const SocketAddress& peer_in = {}) noexcept;
  ~SocketCore();
  SocketCore(const SocketCore&) = delete;
  SocketCore& operator=(const SocketCore&) = delete;
  void close() noexcept;

  int fd;
  IoSource source;
  SocketAddress peer;
};

// Creates a non-blocking, close-on-exec socket; throws naming `context` on failure.
int open_socket(int family, int type, const std::string& context);

// What an operation on a closed socket waits on and reports: every attempt fails with
// errc::closed.
IoSource& closed_source() noexcept;
Attempt closed_attempt() noexcept;
// After a failed non-blocking syscall: EAGAIN means "wait for `i`" (and the direction is no
// longer ready); any other errno is the failure.
Attempt blocked_or_failed(IoSource& source, Interest i, int err) noexcept;

inline IoSource& source_of(const std::unique_ptr<SocketCore>& core) noexcept {
  return core ? core->source : closed_source();
}

}  // namespace detail

class SendFile;

// A connected stream socket (TCP or Unix).
class SocketStream : public Stream {
 public:
  SocketStream() = default;
  // Adopts a connected non-blocking socket.
  SocketStream(int fd, const SocketAddress& peer);
  SocketStream(SocketStream&&) noexcept = default;
  SocketStream& operator=(SocketStream&&) noexcept = default;
  ~SocketStream() override = default;

  int native_handle() const noexcept { return core_ ? core_->fd : -1; }
  const SocketAddress& peer_address() const noexcept;
  SocketAddress local_address() const;

  // Sends `count` bytes of the file open as `file_fd`, from `offset`, with sendfile(2): the
  // bytes go from the page cache to the socket without a copy through user space.
  [[nodiscard]] SendFile send_file(int file_fd, off_t offset, std::size_t count) noexcept;

  void close() noexcept override;
  // SO_LINGER of zero seconds, then close: a TCP peer sees a reset.
  void reset() noexcept override;
  bool is_open() const noexcept override { return core_ && core_->fd >= 0; }
  std::string describe() const override;

  Attempt try_read(std::span<std::byte> buffer) noexcept override;
  Attempt try_write(std::span<const std::byte> data) noexcept override;
  Attempt try_writev(std::span<const iovec> chunks) noexcept override;
  Attempt try_shutdown_write() noexcept override;
  IoSource& io_source() noexcept override;

 protected:
  std::unique_ptr<detail::SocketCore> core_;
};

// co_await → the whole range was sent, or throws.
class SendFile final : public detail::TimedOperation<SendFile> {
 public:
  SendFile(SocketStream& stream, int file_fd, off_t offset, std::size_t count) noexcept;
  void await_resume() const { rethrow_failure(); }

 private:
  bool step() noexcept override;
  std::string describe() const override;
  SocketStream& stream_;
  int file_fd_;
  off_t offset_;
  std::size_t rest_;
};

struct ListenOptions {
  int backlog = 1024;
  bool reuse_address = true;  // rebind at once after a restart (TIME_WAIT)
  bool reuse_port = false;    // several listeners, one per loop, share the port
  bool v6_only = true;        // an IPv6 listener does not take IPv4 connections
};

// A listening socket; accept() yields connected streams of type S.
class Listener {
 public:
  Listener() = default;
  Listener(Listener&&) noexcept = default;
  Listener& operator=(Listener&&) noexcept = default;

  const SocketAddress& local_address() const noexcept { return local_; }
  int native_handle() const noexcept { return core_ ? core_->fd : -1; }
  void close() noexcept;
  bool is_open() const noexcept { return core_ && core_->fd >= 0; }

  // co_await → {descriptor, peer} of the next connection.
  class Accept final : public detail::TimedOperation<Accept> {
   public:
    explicit Accept(Listener& listener) noexcept;
    std::pair<int, SocketAddress> await_resume();

   private:
    bool step() noexcept override;
    std::string describe() const override;
    Listener& listener_;
    UniqueFd fd_;  // closed if the accepting task is destroyed before it resumes
    SocketAddress peer_;
  };
  [[nodiscard]] Accept accept_socket() noexcept { return Accept(*this); }

 protected:
  // Binds and listens; throws "listen on 127.0.0.1:80: Address already in use".
  Listener(const SocketAddress& address, int type, const ListenOptions& options);
  std::unique_ptr<detail::SocketCore> core_;
  SocketAddress local_;
};

namespace detail {

// co_await → the socket is connected (or throws naming the address).
class Connect final : public TimedOperation<Connect> {
 public:
  Connect(SocketCore& core, const SocketAddress& address, Duration timeout) noexcept;
  void await_resume() const { rethrow_failure(); }

 private:
  bool step() noexcept override;
  std::string describe() const override;
  SocketCore& core_;
  SocketAddress address_;
  bool started_ = false;
};

}  // namespace detail

}  // namespace wirekit::net
