// A program outside wirekit's tree, built against an installed wirekit (with find_package or
// pkg-config): an HTTP server on a free port of 127.0.0.1 and its client, in one process.
#include <cstdio>
#include <string>
#include <variant>

#include <wirekit/http.hpp>

using namespace wirekit;

Task<int> hello_over_loopback() {
  http::Router router;
  router.get("/hello/{name}", [](http::Request& request) {
    return http::Response::text("Hello, " + std::string(request.param("name")) + "!");
  });
  http::Server server{std::move(router)};
  net::TcpServer tcp{"127.0.0.1:0"};
  auto fetch = [&]() -> Task<http::ClientResponse> {
    http::Session session;
    const std::string url = "http://" + tcp.local_addresses()[0].to_string() + "/hello/consumer";
    co_return co_await session.get(url);
  };
  // The server serves until the client has its answer; then when_any cancels it.
  const auto finished = co_await when_any(server.serve(tcp), fetch());
  const http::ClientResponse& response = std::get<1>(finished);
  std::printf("wirekit %s: %d %s\n", version(), response.status, response.text().c_str());
  co_return response.status == 200 ? 0 : 1;
}

int main() {
  return run(hello_over_loopback());
}
