// TCP: streams (connect, TCP_NODELAY on by default, keep-alive, half-close, sendfile) and
// listeners (SO_REUSEPORT for one listener per loop).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <wirekit/net/resolver.hpp>
#include <wirekit/net/socket.hpp>

namespace wirekit::net {

struct KeepAlive {
  Duration idle = std::chrono::seconds(60);      // silence before the first probe
  Duration interval = std::chrono::seconds(10);  // between probes
  int probes = 6;                                // unanswered probes before the reset
};

struct ConnectOptions {
  Duration timeout{};                   // per address tried; zero: the kernel's (minutes)
  bool no_delay = true;                 // TCP_NODELAY: no Nagle delay on small writes
  std::optional<KeepAlive> keep_alive;  // off unless given
};

class TcpStream final : public SocketStream {
 public:
  TcpStream() = default;
  TcpStream(int fd, const SocketAddress& peer) : SocketStream(fd, peer) {}

  static Task<TcpStream> connect(const SocketAddress& address, ConnectOptions options = {});
  // Resolves `host` and tries its addresses in turn until one accepts.
  static Task<TcpStream> connect(std::string_view host, std::uint16_t port,
                                 ConnectOptions options = {});

  void set_no_delay(bool on);
  void set_keep_alive(const std::optional<KeepAlive>& keep_alive);
};

class TcpListener final : public Listener {
 public:
  TcpListener() = default;
  static TcpListener bind(const SocketAddress& address, ListenOptions options = {});

  // co_await → the next connection, TCP_NODELAY set.
  Task<TcpStream> accept();

 private:
  TcpListener(const SocketAddress& address, const ListenOptions& options);
};

}  // namespace wirekit::net
