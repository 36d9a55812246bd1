#include <algorithm>

#include <fmt/format.h>

#include <wirekit/http/router.hpp>

namespace wirekit::http {

namespace {

// Splits "/a/b/" into {"a", "b", ""}: the empty last segment keeps a trailing slash meaningful.
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.starts_with('/')) path.remove_prefix(1);
  while (true) {
    const std::size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) return out;
    path.remove_prefix(slash + 1);
  }
}

void add_method(std::string& allow, std::string_view method) {
  if (allow.find(method) != std::string::npos) return;
  if (!allow.empty()) allow += ", ";
  allow += method;
}

}  // namespace

Router& Router::route(std::string_view method, std::string_view pattern, Handler handler,
                      RouteOptions options) {
  if (!pattern.starts_with('/')) {
    throw Error(errc::invalid_argument,
                fmt::format("route pattern '{}' must start with '/'", pattern));
  }
  Route r{std::string(method), {}, std::move(handler), options};
  const std::vector<std::string_view> parts = split_path(pattern);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string_view part = parts[i];
    if (part.starts_with('{') && part.ends_with('}')) {
      std::string_view name = part.substr(1, part.size() - 2);
      const bool rest = name.ends_with("...");
      if (rest) name.remove_suffix(3);
      if (name.empty() || (rest && i + 1 != parts.size())) {
        throw Error(errc::invalid_argument,
                    fmt::format("route pattern '{}': bad parameter '{}'", pattern, part));
      }
      r.segments.push_back({rest ? Segment::Kind::rest : Segment::Kind::param, std::string(name)});
    } else {
      r.segments.push_back({Segment::Kind::literal, std::string(part)});
    }
  }
  routes_.push_back(std::move(r));
  return *this;
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  const std::vector<std::string_view> parts = split_path(path);
  Match best;
  // Specificity per segment, compared lexicographically: literal 2, parameter 1, rest 0.
  std::vector<int> best_score;
  const bool head = method == "HEAD";
  for (const Route& r : routes_) {
    std::vector<int> score;
    std::vector<std::pair<std::string_view, std::string>> params;
    bool matched = true;
    std::size_t i = 0;
    for (const Segment& seg : r.segments) {
      if (seg.kind == Segment::Kind::rest) {
        // The rest of the path, decoded segment by segment and joined again.
        std::string rest;
        for (std::size_t j = i; j < parts.size(); ++j) {
          const auto decoded = percent_decode(parts[j]);
          if (!decoded || decoded->find('/') != std::string::npos) {
            best.bad_path = true;
            matched = false;
            break;
          }
          if (j > i) rest += '/';
          rest += *decoded;
        }
        if (!matched) break;
        params.emplace_back(seg.text, std::move(rest));
        score.push_back(0);
        i = parts.size();
        break;
      }
      if (i >= parts.size()) {
        matched = false;
        break;
      }
      if (seg.kind == Segment::Kind::literal) {
        if (parts[i] != seg.text) {
          matched = false;
          break;
        }
        score.push_back(2);
      } else {
        const auto decoded = percent_decode(parts[i]);
        if (parts[i].empty() || !decoded) {
          best.bad_path = best.bad_path || !decoded;
          matched = false;
          break;
        }
        params.emplace_back(seg.text, std::move(*decoded));
        score.push_back(1);
      }
      ++i;
    }
    if (!matched || i != parts.size()) continue;
    add_method(best.allow, r.method == "*" ? "*" : r.method);
    if (r.method == "GET") add_method(best.allow, "HEAD");
    const bool method_ok = r.method == "*" || r.method == method || (head && r.method == "GET");
    if (!method_ok) continue;
    if (best.handler == nullptr || score > best_score) {
      best.handler = &r.handler;
      best.params = std::move(params);
      best.max_body = r.options.max_body;
      best_score = std::move(score);
    }
  }
  return best;
}

Task<Response> Router::handle(Request& request) const {
  const Match& m = request.route() != nullptr
                       ? *request.route()
                       : request.set_route(match(request.method(), request.path()));
  if (m.handler == nullptr) {
    if (m.bad_path) co_return Response::error(400, "invalid %-escape or encoded '/' in the path");
    if (m.allow.empty()) co_return Response::error(404);
    if (request.method() == "OPTIONS") {
      Response r(204);
      r.headers.set("Allow", m.allow);
      co_return r;
    }
    Response r = Response::error(405);
    r.headers.set("Allow", m.allow);
    co_return r;
  }
  co_return co_await (*m.handler)(request);
}

}  // namespace wirekit::http
