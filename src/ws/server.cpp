// WebSocket on an HTTP route (include/wirekit/ws/server.hpp).
#include <memory>

#include <wirekit/core/ascii.hpp>
#include <wirekit/ws/server.hpp>

namespace wirekit::ws {

namespace {

struct Accepting {
  Handler handler;
  ServerOptions options;
  http::Handler otherwise;
};

Task<http::Response> upgrade(const std::shared_ptr<const Accepting>& accepting,
                             http::Request& request) {
  if (!request.header("upgrade") && accepting->otherwise) {
    co_return co_await accepting->otherwise(request);
  }
  UpgradeDecision decision = decide_upgrade(request, accepting->options.handshake);
  if (decision.status != 101) {
    http::Response refusal = http::Response::text(decision.error + "\n");
    refusal.status = decision.status;
    for (const auto [name, value] : decision.headers) refusal.headers.add(name, value);
    co_return refusal;
  }
  auto takeover = [accepting, subprotocol = decision.subprotocol,
                   deflate = decision.deflate](http::Takeover t) -> Task<void> {
    Connection connection(t.stream, Role::server, accepting->options.connection, deflate,
                          accepting->options.handshake.deflate, subprotocol, t.peer);
    // Named: g++ 12 (see client.cpp).
    Task<void> running = connection.run(accepting->handler, t.draining);
    co_await std::move(running);
  };
  http::Response response = http::Response::switching_protocols("websocket", std::move(takeover));
  for (const auto [name, value] : decision.headers) {
    // The server writes Upgrade and Connection of a 101 itself.
    if (ascii::iequals(name, "upgrade") || ascii::iequals(name, "connection")) continue;
    response.headers.add(name, value);
  }
  co_return response;
}

}  // namespace

http::Handler accept(Handler handler, ServerOptions options, http::Handler otherwise) {
  auto accepting = std::make_shared<const Accepting>(
      Accepting{std::move(handler), std::move(options), std::move(otherwise)});
  return [accepting](http::Request& request) { return upgrade(accepting, request); };
}

}  // namespace wirekit::ws
