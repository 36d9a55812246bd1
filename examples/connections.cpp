// Tutorial §9.2, monitoring network connections: each TCP and UDP socket's local address,
// remote address and status, printed as the psutil program prints them.
//   ./connections
#include <cstdio>

#include <wirekit/capture/conns.hpp>

using namespace wirekit;

namespace {

// psutil's addr namedtuple, or () for no address.
std::string python_addr(const capture::Endpoint& endpoint) {
  if (endpoint.is_unset()) return "()";
  return "addr(ip='" + endpoint.ip.to_string() + "', port=" + std::to_string(endpoint.port) + ")";
}

}  // namespace

int main() {
  try {
    for (const capture::Connection& conn : capture::list_connections({})) {
      // psutil reports no state for UDP sockets, connected or not.
      const std::string_view status = conn.protocol == capture::SocketProtocol::udp
                                          ? "NONE"
                                          : capture::state_name(conn.protocol, conn.state);
      std::printf("Local address: %s\nRemote address: %s\nStatus: %.*s\n---\n",
                  python_addr(conn.local).c_str(), python_addr(conn.remote).c_str(),
                  static_cast<int>(status.size()), status.data());
    }
  } catch (const Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
