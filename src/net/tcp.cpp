#include <chrono>

#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <wirekit/net/tcp.hpp>

namespace wirekit::net {

namespace {

void set_option(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) throw_errno(what);
}

int whole_seconds(Duration d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  return static_cast<int>(std::max<long long>(1, s));
}

}  // namespace

Task<TcpStream> TcpStream::connect(const SocketAddress& address, ConnectOptions options) {
  const int fd =
      detail::open_socket(address.family(), SOCK_STREAM, "connect to " + address.to_string());
  TcpStream stream(fd, address);
  co_await detail::Connect(*stream.core_, address, options.timeout);
  if (options.no_delay) stream.set_no_delay(true);
  if (options.keep_alive) stream.set_keep_alive(options.keep_alive);
  co_return stream;
}

Task<TcpStream> TcpStream::connect(std::string_view host, std::uint16_t port,
                                   ConnectOptions options) {
  const std::vector<SocketAddress> addresses = co_await resolve(host, port);
  std::exception_ptr last_failure;
  for (const SocketAddress& address : addresses) {
    try {
      co_return co_await connect(address, options);
    } catch (const Error& e) {
      if (e.code() == errc::cancelled) throw;
      last_failure = std::current_exception();
    }
  }
  std::rethrow_exception(last_failure);
}

void TcpStream::set_no_delay(bool on) {
  set_option(native_handle(), IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0, "setsockopt(TCP_NODELAY)");
}

void TcpStream::set_keep_alive(const std::optional<KeepAlive>& keep_alive) {
  const int fd = native_handle();
  set_option(fd, SOL_SOCKET, SO_KEEPALIVE, keep_alive ? 1 : 0, "setsockopt(SO_KEEPALIVE)");
  if (!keep_alive) return;
  set_option(fd, IPPROTO_TCP, TCP_KEEPIDLE, whole_seconds(keep_alive->idle),
             "setsockopt(TCP_KEEPIDLE)");
  set_option(fd, IPPROTO_TCP, TCP_KEEPINTVL, whole_seconds(keep_alive->interval),
             "setsockopt(TCP_KEEPINTVL)");
  set_option(fd, IPPROTO_TCP, TCP_KEEPCNT, keep_alive->probes, "setsockopt(TCP_KEEPCNT)");
}

TcpListener TcpListener::bind(const SocketAddress& address, ListenOptions options) {
  if (!address.is_ip()) {
    throw Error(errc::invalid_argument,
                "TCP listen needs an IP address, not " + address.to_string());
  }
  return TcpListener(address, options);
}

TcpListener::TcpListener(const SocketAddress& address, const ListenOptions& options)
    : Listener(address, SOCK_STREAM, options) {}

Task<TcpStream> TcpListener::accept() {
  auto [fd, peer] = co_await accept_socket();
  TcpStream stream(fd, peer);
  stream.set_no_delay(true);
  co_return stream;
}

}  // namespace wirekit::net
