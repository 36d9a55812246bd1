// Session::State: what a Session owns — its options, its pool of connections, its cookies —
// and the connection type the pool holds.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <wirekit/http/client.hpp>
#include <wirekit/http/parser.hpp>
#include <wirekit/net/buffered_stream.hpp>
#include <wirekit/net/pool.hpp>
#include <wirekit/tls/context.hpp>

#include "client/cookie_jar.hpp"

namespace wirekit::http {
namespace client_detail {

// What a server may send in a response head; generous, as clients meet all kinds of servers.
inline constexpr Limits response_limits{.max_request_line = 8 * 1024,
                                        .max_header_bytes = 64 * 1024,
                                        .max_headers = 200,
                                        .max_body = 0,
                                        .max_chunk_extension = 1024};

struct Connection {
  explicit Connection(std::unique_ptr<net::Stream> transport) : in(std::move(transport)) {}
  // The transport (TCP, TLS over it, a tunnel through a proxy) and what was read of the
  // answer; nothing is left in it between two exchanges on a well-behaved server.
  net::BufferedStream in;
  // Where a response head's fields are parsed into, allocated once per connection.
  std::vector<Header> fields = std::vector<Header>(response_limits.max_headers);
};

// Keyed by origin ("http://host:port"), or "tunnel to ORIGIN" for a tunnel through the proxy.
using ConnectionPool = net::Pool<std::string, std::unique_ptr<Connection>>;

inline std::string_view reason_or_default(std::string_view reason, int status) {
  return reason.empty() ? reason_phrase(status) : reason;
}

}  // namespace client_detail

struct Session::State {
  explicit State(SessionOptions o);
  const tls::ClientContext& tls_context();

  SessionOptions options;
  client_detail::ConnectionPool pool;
  client_detail::CookieJar cookies;
  std::size_t retries = 0;
  std::optional<tls::ClientContext> tls;  // made on the first https:// request
};

}  // namespace wirekit::http
