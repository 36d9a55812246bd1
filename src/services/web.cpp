#include <wirekit/services.hpp>

namespace wirekit::services {

void add_hello_routes(http::Router& router, std::string_view prefix) {
  // aiohttp: `name = request.match_info.get('name', "Anonymous")`.
  auto hello = [](http::Request& request) -> Task<http::Response> {
    const std::string_view name = request.param("name");
    co_return http::Response::text("Hello, " + std::string(name.empty() ? "Anonymous" : name) +
                                   "!");
  };
  router.get(prefix.empty() ? std::string("/") : std::string(prefix), hello);
  router.get(std::string(prefix) + "/{name}", hello);
}

void apply(http::Server& server, const HttpFeatures& features, LineSink lines) {
  if (features.access_log) server.use(http::access_log(*features.access_log, std::move(lines)));
  if (auto blocker = make_blocker(features.blocking)) server.use(http::ip_blocking(blocker));
  if (features.rate_limit) {
    server.use(http::rate_limit(std::make_shared<guard::RateLimiter>(*features.rate_limit)));
  }
  if (features.cors) server.use(http::cors(*features.cors));
  if (features.compression) server.use(http::compression());
}

http::Router web_routes(const WebOptions& options) {
  http::Router router;
  if (options.hello) add_hello_routes(router, "/hello");
  if (options.health) {
    router.get("/healthz", [](http::Request&) -> Task<http::Response> {
      co_return http::Response::text("ok\n");
    });
  }
  if (options.static_root) {
    router.get("/{path...}",
               http::StaticFiles({.root = *options.static_root, .listing = options.listing}));
  }
  return router;
}

}  // namespace wirekit::services
