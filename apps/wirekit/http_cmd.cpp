// wirekit http serve — tutorial §4.2; wirekit hello — §5.1 (the aiohttp app).
#include "cli.hpp"

namespace wirekit::cli {

namespace {

struct HttpServeFlags {
  std::string root = ".";
  services::Endpoint endpoint{"localhost", 8000};
  std::size_t threads = 0;
  bool no_listing = false;
  HttpFlags http;
};

struct HelloFlags {
  services::Endpoint endpoint{"localhost", 8080};
  std::size_t threads = 0;
  HttpFlags http;
};

// Serves `router` as one HTTP(S) service announced by `announce(scheme, first bound address)`;
// SIGHUP reloads the TLS certificates.
int serve_http(http::Router router, const HttpFlags& flags, const services::Endpoint& endpoint,
               std::size_t threads,
               std::function<std::string(std::string_view, const net::SocketAddress&)> announce) {
  services::HttpServiceOptions options{
      .endpoint = endpoint, .http = flags.server_options(), .features = flags.parse()};
  services::RunOptions run;
  run.threads = threads;
  run.serve.max_connections = flags.max_connections;
  auto service = std::make_unique<services::HttpService>(std::move(router), std::move(options));
  return serve_one(std::move(service), std::move(run),
                   [announce = std::move(announce)](const services::Service& s) {
                     return announce(s.name(), s.listening().front().address);
                   });
}

int http_serve(const HttpServeFlags& flags) {
  http::Router router;
  router.get("/{path...}", http::StaticFiles({.root = flags.root, .listing = !flags.no_listing}));
  return serve_http(std::move(router), flags.http, flags.endpoint, flags.threads,
                    [](std::string_view scheme, const net::SocketAddress& at) {
                      const std::string host = at.ip().to_string();
                      return fmt::format("Serving {} on {} port {} ({}://{}:{}/) ...",
                                         scheme == "https" ? "HTTPS" : "HTTP", host, at.port(),
                                         scheme, at.family() == AF_INET6 ? "[" + host + "]" : host,
                                         at.port());
                    });
}

int hello(const HelloFlags& flags) {
  http::Router router;
  services::add_hello_routes(router);
  return serve_http(std::move(router), flags.http, flags.endpoint, flags.threads,
                    [&](std::string_view scheme, const net::SocketAddress& at) {
                      return fmt::format(
                          "======== Running on {}://{}:{} ========\n(Press CTRL+C to quit)", scheme,
                          flags.endpoint.host, at.port());
                    });
}

}  // namespace

void add_http_commands(CLI::App& app, Action& action) {
  CLI::App* http =
      app.add_subcommand("http", "HTTP server and client (tutorial §4.1, §4.2, §11.3)");
  http->require_subcommand(1);

  static HttpServeFlags serve;
  CLI::App* s = http->add_subcommand("serve", "Serve a directory's files (§4.2)");
  s->add_option("dir", serve.root, "Directory to serve")->capture_default_str();
  s->add_option("--port", serve.endpoint.port, "Port to listen on")->capture_default_str();
  s->add_option("--bind", serve.endpoint.host, "Address or name to listen on ('' for all)")
      ->capture_default_str();
  s->add_flag("--no-listing", serve.no_listing, "Answer 403 for directories without index.html");
  add_threads_flag(*s, serve.threads);
  add_http_flags(*s, serve.http);
  s->callback([&action] { action = [] { return http_serve(serve); }; });

  add_http_client_commands(*http, action);
}

void add_hello_command(CLI::App& app, Action& action) {
  static HelloFlags flags;
  CLI::App* h = app.add_subcommand("hello", "The aiohttp hello app: GET / and GET /{name} (§5.1)");
  add_endpoint_flags(*h, flags.endpoint);
  add_threads_flag(*h, flags.threads);
  add_http_flags(*h, flags.http);
  h->callback([&action] { action = [] { return hello(flags); }; });
}

}  // namespace wirekit::cli
