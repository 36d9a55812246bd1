// §10.1: the tutorial's chat room, its page, and the chat service.
#include <cstdio>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <wirekit/codec/python_json.hpp>
#include <wirekit/services/builtin.hpp>
#include <wirekit/services/config.hpp>

#include "kinds.hpp"

namespace wirekit::services {

std::optional<std::string> chat_broadcast(std::string_view message) {
  using Json = nlohmann::ordered_json;
  const Json data = Json::parse(message, nullptr, false);
  if (data.is_discarded() || !data.is_object() || !data.contains("user") ||
      !data.contains("message")) {
    return std::nullopt;
  }
  const Json out{{"type", "message"}, {"user", data["user"]}, {"message", data["message"]}};
  return codec::python_json(out);
}

ChatRoom::ChatRoom(LineSink lines) : lines_(std::move(lines)) {}

namespace {

// A client's presence in the room: it leaves, and says so, however its handler ends.
class Presence {
 public:
  Presence(ws::Room& room, ws::Connection& connection, const LineSink& lines)
      : room_(room), membership_(room.join(connection)), lines_(lines) {
    lines_(fmt::format("New client connected. Total clients: {}", room_.size()));
  }
  Presence(const Presence&) = delete;
  Presence& operator=(const Presence&) = delete;
  ~Presence() {
    membership_.reset();
    lines_(fmt::format("Client disconnected. Total clients: {}", room_.size()));
  }

 private:
  ws::Room& room_;
  std::optional<ws::Room::Membership> membership_;
  const LineSink& lines_;
};

}  // namespace

Task<void> ChatRoom::handle(ws::Connection& connection) {
  const Presence presence(room_, connection, lines_);
  while (auto message = co_await connection.receive()) {
    if (std::optional<std::string> out = chat_broadcast(message->data)) {
      room_.broadcast(*out);
    } else {
      lines_(fmt::format("Dropped a message from {}: not a JSON object with user and message",
                         connection.peer().python_repr()));
    }
  }
}

namespace {

// What Python's print(f"{value}") shows for a JSON value: a string as it is, the rest as JSON.
std::string shown(const nlohmann::ordered_json& value) {
  return value.is_string() ? value.get<std::string>() : codec::python_json(value);
}

// The two clients of standard input: each line goes out as `outgoing(line)` and each message
// received is shown by `incoming`, until the server closes the connection or the input ends
// (then the connection closes with 1000).
Task<void> relay_lines(ws::Connection& connection, LineInput& input,
                       std::function<std::string(const std::string&)> outgoing,
                       std::function<void(const ws::MessageView&)> incoming) {
  auto sending = [&]() -> Task<void> {
    while (std::optional<std::string> line = co_await input.next()) {
      const std::string message = outgoing(*line);
      co_await connection.send_text(message);
    }
    co_await connection.close();
  };
  TaskGroup typing;
  typing.spawn(sending());
  while (auto message = co_await connection.receive()) incoming(*message);
  typing.cancel();  // it may be waiting for a line nobody will type
  try {
    co_await typing.join();
  } catch (const Error& e) {
    if (e.code() != errc::cancelled && e.code() != errc::closed) throw;
  }
}

}  // namespace

Task<void> chat_join(std::string url, std::string user, LineInput& input, LineSink lines,
                     ws::ClientOptions options) {
  auto chat = [&](ws::Connection& connection) -> Task<void> {
    if (user.empty()) {
      std::fputs("Enter your username: ", stdout);  // no newline, as input() writes it
      std::fflush(stdout);
      std::optional<std::string> name = co_await input.next();
      if (!name) co_return;  // no name: nothing to say
      user = std::move(*name);
    }
    lines("Connected to chat server as " + user);
    auto outgoing = [&](const std::string& line) {
      return codec::python_json(nlohmann::ordered_json{{"user", user}, {"message", line}});
    };
    auto incoming = [&](const ws::MessageView& message) {
      const auto data = nlohmann::ordered_json::parse(message.data, nullptr, false);
      if (data.is_object() && data.contains("user") && data.contains("message")) {
        lines("\n" + shown(data["user"]) + ": " + shown(data["message"]));
      }
    };
    Task<void> relaying = relay_lines(connection, input, outgoing, incoming);
    co_await std::move(relaying);
    lines("Connection to server closed");
  };
  Task<void> connecting = ws::connect(std::move(url), chat, std::move(options));
  co_await std::move(connecting);
}

Task<std::uint16_t> ws_talk(std::string url, LineInput& input, LineSink lines,
                            ws::ClientOptions options) {
  std::uint16_t code = ws::close_code::abnormal;
  auto talk = [&](ws::Connection& connection) -> Task<void> {
    auto outgoing = [](const std::string& line) { return line; };
    auto incoming = [&](const ws::MessageView& message) {
      lines(message.is_text() ? std::string(message.data)
                              : fmt::format("[binary message, {} bytes]", message.data.size()));
    };
    Task<void> relaying = relay_lines(connection, input, outgoing, incoming);
    co_await std::move(relaying);
    code = connection.close_code();
  };
  Task<void> connecting = ws::connect(std::move(url), talk, std::move(options));
  co_await std::move(connecting);
  co_return code;
}

std::string_view chat_page() {
  return R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wirekit chat</title>
<style>
body{font:16px system-ui,sans-serif;max-width:44em;margin:0 auto;padding:1em;color:#222;
display:flex;flex-direction:column;height:100vh;box-sizing:border-box}
header{display:flex;justify-content:space-between;align-items:baseline}
#state{font-size:.9em;padding:.1em .6em;border-radius:1em;background:#eee}
#state.open{background:#d4f4d4}#state.closed{background:#f8d7d7}
#log{flex:1;overflow-y:auto;border:1px solid #ddd;border-radius:.4em;padding:.5em;margin:.5em 0;
list-style:none}
#log li{margin:.2em 0;overflow-wrap:anywhere}#log .user{font-weight:600}
#log .note{color:#777;font-style:italic}
[hidden]{display:none!important}
form{display:flex;gap:.5em}input{flex:1;font:inherit;padding:.4em}button{font:inherit}
</style>
</head>
<body>
<header><h1>wirekit chat</h1><span id="state">connecting</span></header>
<form id="name-form"><input id="name" placeholder="Enter your username" autocomplete="off"
required><button>Join</button></form>
<ul id="log" hidden></ul>
<form id="send-form" hidden><input id="text" placeholder="Message" autocomplete="off">
<button>Send</button></form>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host +
            location.pathname;
let user = null, socket = null, delay = 500;

function show(text, cls) {
  const item = document.createElement("li");
  if (cls) item.className = cls;
  item.append(text);
  $("log").append(item);
  $("log").scrollTop = $("log").scrollHeight;
  return item;
}

function state(text, cls) {
  $("state").textContent = text;
  $("state").className = cls || "";
}

function connect() {
  state("connecting");
  socket = new WebSocket(url);
  socket.onopen = () => {
    delay = 500;
    state("connected", "open");
    show("Connected to chat server as " + user, "note");
  };
  socket.onmessage = (event) => {
    let data;
    try { data = JSON.parse(event.data); } catch (e) { return; }
    const item = show("", "message");
    const who = document.createElement("span");
    who.className = "user";
    who.textContent = data.user + ": ";
    item.append(who, String(data.message));
  };
  socket.onclose = () => {
    state("reconnecting in " + Math.round(delay / 1000 * 10) / 10 + " s", "closed");
    show("Connection to server closed", "note");
    setTimeout(connect, delay);
    delay = Math.min(delay * 2, 10000);
  };
}

$("name-form").onsubmit = (event) => {
  event.preventDefault();
  user = $("name").value.trim();
  if (!user) return;
  $("name-form").hidden = true;
  $("log").hidden = false;
  $("send-form").hidden = false;
  $("text").focus();
  connect();
};

$("send-form").onsubmit = (event) => {
  event.preventDefault();
  const text = $("text").value;
  if (!text || !socket || socket.readyState !== WebSocket.OPEN) return;
  socket.send(JSON.stringify({user: user, message: text}));
  $("text").value = "";
};
state("enter a name");
</script>
</body>
</html>
)html";
}

http::Handler chat_route(std::shared_ptr<ChatRoom> room, const ws::ServerOptions& options) {
  auto page = [](http::Request&) -> Task<http::Response> {
    co_return http::Response::html(std::string(chat_page()));
  };
  return ws::accept([room = std::move(room)](ws::Connection& c) { return room->handle(c); },
                    options, page);
}

std::unique_ptr<Service> make_chat_service(const ChatOptions& options) {
  http::Router router;
  router.get("/", chat_route(std::make_shared<ChatRoom>(), options.websocket));
  HttpServiceOptions service = options.service;
  if (service.name.empty()) service.name = "chat";
  return std::make_unique<HttpService>(std::move(router), std::move(service));
}

std::unique_ptr<Service> make_ws_echo_service(const WsEchoOptions& options) {
  http::Router router;
  router.get("/{path...}", ws::accept(ws::echo, options.websocket));
  return std::make_unique<HttpService>(std::move(router), options.service);
}

ServiceKind chat_kind() {
  return {"chat", "§10.1 chat: the WebSocket chat room and its page at / (TCP 8765)",
          [](ConfigSection& s) {
            ChatOptions o;
            o.service.endpoint = s.endpoint(o.service.endpoint);
            ws::ConnectionOptions& c = o.websocket.connection;
            c.max_message_size = static_cast<std::size_t>(s.integer(
                "max_message_size", static_cast<std::int64_t>(c.max_message_size), 1, INT64_MAX));
            c.ping_interval = s.duration("ping_interval", c.ping_interval);
            c.ping_timeout = s.duration("ping_timeout", c.ping_timeout);
            o.websocket.handshake.deflate.enabled =
                s.boolean("compression", o.websocket.handshake.deflate.enabled);
            return make_chat_service(o);
          }};
}

}  // namespace wirekit::services
