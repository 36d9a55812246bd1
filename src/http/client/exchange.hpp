// One request to one URL on a pooled connection: connecting (TCP, TLS, a proxy's CONNECT
// tunnel), writing the request, reading and decoding the answer, and the one retry on a
// connection the server closed as it was reused.
#pragma once

#include <string_view>

#include <wirekit/core/task.hpp>
#include <wirekit/http/client.hpp>

#include "client/body.hpp"
#include "client/session_state.hpp"

namespace wirekit::http::client_detail {

struct Attempt {
  std::string_view method;
  const Url& url;
  const Headers& headers;
  const Body& body;
  const RequestOptions& options;
  const Timeouts& timeouts;
};

bool idempotent(std::string_view method);
bool is_redirect(int status);

// No redirects; the response's body is decoded unless the options stream it.
Task<ClientResponse> send_once(Session::State& state, const Attempt& attempt);

}  // namespace wirekit::http::client_detail
