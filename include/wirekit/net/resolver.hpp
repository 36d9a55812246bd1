// Asynchronous name resolution (c-ares, one channel per loop). Numeric addresses and
// "localhost" (RFC 6761) are answered without a query.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <sys/socket.h>

#include <wirekit/core.hpp>
#include <wirekit/net/address.hpp>

namespace wirekit::net {

struct ResolveOptions {
  int family = AF_UNSPEC;  // AF_INET or AF_INET6 to restrict the answer
  Duration timeout = std::chrono::seconds(5);
};

// The addresses of `host` with `port` filled in, IPv4 first when both exist (most servers
// listen on IPv4). Throws Error(errc::resolve_failed, "resolve NAME: ...") when there are none,
// errc::timed_out when the resolver does not answer in time.
Task<std::vector<SocketAddress>> resolve(std::string_view host, std::uint16_t port,
                                         ResolveOptions options = {});

}  // namespace wirekit::net
