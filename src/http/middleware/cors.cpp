#include <algorithm>

#include <wirekit/http/middleware.hpp>

namespace wirekit::http {

Middleware cors(CorsOptions options) {
  const bool any_origin =
      std::find(options.origins.begin(), options.origins.end(), "*") != options.origins.end();
  return [options = std::move(options), any_origin](Request& request,
                                                    const Handler& next) -> Task<Response> {
    const auto origin = request.header("origin");
    const bool allowed =
        origin && (any_origin || std::find(options.origins.begin(), options.origins.end(),
                                           *origin) != options.origins.end());
    // With credentials the origin must be named, never "*" (Fetch standard).
    const auto allow_origin = [&](Response& r) {
      if (any_origin && !options.credentials) {
        r.headers.set("Access-Control-Allow-Origin", "*");
      } else {
        r.headers.set("Access-Control-Allow-Origin", std::string(*origin));
      }
      if (options.credentials) r.headers.set("Access-Control-Allow-Credentials", "true");
    };
    const auto requested_method = request.header("access-control-request-method");
    if (request.method() == "OPTIONS" && origin && requested_method) {
      // A preflight: answered here, never by the route.
      Response r(allowed ? 204 : 403);
      if (!any_origin || options.credentials) add_to_list(r.headers, "Vary", "Origin");
      if (allowed) {
        allow_origin(r);
        r.headers.set("Access-Control-Allow-Methods", options.methods);
        const std::string headers =
            !options.allow_headers.empty()
                ? options.allow_headers
                : std::string(request.header("access-control-request-headers").value_or(""));
        if (!headers.empty()) r.headers.set("Access-Control-Allow-Headers", headers);
        r.headers.set(
            "Access-Control-Max-Age",
            std::to_string(
                std::chrono::duration_cast<std::chrono::seconds>(options.max_age).count()));
      }
      co_return r;
    }
    Response response = co_await next(request);
    // Unless any origin gets "*", the answer depends on Origin: caches must know, whatever the
    // origin of this request (or its absence).
    if (!any_origin || options.credentials) add_to_list(response.headers, "Vary", "Origin");
    if (allowed) {
      allow_origin(response);
      if (!options.expose_headers.empty()) {
        response.headers.set("Access-Control-Expose-Headers", options.expose_headers);
      }
    }
    co_return response;
  };
}

}  // namespace wirekit::http
