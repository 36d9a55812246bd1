#include <wirekit/services.hpp>

namespace wirekit::services {

WelcomeService::WelcomeService(WelcomeOptions options, LineSink lines)
    : options_(std::move(options)),
      lines_(std::move(lines)),
      blocker_(make_blocker(options_.blocking)) {}

Task<void> WelcomeService::handle(net::TcpStream stream) {
  const net::SocketAddress& peer = stream.peer_address();
  const bool admitted = !blocker_ || guard::admitted(blocker_->check(peer.ip()));
  lines_("Connection from " + peer.python_repr() +
         (admitted ? " has been established!" : " has been blocked!"));
  co_await stream.write(admitted ? options_.message : options_.blocked_message);
}

}  // namespace wirekit::services
