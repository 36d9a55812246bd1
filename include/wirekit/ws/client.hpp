// ws::connect: a WebSocket client for ws:// and wss:// URLs, on the same connection code as the
// server.
//
//   co_await ws::connect("ws://localhost:8765", [](ws::Connection& ws) -> Task<void> {
//     co_await ws.send_text(R"({"user": "ann", "message": "hi"})");
//     if (auto reply = co_await ws.receive()) std::cout << reply->data << '\n';
//   });
//
// The handshake (the TCP connect, TLS for wss:// with the tls layer's verification, a CONNECT
// tunnel through an HTTP proxy, the upgrade request and its answer) is bounded by
// handshake_timeout; a refused handshake throws Error(errc::protocol_error) saying what the
// server answered. permessage-deflate is offered by default, as Python websockets does.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <wirekit/core.hpp>
#include <wirekit/tls/context.hpp>
#include <wirekit/ws/connection.hpp>
#include <wirekit/ws/handshake.hpp>

namespace wirekit::ws {

struct ClientOptions {
  ClientHandshakeOptions handshake;
  ConnectionOptions connection;
  Duration handshake_timeout = std::chrono::seconds(10);  // Python websockets' open_timeout
  std::optional<std::string> proxy;  // "http://host:port": the connection goes by CONNECT
  // For wss://: null means the system's CAs, with verification.
  std::shared_ptr<const tls::ClientContext> tls;
};

// Connects to `url` and runs `handler` on the connection until it closes.
Task<void> connect(std::string url, Handler handler, ClientOptions options = {});

}  // namespace wirekit::ws
