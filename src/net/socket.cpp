#include <cerrno>
#include <climits>

#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <wirekit/net/socket.hpp>

namespace wirekit::net {

namespace detail {

SocketCore::SocketCore(int fd_in, const SocketAddress& peer_in) noexcept
    : fd(fd_in), peer(peer_in) {
  source.set_fd(fd);
}

SocketCore::~SocketCore() {
  close();
}

void SocketCore::close() noexcept {
  if (fd < 0) return;
  source.detach();
  ::close(fd);
  fd = -1;
  source.set_fd(-1);
}

int open_socket(int family, int type, const std::string& context) {
  const int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno(context);
  return fd;
}

IoSource& closed_source() noexcept {
  static thread_local IoSource source;
  return source;
}

Attempt closed_attempt() noexcept {
  return Attempt::failed(make_error_code(errc::closed));
}

Attempt blocked_or_failed(IoSource& source, Interest i, int err) noexcept {
  if (err != EAGAIN) return Attempt::failed_errno(err);
  source.clear(i);
  return Attempt::blocked(i);
}

}  // namespace detail

namespace {

Attempt closed() noexcept {
  return detail::closed_attempt();
}

SocketAddress local_address_of(int fd) {
  SocketAddress a;
  socklen_t size = SocketAddress::capacity();
  if (fd < 0 || ::getsockname(fd, a.native(), &size) != 0) return {};
  a.set_native_size(size);
  return a;
}

}  // namespace

// ---- SocketStream -------------------------------------------------------------------------

SocketStream::SocketStream(int fd, const SocketAddress& peer)
    : core_(std::make_unique<detail::SocketCore>(fd, peer)) {}

const SocketAddress& SocketStream::peer_address() const noexcept {
  static const SocketAddress none;
  return core_ ? core_->peer : none;
}

SocketAddress SocketStream::local_address() const {
  return local_address_of(native_handle());
}

void SocketStream::close() noexcept {
  if (core_) core_->close();
}

void SocketStream::reset() noexcept {
  if (!core_ || core_->fd < 0) return;
  const linger abortive{.l_onoff = 1, .l_linger = 0};
  ::setsockopt(core_->fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  core_->close();
}

std::string SocketStream::describe() const {
  return core_ ? core_->peer.to_string() : std::string("(closed socket)");
}

IoSource& SocketStream::io_source() noexcept {
  return detail::source_of(core_);
}

Attempt SocketStream::try_read(std::span<std::byte> buffer) noexcept {
  if (!is_open()) return closed();
  IoSource& source = core_->source;
  if (!source.ready(Interest::read)) return Attempt::blocked(Interest::read);
  for (;;) {
    const ssize_t n = ::recv(core_->fd, buffer.data(), buffer.size(), 0);
    if (n >= 0) {
      // A short read drained the socket buffer: wait for the next edge instead of paying a
      // recv() that would only say EAGAIN.
      if (static_cast<std::size_t>(n) < buffer.size()) source.clear(Interest::read);
      return Attempt::done(static_cast<std::size_t>(n));
    }
    if (errno == EINTR) continue;
    return detail::blocked_or_failed(source, Interest::read, errno);
  }
}

namespace {

Attempt finish_write(IoSource& source, ssize_t n, std::size_t wanted) noexcept {
  if (n >= 0) {
    if (static_cast<std::size_t>(n) < wanted) source.clear(Interest::write);
    return Attempt::done(static_cast<std::size_t>(n));
  }
  return detail::blocked_or_failed(source, Interest::write, errno);
}

}  // namespace

Attempt SocketStream::try_write(std::span<const std::byte> data) noexcept {
  if (!is_open()) return closed();
  if (!core_->source.ready(Interest::write)) return Attempt::blocked(Interest::write);
  ssize_t n = 0;
  do {
    n = ::send(core_->fd, data.data(), data.size(), MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return finish_write(core_->source, n, data.size());
}

Attempt SocketStream::try_writev(std::span<const iovec> chunks) noexcept {
  if (!is_open()) return closed();
  if (!core_->source.ready(Interest::write)) return Attempt::blocked(Interest::write);
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(chunks.data());
  message.msg_iovlen = std::min<std::size_t>(chunks.size(), IOV_MAX);
  std::size_t wanted = 0;
  for (std::size_t i = 0; i < message.msg_iovlen; ++i) wanted += chunks[i].iov_len;
  ssize_t n = 0;
  do {
    n = ::sendmsg(core_->fd, &message, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return finish_write(core_->source, n, wanted);
}

Attempt SocketStream::try_shutdown_write() noexcept {
  if (!is_open()) return closed();
  if (::shutdown(core_->fd, SHUT_WR) != 0 && errno != ENOTCONN) {
    return Attempt::failed_errno(errno);
  }
  return Attempt::done(0);
}

SendFile SocketStream::send_file(int file_fd, off_t offset, std::size_t count) noexcept {
  return SendFile(*this, file_fd, offset, count);
}

// ---- SendFile -----------------------------------------------------------------------------

SendFile::SendFile(SocketStream& stream, int file_fd, off_t offset, std::size_t count) noexcept
    : TimedOperation(stream.io_source(), stream.write_timeout()),
      stream_(stream),
      file_fd_(file_fd),
      offset_(offset),
      rest_(count) {}

bool SendFile::step() noexcept {
  while (rest_ > 0) {
    if (!stream_.is_open()) return record(closed());
    if (!source_.ready(Interest::write)) return record(Attempt::blocked(Interest::write));
    const ssize_t n = ::sendfile(stream_.native_handle(), file_fd_, &offset_, rest_);
    if (n == 0) {
      // The file is shorter than promised: it was truncated while being sent.
      return record(Attempt::failed(make_error_code(errc::unexpected_eof)));
    }
    if (n < 0 && errno == EINTR) continue;
    const Attempt a = finish_write(source_, n, rest_);
    if (a.would_block || a.error) return record(a);
    rest_ -= a.bytes;
  }
  return true;
}

std::string SendFile::describe() const {
  return "sendfile to " + stream_.describe();
}

// ---- Listener -----------------------------------------------------------------------------

Listener::Listener(const SocketAddress& address, int type, const ListenOptions& options) {
  const std::string context = "listen on " + address.to_string();
  const int fd = detail::open_socket(address.family(), type, context);
  core_ = std::make_unique<detail::SocketCore>(fd);
  const int on = 1;
  if (address.is_ip()) {
    if (options.reuse_address) ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (options.reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
      throw_errno(context + ": SO_REUSEPORT");
    }
    if (address.family() == AF_INET6) {
      const int v6_only = options.v6_only ? 1 : 0;
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6_only, sizeof v6_only);
    }
  }
  if (::bind(fd, address.native(), address.native_size()) != 0) throw_errno(context);
  if (::listen(fd, options.backlog) != 0) throw_errno(context);
  local_ = address.is_ip() ? local_address_of(fd) : address;
}

void Listener::close() noexcept {
  if (core_) core_->close();
}

Listener::Accept::Accept(Listener& listener) noexcept
    : TimedOperation(detail::source_of(listener.core_), Duration{}), listener_(listener) {}

bool Listener::Accept::step() noexcept {
  if (!listener_.is_open()) return record(closed());
  for (;;) {
    socklen_t size = SocketAddress::capacity();
    const int fd =
        ::accept4(listener_.core_->fd, peer_.native(), &size, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      peer_.set_native_size(size);
      fd_.reset(fd);
      return true;
    }
    // The connection died in the backlog; the next one may be fine.
    if (errno == EINTR || errno == ECONNABORTED) continue;
    return record(detail::blocked_or_failed(source_, Interest::read, errno));
  }
}

std::pair<int, SocketAddress> Listener::Accept::await_resume() {
  rethrow_failure();
  return {fd_.release(), peer_};
}

std::string Listener::Accept::describe() const {
  return "accept on " + listener_.local_address().to_string();
}

// ---- Connect ------------------------------------------------------------------------------

namespace detail {

Connect::Connect(SocketCore& core, const SocketAddress& address, Duration timeout) noexcept
    : TimedOperation(core.source, timeout), core_(core), address_(address) {}

bool Connect::step() noexcept {
  if (!started_) {
    started_ = true;
    int rc = 0;
    do {
      rc = ::connect(core_.fd, address_.native(), address_.native_size());
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) return true;
    if (errno != EINPROGRESS) return record(Attempt::failed_errno(errno));
    core_.source.clear(Interest::write);
    return record(Attempt::blocked(Interest::write));
  }
  // Woken writable: the handshake ended; SO_ERROR says how.
  int error = 0;
  socklen_t size = sizeof error;
  if (::getsockopt(core_.fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = errno;
  if (error == 0) return true;
  return record(Attempt::failed_errno(error));
}

std::string Connect::describe() const {
  return "connect to " + address_.to_string();
}

}  // namespace detail

}  // namespace wirekit::net
