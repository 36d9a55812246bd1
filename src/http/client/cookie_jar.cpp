#include "client/cookie_jar.hpp"

#include <chrono>
#include <optional>

#include <wirekit/core/ascii.hpp>
#include <wirekit/http/date.hpp>
#include <wirekit/http/parser.hpp>

namespace wirekit::http::client_detail {
namespace {

using SystemClock = std::chrono::system_clock;

bool domain_matches(std::string_view host, std::string_view domain) {
  if (host == domain) return true;
  return host.size() > domain.size() && host.ends_with(domain) &&
         host[host.size() - domain.size() - 1] == '.' &&
         host.find_first_not_of("0123456789.") != std::string_view::npos;  // not an IP literal
}

bool path_matches(std::string_view request_path, std::string_view cookie_path) {
  if (!request_path.starts_with(cookie_path)) return false;
  return request_path.size() == cookie_path.size() || cookie_path.ends_with('/') ||
         request_path[cookie_path.size()] == '/';
}

// The default path of a cookie set by a response to `target` (§5.1.4).
std::string default_path(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  const auto slash = path.rfind('/');
  return slash == 0 || slash == std::string_view::npos ? "/" : std::string(path.substr(0, slash));
}

std::optional<Cookie> parse_set_cookie(std::string_view value, const Url& url) {
  const auto semi = value.find(';');
  const std::string_view pair = trim_ows(value.substr(0, semi));
  const auto eq = pair.find('=');
  if (eq == std::string_view::npos || trim_ows(pair.substr(0, eq)).empty()) return std::nullopt;
  Cookie cookie{.name = std::string(trim_ows(pair.substr(0, eq))),
                .value = std::string(trim_ows(pair.substr(eq + 1))),
                .domain = url.host,
                .path = default_path(url.target)};
  std::optional<std::int64_t> max_age;
  std::string_view attributes = semi == std::string_view::npos ? "" : value.substr(semi + 1);
  while (!attributes.empty()) {
    const auto next = attributes.find(';');
    const std::string_view attribute = trim_ows(attributes.substr(0, next));
    attributes = next == std::string_view::npos ? "" : attributes.substr(next + 1);
    const auto aeq = attribute.find('=');
    const std::string_view name = trim_ows(attribute.substr(0, aeq));
    const std::string_view arg =
        aeq == std::string_view::npos ? "" : trim_ows(attribute.substr(aeq + 1));
    if (iequals(name, "Domain") && !arg.empty()) {
      std::string domain = ascii::to_lower(arg.starts_with('.') ? arg.substr(1) : arg);
      if (!domain_matches(url.host, domain)) return std::nullopt;  // §5.3 step 6
      cookie.domain = std::move(domain);
      cookie.host_only = false;
    } else if (iequals(name, "Path") && arg.starts_with('/')) {
      cookie.path = arg;
    } else if (iequals(name, "Secure")) {
      cookie.secure = true;
    } else if (iequals(name, "Max-Age")) {
      try {
        max_age = std::stoll(std::string(arg));
      } catch (const std::exception&) {
      }
    } else if (iequals(name, "Expires")) {
      if (const auto t = try_parse_http_date(arg)) cookie.expires = SystemClock::from_time_t(*t);
    }
  }
  if (max_age) cookie.expires = SystemClock::now() + std::chrono::seconds(*max_age);
  return cookie;
}

}  // namespace

std::string CookieJar::header_for(const Url& url) {
  const auto now = SystemClock::now();
  std::erase_if(cookies_, [&](const Cookie& c) { return c.expires && *c.expires <= now; });
  const std::string_view path = std::string_view(url.target).substr(0, url.target.find('?'));
  std::string out;
  for (const Cookie& c : cookies_) {
    const bool domain_ok = c.host_only ? url.host == c.domain : domain_matches(url.host, c.domain);
    if (!domain_ok || !path_matches(path, c.path) || (c.secure && url.scheme != "https")) continue;
    if (!out.empty()) out += "; ";
    out += c.name + "=" + c.value;
  }
  return out;
}

void CookieJar::keep(const Headers& response_headers, const Url& url) {
  for (const auto& [name, value] : response_headers) {
    if (!iequals(name, "Set-Cookie")) continue;
    if (auto cookie = parse_set_cookie(value, url)) store(std::move(*cookie));
  }
}

void CookieJar::store(Cookie cookie) {
  std::erase_if(cookies_, [&](const Cookie& c) {
    return c.name == cookie.name && c.domain == cookie.domain && c.path == cookie.path;
  });
  if (!cookie.expires || *cookie.expires > SystemClock::now())
    cookies_.push_back(std::move(cookie));
}

}  // namespace wirekit::http::client_detail
