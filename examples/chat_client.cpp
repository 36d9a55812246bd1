// Tutorial §10.2: the chat client. Asks for a name, sends each line typed as
// {"user": NAME, "message": LINE}, and prints every message of the room as "\nuser: message";
// says "Connection to server closed" when the server goes away. The end of the input (Ctrl-D)
// closes the connection with 1000.
//   ./chat_client [URL]      (default ws://localhost:8765)
#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include <wirekit/codec/python_json.hpp>
#include <wirekit/core.hpp>
#include <wirekit/ws.hpp>

using namespace wirekit;
using Json = nlohmann::ordered_json;

// What Python's f"{value}" prints for a JSON value: a string as it is, the rest as JSON.
std::string shown(const Json& value) {
  return value.is_string() ? value.get<std::string>() : codec::python_json(value);
}

Task<void> receive_messages(ws::Connection& websocket) {
  while (auto message = co_await websocket.receive()) {
    const Json data = Json::parse(message->data, nullptr, false);
    if (data.is_object() && data.contains("user") && data.contains("message")) {
      std::cout << '\n' << shown(data["user"]) << ": " << shown(data["message"]) << std::endl;
    }
  }
  std::cout << "Connection to server closed" << std::endl;
}

Task<void> send_messages(ws::Connection& websocket, LineInput& input, const std::string& user) {
  while (auto line = co_await input.next()) {
    const std::string text = codec::python_json(Json{{"user", user}, {"message", *line}});
    co_await websocket.send_text(text);
  }
  co_await websocket.close();
}

int main(int argc, char** argv) {
  const std::string url = argc > 1 ? argv[1] : "ws://localhost:8765";
  LineInput input;
  auto chat = [&input](ws::Connection& websocket) -> Task<void> {
    std::fputs("Enter your username: ", stdout);
    std::fflush(stdout);
    const std::optional<std::string> user = co_await input.next();
    if (!user) co_return;
    std::cout << "Connected to chat server as " << *user << std::endl;
    TaskGroup typing;
    typing.spawn(send_messages(websocket, input, *user));
    co_await receive_messages(websocket);
    typing.cancel();  // the server went away while we wait for a line
    try {
      co_await typing.join();
    } catch (const Error&) {
      // cancelled, or a send on the closed connection: the chat is over either way
    }
  };
  try {
    run(ws::connect(url, chat));
  } catch (const Error& e) {
    std::cerr << "chat_client: " << e.what() << '\n';
    return 1;
  }
}
