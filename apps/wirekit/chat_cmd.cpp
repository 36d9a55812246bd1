// wirekit chat serve / join — tutorial §10.1 and §10.2 (the websockets chat server and client).
#include "cli.hpp"

namespace wirekit::cli {

namespace {

struct ChatFlags {
  services::ChatOptions chat;
  WebSocketFlags websocket;
  std::string url = "ws://localhost:8765";
  std::string user;
  std::size_t threads = 0;
  std::size_t max_connections = 10'000;
};

int chat_serve(const ChatFlags& flags) {
  services::ChatOptions chat = flags.chat;
  flags.websocket.apply(chat.websocket.connection, chat.websocket.handshake.deflate);
  services::RunOptions run;
  run.threads = flags.threads;
  run.serve.max_connections = flags.max_connections;
  return serve_one(services::make_chat_service(chat), std::move(run),
                   [](const services::Service& s) {
                     return "Chat server is listening on " + services::describe(s.listening());
                   });
}

int chat_join(const ChatFlags& flags) {
  LineInput input;
  run(services::chat_join(flags.url, flags.user, input, services::stdout_lines()));
  return 0;
}

}  // namespace

void add_chat_command(CLI::App& app, Action& action) {
  static ChatFlags flags;
  CLI::App* chat = app.add_subcommand("chat", "The WebSocket chat of §10 (docs/websocket.md)");
  chat->require_subcommand(1);
  CLI::App* serve = chat->add_subcommand(
      "serve", "Run the chat room of §10.1: WebSocket and its browser page at / (8765)");
  add_endpoint_flags(*serve, flags.chat.service.endpoint);
  serve->add_option("--max-connections", flags.max_connections, "Open connections at most")
      ->capture_default_str();
  add_websocket_flags(*serve, flags.websocket);
  add_threads_flag(*serve, flags.threads);
  serve->callback([&action] { action = [] { return chat_serve(flags); }; });

  CLI::App* join = chat->add_subcommand(
      "join", "Chat as the client of §10.2: stdin lines out, the room's messages in");
  join->add_option("url", flags.url, "The chat server's WebSocket URL")->capture_default_str();
  join->add_option("--user", flags.user, "Your name (asked for when not given)");
  join->callback([&action] { action = [] { return chat_join(flags); }; });
}

}  // namespace wirekit::cli
