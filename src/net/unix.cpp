#include <string>

#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wirekit/net/unix.hpp>

namespace wirekit::net {

Task<UnixStream> UnixStream::connect(std::string_view path, Duration timeout) {
  const SocketAddress address = SocketAddress::unix_path(path);
  const int fd = detail::open_socket(AF_UNIX, SOCK_STREAM, "connect to " + address.to_string());
  UnixStream stream(fd, address);
  co_await detail::Connect(*stream.core_, address, timeout);
  co_return stream;
}

UnixListener UnixListener::bind(std::string_view path, ListenOptions options) {
  const SocketAddress address = SocketAddress::unix_path(path);
  const std::string file(path);
  struct stat st {};
  if (::lstat(file.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(file.c_str());
  return UnixListener(address, options);
}

UnixListener::UnixListener(const SocketAddress& address, const ListenOptions& options)
    : Listener(address, SOCK_STREAM, options) {}

Task<UnixStream> UnixListener::accept() {
  auto [fd, peer] = co_await accept_socket();
  co_return UnixStream(fd, peer);
}

}  // namespace wirekit::net
