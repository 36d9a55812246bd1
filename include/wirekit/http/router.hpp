// Router: methods and path patterns to handlers.
//
//   router.get("/", hello).get("/{name}", hello).get("/files/{path...}", files);
//
// A pattern is a sequence of segments: literal text, `{name}` (one non-empty segment) or a
// final `{name...}` (the rest of the path, possibly empty). Literal segments win over
// parameters, parameters over the rest-of-path: the most specific route matches, whatever the
// order of registration. Paths deeper than 64 segments match no route. A path no route matches gets
// 404; a path some route matches with other methods gets 405 with Allow. HEAD is served by GET
// routes (without the body); OPTIONS on a known path answers 204 with Allow unless a route takes
// it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <wirekit/http/message.hpp>

namespace wirekit::http {

struct RouteOptions {
  std::optional<std::size_t> max_body;  // this route's body limit instead of the server's
};

class Router {
 public:
  Router& route(std::string_view method, std::string_view pattern, Handler handler,
                RouteOptions options = {});
  Router& get(std::string_view pattern, Handler h, RouteOptions o = {}) {
    return route("GET", pattern, std::move(h), o);
  }
  Router& post(std::string_view pattern, Handler h, RouteOptions o = {}) {
    return route("POST", pattern, std::move(h), o);
  }
  Router& put(std::string_view pattern, Handler h, RouteOptions o = {}) {
    return route("PUT", pattern, std::move(h), o);
  }
  Router& delete_(std::string_view pattern, Handler h, RouteOptions o = {}) {
    return route("DELETE", pattern, std::move(h), o);
  }
  Router& patch(std::string_view pattern, Handler h, RouteOptions o = {}) {
    return route("PATCH", pattern, std::move(h), o);
  }
  // Every method.
  Router& any(std::string_view pattern, Handler h, RouteOptions o = {}) {
    return route("*", pattern, std::move(h), o);
  }

  using Match = RouteMatch;
  // `path` is still percent-encoded; parameters come back decoded, segment by segment, so
  // "%2F" never becomes a separator.
  Match match(std::string_view method, std::string_view path) const;

  // Matches the request (unless it was matched already) and calls the route's handler; answers
  // 404, 405 with Allow, or 204 with Allow for OPTIONS when no route takes it.
  Task<Response> handle(Request& request) const;

 private:
  struct Segment {
    enum class Kind { literal, param, rest } kind;
    std::string text;  // the literal, or the parameter's name
  };
  struct Route {
    std::string method;
    std::vector<Segment> segments;
    Handler handler;
    RouteOptions options;
  };
  struct Score {
    std::array<std::uint8_t, 66> value{};  // a segment each, and an end mark
    std::size_t length = 0;
  };
  static bool fits(const Route& r, std::span<const std::string_view> parts, Score& score) noexcept;

  std::vector<Route> routes_;
};

}  // namespace wirekit::http
