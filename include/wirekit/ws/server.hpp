// ws::accept: WebSocket on a route of an HTTP server, so one port serves pages and WebSockets.
//
//   http::Router router;
//   router.get("/", ws::accept([](ws::Connection& ws) -> Task<void> {
//     while (auto message = co_await ws.receive()) co_await ws.send(message->opcode,
//     message->data);
//   }));
//   http::serve(router, "localhost:8765");
//
// The HTTP server's middleware runs first (the IP blocker and the rate limiter apply to
// upgrades as to any request); then the handshake is checked (RFC 6455 §4.2: 426 with
// Sec-WebSocket-Version: 13 for another version, 400 for the rest, 403 when the origin check
// refuses), a subprotocol and permessage-deflate are negotiated, the 101 goes out and the
// handler runs on the connection until it closes.
#pragma once

#include <wirekit/http/message.hpp>
#include <wirekit/ws/connection.hpp>
#include <wirekit/ws/handshake.hpp>

namespace wirekit::ws {

struct ServerOptions {
  ServerHandshakeOptions handshake;
  ConnectionOptions connection;
};

// An HTTP handler that upgrades a WebSocket request and runs `handler` on the connection. A
// request without `Upgrade` goes to `otherwise` when one is given (the page at the same URL),
// and is answered 426 Upgrade Required when not.
http::Handler accept(Handler handler, ServerOptions options = {}, http::Handler otherwise = {});

}  // namespace wirekit::ws
