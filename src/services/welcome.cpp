#include <wirekit/services/builtin.hpp>
#include <wirekit/services/config.hpp>

#include "kinds.hpp"

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

std::unique_ptr<Service> make_welcome_service(const WelcomeOptions& options) {
  return std::make_unique<TcpService>(
      "welcome", options.endpoint, [options](const ServiceContext& context) {
        auto welcome = std::make_shared<WelcomeService>(options, context.lines);
        return [welcome](net::TcpStream s) { return welcome->handle(std::move(s)); };
      });
}

ServiceKind welcome_kind() {
  return {"welcome", "§3.1/§7.2 welcome: greet each connection, block abusive clients (TCP 12345)",
          [](ConfigSection& s) {
            WelcomeOptions o;
            o.endpoint = s.endpoint(o.endpoint);
            o.message = s.text("message", o.message);
            o.blocked_message = s.text("blocked_message", o.blocked_message);
            o.blocking = s.blocking();
            return make_welcome_service(o);
          }};
}

}  // namespace wirekit::services
