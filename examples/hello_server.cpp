// The first minute: a web server in five lines (README), with the two routes of the tutorial's
// §5.1 aiohttp server, GET / and GET /{name} (`wirekit hello` is that app, "Hello, Anonymous!"
// at / included). Ctrl-C stops it gracefully.
//   ./hello_server [HOST:PORT]      (default localhost:8080)
#include <wirekit/http.hpp>

using namespace wirekit;

int main(int argc, char** argv) {
  http::Router router;
  router.get("/", [](http::Request&) { return http::Response::text("Hello, World!"); });
  router.get("/{name}", [](http::Request& request) {
    return http::Response::text("Hello, " + std::string(request.param("name")) + "!");
  });
  http::serve(router, argc > 1 ? argv[1] : "localhost:8080");
}
