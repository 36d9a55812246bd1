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
// it. handle() reads the request's body (Request::read_body) just before calling the route's
// handler, never for an answer it gives itself.
//
// Thread-safety: add routes before serving. A serving Server only reads its router, from every
// loop at once, so one handler may run on several threads concurrently: what it captures by
// reference must be thread-safe, or kept per loop (a LoopService).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <wirekit/http/message.hpp>

namespace wirekit::http {

struct RouteOptions {
  std::optional<std::size_t> max_body;  // this route's body limit instead of the server's
};

// What a route runs: a coroutine `Task<Response>(Request&)`, or a plain function
// `Response(Request&)` for a handler that does not wait for anything.
template <class F>
concept HandlerLike = std::is_invocable_r_v<Task<Response>, F&, Request&> ||
                      std::is_invocable_r_v<Response, F&, Request&>;

template <HandlerLike F>
Handler as_handler(F f) {
  if constexpr (std::is_invocable_r_v<Task<Response>, F&, Request&>) {
    return Handler(std::move(f));
  } else {
    return [f = std::move(f)](Request& request) mutable -> Task<Response> { co_return f(request); };
  }
}

class Router {
 public:
  Router& route(std::string_view method, std::string_view pattern, Handler handler,
                RouteOptions options = {});
  template <HandlerLike F>
  Router& route(std::string_view method, std::string_view pattern, F f, RouteOptions o = {}) {
    return route(method, pattern, as_handler(std::move(f)), o);
  }
  template <HandlerLike F>
  Router& get(std::string_view pattern, F f, RouteOptions o = {}) {
    return route("GET", pattern, as_handler(std::move(f)), o);
  }
  template <HandlerLike F>
  Router& post(std::string_view pattern, F f, RouteOptions o = {}) {
    return route("POST", pattern, as_handler(std::move(f)), o);
  }
  template <HandlerLike F>
  Router& put(std::string_view pattern, F f, RouteOptions o = {}) {
    return route("PUT", pattern, as_handler(std::move(f)), o);
  }
  template <HandlerLike F>
  Router& delete_(std::string_view pattern, F f, RouteOptions o = {}) {
    return route("DELETE", pattern, as_handler(std::move(f)), o);
  }
  template <HandlerLike F>
  Router& patch(std::string_view pattern, F f, RouteOptions o = {}) {
    return route("PATCH", pattern, as_handler(std::move(f)), o);
  }
  // Every method.
  template <HandlerLike F>
  Router& any(std::string_view pattern, F f, RouteOptions o = {}) {
    return route("*", pattern, as_handler(std::move(f)), o);
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
