#include <filesystem>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <wirekit/services/builtin.hpp>
#include <wirekit/services/config.hpp>

#include "kinds.hpp"

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

// ---- the services page ----------------------------------------------------------------------

namespace {

// The services a browser can open, and how: the chat's page is plain HTTP.
std::optional<std::string_view> web_scheme(const Service& service) {
  const std::string name = service.name();
  if (name == "https") return "https";
  if (name == "http" || name == "chat") return "http";
  return std::nullopt;
}

}  // namespace

std::string services_html(std::span<const std::unique_ptr<Service>> services) {
  std::string rows;
  for (const auto& service : services) {
    std::string addresses;
    for (const Listening& l : service->listening()) {
      const std::string shown = http::html_escape(l.address.to_string());
      if (!addresses.empty()) addresses += "<br>";
      const auto scheme = web_scheme(*service);
      addresses += scheme ? fmt::format("<a href=\"{}://{}/\">{}</a>", *scheme, shown, shown)
                          : fmt::format("{} {}", l.transport, shown);
    }
    rows += fmt::format("<tr><td>{}</td><td>{}</td></tr>\n", http::html_escape(service->name()),
                        addresses);
  }
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>wirekit "
      "serve</title>\n<style>body{{font:16px system-ui,sans-serif;max-width:44em;margin:3em "
      "auto;padding:0 1em;color:#222}}td,th{{text-align:left;padding:.3em 1em .3em "
      "0;vertical-align:top}}</style>\n</head>\n<body>\n<h1>wirekit serve</h1>\n<p>The services "
      "this server runs (<a href=\"/services.json\">as JSON</a>):</p>\n<table>\n<tr><th>service</"
      "th><th>listening on</th></tr>\n{}</table>\n</body>\n</html>\n",
      rows);
}

std::string services_json(std::span<const std::unique_ptr<Service>> services) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& service : services) {
    nlohmann::json listening = nlohmann::json::array();
    for (const Listening& l : service->listening()) {
      listening.push_back({{"transport", l.transport}, {"address", l.address.to_string()}});
    }
    list.push_back({{"name", service->name()}, {"listening", std::move(listening)}});
  }
  return nlohmann::json{{"services", std::move(list)}}.dump();
}

// ---- HttpService ----------------------------------------------------------------------------

HttpService::HttpService(http::Router router, HttpServiceOptions options)
    : router_(std::move(router)), options_(std::move(options)) {}

HttpService::~HttpService() = default;

Task<void> HttpService::bind(const ServiceContext& context) {
  if (options_.services_page) {
    // The runner keeps the list of services alive, and unchanged, while they serve.
    const std::span<const std::unique_ptr<Service>> all = context.all;
    router_.get("/", [all](http::Request&) -> Task<http::Response> {
      co_return http::Response::html(services_html(all));
    });
    router_.get("/services.json", [all](http::Request&) -> Task<http::Response> {
      http::Response response = http::Response::text(services_json(all));
      response.headers.set("Content-Type", "application/json");
      co_return response;
    });
  }
  server_ = std::make_unique<http::Server>(std::move(router_), options_.http);
  apply(*server_, options_.features, context.lines);
  tcp_ = co_await bind_tcp(options_.endpoint, context.serve, context.runtime.size());
}

Task<void> HttpService::serve(const ServiceContext& context) {
  co_await server_->serve(context.runtime, *tcp_);
}

std::vector<Listening> HttpService::listening() const {
  return listening_of(tcp_.get());
}

void HttpService::reload() {
  if (options_.http.tls) options_.http.tls->reload();
}

// ---- the integrated server's HTTP service ------------------------------------------------------

http::Router web_routes(const WebOptions& options) {
  http::Router router;
  if (options.hello) add_hello_routes(router, "/hello");
  if (options.health) {
    router.get("/healthz", [](http::Request&) -> Task<http::Response> {
      co_return http::Response::text("ok\n");
    });
  }
  if (options.chat) router.get("/chat", chat_route(std::make_shared<ChatRoom>(), {}));
  if (options.static_root) {
    router.get("/{path...}",
               http::StaticFiles({.root = *options.static_root, .listing = options.listing}));
  }
  return router;
}

std::unique_ptr<Service> make_web_service(const WebOptions& options) {
  HttpServiceOptions service = options.service;
  const bool own_index =
      options.static_root && std::filesystem::exists(*options.static_root + "/index.html");
  service.services_page = options.services_page && !own_index;
  return std::make_unique<HttpService>(web_routes(options), std::move(service));
}

namespace {

// tls_cert, tls_key, tls_client_ca, tls_require_client_cert, tls_handshake_timeout: HTTPS, with
// the certificates loaded now so that a bad file stops the start-up, at the line naming it.
void read_tls(ConfigSection& s, http::ServerOptions& h) {
  const std::string cert = s.text("tls_cert", "");
  const std::string key = s.text("tls_key", "");
  tls::ServerOptions options;
  options.client_ca_file = s.text("tls_client_ca", "");
  options.require_client_certificate = s.boolean("tls_require_client_cert", false);
  options.handshake_timeout = s.duration("tls_handshake_timeout", options.handshake_timeout);
  if (cert.empty() && key.empty()) {
    if (!options.client_ca_file.empty())
      s.fail("tls_client_ca", "[http] tls_client_ca needs tls_cert and tls_key");
    return;
  }
  if (cert.empty() || key.empty()) {
    s.fail(cert.empty() ? "tls_key" : "tls_cert", "[http] tls_cert and tls_key go together");
  }
  if (options.require_client_certificate && options.client_ca_file.empty()) {
    s.fail("tls_require_client_cert", "[http] tls_require_client_cert needs tls_client_ca");
  }
  options.certificates.push_back({cert, key});
  try {
    h.tls.emplace(std::move(options));
  } catch (const tls::FileError& e) {
    s.fail(e.path() == key ? "tls_key" : e.path() == cert ? "tls_cert" : "tls_client_ca", e.what());
  }
}

}  // namespace

ServiceKind web_kind() {
  return {
      "http", "§4.2/§5.1 http: /hello, /healthz, static files, the services page at / (TCP 8080)",
      [](ConfigSection& s) {
        WebOptions o;
        HttpServiceOptions& service = o.service;
        service.endpoint = s.endpoint(service.endpoint);
        if (const std::string root_dir = s.text("root", ""); !root_dir.empty())
          o.static_root = root_dir;
        o.listing = s.boolean("listing", o.listing);
        o.hello = s.boolean("hello", o.hello);
        o.health = s.boolean("healthz", o.health);
        o.services_page = s.boolean("services_page", o.services_page);
        o.chat = s.boolean("chat", o.chat);
        http::ServerOptions& h = service.http;
        h.header_timeout = s.duration("header_timeout", h.header_timeout);
        h.body_timeout = s.duration("body_timeout", h.body_timeout);
        h.send_timeout = s.duration("send_timeout", h.send_timeout);
        h.keepalive_timeout = s.duration("keepalive_timeout", h.keepalive_timeout);
        h.keepalive_requests = static_cast<std::size_t>(s.integer(
            "keepalive_requests", static_cast<std::int64_t>(h.keepalive_requests), 0, INT64_MAX));
        h.limits.max_body = static_cast<std::size_t>(
            s.integer("max_body", static_cast<std::int64_t>(h.limits.max_body), 0, INT64_MAX));
        read_tls(s, h);
        HttpFeatures& f = service.features;
        const std::string log_format = s.choice("access_log", "off", {"combined", "json", "off"});
        if (log_format == "combined") f.access_log = http::LogFormat::combined;
        if (log_format == "json") f.access_log = http::LogFormat::json;
        f.compression = s.boolean("compression", f.compression);
        f.blocking = s.blocking();
        const std::int64_t rate = s.integer("rate_limit", 0, 0, 1'000'000);
        const std::int64_t burst = s.integer("rate_burst", 0, 0, 1'000'000);
        if (rate > 0) {
          f.rate_limit =
              guard::RateLimitOptions{.rate = static_cast<double>(rate),
                                      .burst = static_cast<double>(burst > 0 ? burst : 2 * rate)};
        }
        if (auto origins = s.strings("cors_origins"); !origins.empty()) {
          f.cors = http::CorsOptions{.origins = std::move(origins)};
        }
        return make_web_service(o);
      }};
}

}  // namespace wirekit::services
