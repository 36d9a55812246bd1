// Tutorial §10.1: the chat server. Every {"user", "message"} a client sends goes to every
// client, the sender included, as {"type": "message", "user", "message"} — the bytes Python's
// json.dumps writes — and the room's page for browsers is at the same URL.
//   ./chat_server [HOST:PORT]      (default localhost:8765)
#include <wirekit/http.hpp>
#include <wirekit/services.hpp>
#include <wirekit/ws.hpp>

using namespace wirekit;

int main(int argc, char** argv) {
  services::ChatRoom room;  // logs "New client connected. Total clients: N" and the rest
  auto chat = [&room](ws::Connection& connection) { return room.handle(connection); };
  auto page = [](http::Request&) {
    return http::Response::html(std::string(services::chat_page()));
  };
  http::Router router;
  router.get("/", ws::accept(chat, {}, http::as_handler(page)));
  http::serve(router, argc > 1 ? argv[1] : "localhost:8765");
}
