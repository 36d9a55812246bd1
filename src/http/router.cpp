#include <algorithm>
#include <array>

#include <fmt/format.h>

#include <wirekit/http/router.hpp>

namespace wirekit::http {

namespace {

// Paths are split without allocating; deeper paths than this match no route.
constexpr std::size_t max_segments = 64;
using Parts = std::array<std::string_view, max_segments>;

// Splits "/a/b/" into {"a", "b", ""}: the empty last segment keeps a trailing slash meaningful.
// Returns the count, or 0 when there are too many segments.
std::size_t split(std::string_view path, Parts& out) noexcept {
  if (path.starts_with('/')) path.remove_prefix(1);
  std::size_t n = 0;
  while (true) {
    if (n == max_segments) return 0;
    const std::size_t slash = path.find('/');
    out[n++] = path.substr(0, slash);
    if (slash == std::string_view::npos) return n;
    path.remove_prefix(slash + 1);
  }
}

std::vector<std::string_view> split_pattern(std::string_view pattern) {
  std::vector<std::string_view> out;
  if (pattern.starts_with('/')) pattern.remove_prefix(1);
  while (true) {
    const std::size_t slash = pattern.find('/');
    out.push_back(pattern.substr(0, slash));
    if (slash == std::string_view::npos) return out;
    pattern.remove_prefix(slash + 1);
  }
}

void add_method(std::string& allow, std::string_view method) {
  if (list_contains(allow, method)) return;
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
  const std::vector<std::string_view> parts = split_pattern(pattern);
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

// Whether `r` fits the path's shape; its specificity per segment goes to `score` (literal 3,
// parameter 2, rest 1), compared lexicographically between routes. A route that ends with the
// path scores 4 there, so "/files" beats "/files/{rest...}" matching nothing.
bool Router::fits(const Route& r, std::span<const std::string_view> parts, Score& score) noexcept {
  score.length = 0;
  std::size_t i = 0;
  for (const Segment& seg : r.segments) {
    if (seg.kind == Segment::Kind::rest) {
      score.value[score.length++] = 1;
      return true;
    }
    if (i >= parts.size()) return false;
    if (seg.kind == Segment::Kind::literal ? parts[i] != seg.text : parts[i].empty()) return false;
    score.value[score.length++] = seg.kind == Segment::Kind::literal ? 3 : 2;
    ++i;
  }
  score.value[score.length++] = 4;
  return i == parts.size();
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Parts storage;
  const std::span<const std::string_view> parts(storage.data(), split(path, storage));
  Match best;
  if (parts.empty()) return best;
  const Route* chosen = nullptr;
  Score best_score;
  Score score;
  bool path_known = false;
  for (const Route& r : routes_) {
    if (!fits(r, parts, score)) continue;
    path_known = true;
    const bool method_ok =
        r.method == "*" || r.method == method || (method == "HEAD" && r.method == "GET");
    if (method_ok && (chosen == nullptr ||
                      std::lexicographical_compare(
                          best_score.value.begin(), best_score.value.begin() + best_score.length,
                          score.value.begin(), score.value.begin() + score.length))) {
      chosen = &r;
      best_score = score;
    }
  }
  if (chosen == nullptr) {
    if (path_known) {
      // 405 or OPTIONS: say which methods the path takes.
      for (const Route& r : routes_) {
        if (!fits(r, parts, score)) continue;
        add_method(best.allow, r.method);
        if (r.method == "GET") add_method(best.allow, "HEAD");
      }
    }
    return best;
  }
  // Only the chosen route's parameters are decoded, each segment on its own, so "%2F" never
  // becomes a separator.
  std::size_t i = 0;
  for (const Segment& seg : chosen->segments) {
    if (seg.kind == Segment::Kind::literal) {
      ++i;
      continue;
    }
    std::string value;
    const std::size_t last = seg.kind == Segment::Kind::rest ? parts.size() : i + 1;
    for (std::size_t j = i; j < last; ++j) {
      const auto decoded = percent_decode(parts[j]);
      if (!decoded || decoded->find('/') != std::string::npos) {
        best.bad_path = true;
        best.params.clear();
        return best;
      }
      if (j > i) value += '/';
      value += *decoded;
    }
    best.params.emplace_back(seg.text, std::move(value));
    i = last;
  }
  best.handler = &chosen->handler;
  best.max_body = chosen->options.max_body;
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
  co_await request.read_body();
  co_return co_await (*m.handler)(request);
}

}  // namespace wirekit::http
