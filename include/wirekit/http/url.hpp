// URLs for the HTTP client (RFC 3986): parsing, resolving a Location against its request's URL,
// and the query/form encoding of application/x-www-form-urlencoded.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace wirekit::http {

struct Url {
  std::string scheme;      // "http" or "https", lower case
  std::string userinfo;    // "user:password" as written (percent-encoded), often empty
  std::string host;        // a name (lower case), an IPv4 literal, or an IPv6 literal unbracketed
  std::uint16_t port = 0;  // as written, or the scheme's default (80, 443)
  std::string target;      // path and query as sent in a request line: "/a/b?x=1" (at least "/")

  // Throws Error(errc::invalid_argument) "invalid URL 'TEXT': REASON". Fragments are dropped;
  // spaces and other bytes a request line cannot carry are percent-encoded.
  static Url parse(std::string_view text);

  // The URL `reference` (absolute, scheme-relative, absolute-path or relative, as a Location
  // header may give it) points to from this one (RFC 3986 §5.2).
  Url resolve(std::string_view reference) const;

  bool has_default_port() const noexcept;
  // "example.com", "example.com:8080", "[::1]:8080": the Host header's value.
  std::string authority() const;
  // "http://example.com:8080": scheme, host and port — what connections are pooled by.
  std::string origin() const;
  // The whole URL, without the userinfo.
  std::string str() const;
};

// "a=1&b=x+y": pairs for a query string or an application/x-www-form-urlencoded body.
std::string encode_form(std::span<const std::pair<std::string, std::string>> fields);

}  // namespace wirekit::http
