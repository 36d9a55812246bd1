#include <array>

#include <wirekit/services.hpp>

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

}  // namespace wirekit::services
