#include <wirekit/net/protocol.hpp>

namespace wirekit::net {

void Transport::write(std::span<const std::byte> data) {
  if (closing_ || aborted_) return;
  pending_.append(reinterpret_cast<const char*>(data.data()), data.size());
}

void Transport::abort_connection() noexcept {
  aborted_ = true;
  pending_.clear();
  stream_.close();
}

Task<void> run_protocol(SocketStream stream, Protocol& protocol) {
  Transport transport(stream, stream.peer_address(), stream.local_address());
  protocol.transport_ = &transport;
  std::exception_ptr reason;
  try {
    protocol.connection_made();
    std::byte buffer[65536];
    for (;;) {
      if (!transport.pending().empty()) {
        co_await stream.write(transport.pending());
        transport.pending().clear();
      }
      if (transport.closing() || transport.aborted()) break;
      const std::size_t n = co_await stream.read_some(buffer);
      if (n == 0) break;
      protocol.data_received(std::span(buffer, n));
    }
  } catch (...) {
    reason = std::current_exception();
  }
  stream.close();
  protocol.connection_lost(transport.aborted() ? nullptr : reason);
  protocol.transport_ = nullptr;
}

Task<void> listen_tcp(TcpServer& server, Factory& factory) {
  co_await server.serve([&factory](TcpStream stream) -> Task<void> {
    const std::unique_ptr<Protocol> protocol = factory.build_protocol(stream.peer_address());
    co_await run_protocol(std::move(stream), *protocol);
  });
}

}  // namespace wirekit::net
