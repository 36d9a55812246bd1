#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

#include <arpa/inet.h>

#include <wirekit/core/ascii.hpp>
#include <wirekit/core/error.hpp>
#include <wirekit/http/message.hpp>
#include <wirekit/http/url.hpp>

namespace wirekit::http {
namespace {

[[noreturn]] void invalid(std::string_view text, std::string_view reason) {
  // The URL is the caller's own text; cap it so a message stays one readable line.
  const std::string shown(text.substr(0, 200));
  throw Error(errc::invalid_argument, "invalid URL '" + shown + (text.size() > 200 ? "...'" : "'") +
                                          ": " + std::string(reason));
}

// The path and query as a request line can carry them: pchar, "/" and "?" stay, and so does
// "%" (escapes already there); anything else is percent-encoded.
std::string normalized_target(std::string_view text) {
  std::string out;
  if (text.empty() || text.front() != '/') out += '/';
  return out + percent_encode(text, "!$&'()*+,;=:@/?%");
}

// RFC 3986 §5.2.4, on an absolute path: "/a/b/../c/./d" → "/a/c/d"; empty segments ("//")
// are kept, as the RFC and browsers keep them.
std::string remove_dot_segments(std::string_view path) {
  std::string out;
  while (!path.empty()) {
    if (path.starts_with("/./")) {
      path.remove_prefix(2);
    } else if (path == "/.") {
      path = "/";
    } else if (path.starts_with("/../") || path == "/..") {
      path = path.size() == 3 ? std::string_view("/") : path.substr(3);
      const auto last = out.rfind('/');
      out.erase(last == std::string::npos ? 0 : last);
    } else if (path == "." || path == "..") {
      path = {};
    } else {
      const auto next = path.find('/', 1);
      const std::string_view segment = path.substr(0, next);
      out += segment;
      path.remove_prefix(segment.size());
    }
  }
  return out.empty() ? "/" : out;
}

bool has_scheme(std::string_view reference) {
  const auto colon = reference.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const auto delimiter = reference.find_first_of("/?#");
  if (delimiter != std::string_view::npos && delimiter < colon) return false;
  const auto is_scheme_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '-' || c == '.';
  };
  return std::all_of(reference.begin(), reference.begin() + static_cast<std::ptrdiff_t>(colon),
                     is_scheme_char);
}

}  // namespace

Url Url::parse(std::string_view text) {
  const std::string_view original = text;
  text = ascii::trim_ows(text);
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) invalid(original, "no scheme (http:// or https://)");
  Url url;
  url.scheme = ascii::to_lower(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") {
    invalid(original, "scheme '" + url.scheme + "' is not http or https");
  }
  text.remove_prefix(scheme_end + 3);
  if (const auto hash = text.find('#'); hash != std::string_view::npos) text = text.substr(0, hash);
  const auto authority_end = text.find_first_of("/?");
  std::string_view authority = text.substr(0, authority_end);
  const std::string_view rest =
      authority_end == std::string_view::npos ? std::string_view() : text.substr(authority_end);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    url.userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
  }
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) invalid(original, "unterminated IPv6 literal");
    url.host = ascii::to_lower(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') invalid(original, "junk after the IPv6 literal");
    if (!after.empty()) port_text = after.substr(1);
    in6_addr parsed{};
    if (::inet_pton(AF_INET6, url.host.c_str(), &parsed) != 1) {
      invalid(original, "malformed IPv6 literal");
    }
  } else {
    const auto colon = authority.rfind(':');
    const std::string_view host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    for (char c : host) {
      const auto u = static_cast<unsigned char>(c);
      if (u >= 0x80) invalid(original, "non-ASCII host names are not supported (use punycode)");
      if (!(std::isalnum(u) || c == '-' || c == '.' || c == '_')) {
        invalid(original, "invalid character in the host name");
      }
      url.host += ascii::to_lower(c);
    }
  }
  if (url.host.empty()) invalid(original, "no host");
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      invalid(original, "invalid port");
    }
    url.port = static_cast<std::uint16_t>(value);
  } else {
    url.port = url.scheme == "https" ? 443 : 80;
  }
  url.target = normalized_target(rest);
  return url;
}

Url Url::resolve(std::string_view reference) const {
  if (const auto hash = reference.find('#'); hash != std::string_view::npos) {
    reference = reference.substr(0, hash);
  }
  if (has_scheme(reference)) return parse(reference);
  if (reference.starts_with("//")) return parse(scheme + ":" + std::string(reference));
  Url out = *this;
  if (reference.empty()) return out;
  const auto base_query = target.find('?');
  const std::string_view base_path = std::string_view(target).substr(0, base_query);
  const auto ref_query = reference.find('?');
  const std::string_view ref_path = reference.substr(0, ref_query);
  const std::string_view query =
      ref_query == std::string_view::npos ? std::string_view() : reference.substr(ref_query);
  if (ref_path.empty()) {  // "?q" or nothing: the base path, with the reference's query if any
    const std::string_view base_q = base_query == std::string::npos
                                        ? std::string_view()
                                        : std::string_view(target).substr(base_query);
    out.target = normalized_target(
        std::string(base_path) + std::string(ref_query == std::string_view::npos ? base_q : query));
    return out;
  }
  std::string path;
  if (ref_path.front() == '/') {
    path = remove_dot_segments(ref_path);
  } else {
    const auto last_slash = base_path.rfind('/');
    path = remove_dot_segments(std::string(base_path.substr(0, last_slash + 1)) +
                               std::string(ref_path));
  }
  out.target = normalized_target(path + std::string(query));
  return out;
}

bool Url::has_default_port() const noexcept {
  return port == (scheme == "https" ? 443 : 80);
}

std::string Url::authority() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (!has_default_port()) out += ":" + std::to_string(port);
  return out;
}

std::string Url::origin() const {
  return scheme + "://" + authority();
}

std::string Url::str() const {
  return origin() + target;
}

std::string encode_form(std::span<const std::pair<std::string, std::string>> fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += percent_encode(name, {}, true);
    out += '=';
    out += percent_encode(value, {}, true);
  }
  return out;
}

}  // namespace wirekit::http
