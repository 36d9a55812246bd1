// Unix domain stream sockets: the same Stream as TCP, addressed by a path.
#pragma once

#include <string_view>

#include <wirekit/net/socket.hpp>

namespace wirekit::net {

class UnixStream final : public SocketStream {
 public:
  UnixStream() = default;
  UnixStream(int fd, const SocketAddress& peer) : SocketStream(fd, peer) {}
  static Task<UnixStream> connect(std::string_view path, Duration timeout = {});
};

class UnixListener final : public Listener {
 public:
  UnixListener() = default;
  // Binds `path`, replacing a stale socket file left by a previous run (but never another
  // kind of file).
  static UnixListener bind(std::string_view path, ListenOptions options = {});
  Task<UnixStream> accept();

 private:
  UnixListener(const SocketAddress& address, const ListenOptions& options);
};

}  // namespace wirekit::net
