#include <array>
#include <vector>

#include <wirekit/services/builtin.hpp>
#include <wirekit/services/config.hpp>

#include "kinds.hpp"

namespace wirekit::services {

Task<void> echo(net::TcpStream stream) {
  // An idle connection holds no buffer (issue 12 item 10: a 64 KiB one in each coroutine frame
  // stayed resident once a connection had carried that much). It waits for input, reads into
  // its loop's scratch buffer, sized like the kernel's usual receive window chunk, and writes
  // the bytes back at once; only what the socket does not take then is copied into a buffer of
  // its own while it waits. Nothing is awaited while the scratch buffer holds our bytes.
  thread_local std::array<std::byte, 65536> scratch;
  for (;;) {
    co_await stream.wait_readable();
    const net::Attempt got = stream.try_read(scratch);
    if (got.would_block) continue;
    if (got.error || got.bytes == 0) co_return;  // the peer is gone, or done
    const net::Attempt put = stream.try_write(std::span(scratch.data(), got.bytes));
    if (put.error) co_return;
    const std::size_t sent = put.would_block ? 0 : put.bytes;
    if (sent < got.bytes) {
      const std::vector<std::byte> rest(scratch.begin() + static_cast<std::ptrdiff_t>(sent),
                                        scratch.begin() + static_cast<std::ptrdiff_t>(got.bytes));
      co_await stream.write(rest);
    }
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
