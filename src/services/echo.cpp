#include <array>

#include <wirekit/services/builtin.hpp>
#include <wirekit/services/config.hpp>

#include "kinds.hpp"

namespace wirekit::services {

Task<void> echo(net::TcpStream stream) {
  // One buffer per connection, sized like the kernel's usual receive window chunk: a bulk
  // sender fills it in one read, a ping-pong client never notices it.
  std::array<std::byte, 65536> buffer;
  for (;;) {
    const std::size_t n = co_await stream.read_some(buffer);
    if (n == 0) co_return;
    co_await stream.write(std::span(buffer.data(), n));
  }
}

std::unique_ptr<Service> make_echo_service(const EchoOptions& options) {
  return std::make_unique<TcpService>(
      "echo", options.endpoint, [blocker = make_blocker(options.blocking)](const ServiceContext&) {
        return guarded(blocker, echo);
      });
}

ServiceKind echo_kind() {
  return {"echo", "§8.1 echo: every byte back to its sender (TCP 1234)", [](ConfigSection& s) {
            EchoOptions o;
            o.endpoint = s.endpoint(o.endpoint);
            o.blocking = s.blocking();
            return make_echo_service(o);
          }};
}

}  // namespace wirekit::services
