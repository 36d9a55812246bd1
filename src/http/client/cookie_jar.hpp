// The cookies a session keeps (RFC 6265 §5, without public-suffix checks).
#pragma once

#include <string>
#include <vector>

#include <wirekit/http/client.hpp>

namespace wirekit::http::client_detail {

class CookieJar {
 public:
  // The Cookie field for a request to `url` ("" when no cookie applies); expired cookies go.
  std::string header_for(const Url& url);
  // Keeps the cookies of the Set-Cookie fields in a response to `url`.
  void keep(const Headers& response_headers, const Url& url);
  // Replaces a cookie of the same name, domain and path; an expired one only removes it.
  void store(Cookie cookie);
  const std::vector<Cookie>& cookies() const noexcept { return cookies_; }

 private:
  std::vector<Cookie> cookies_;
};

}  // namespace wirekit::http::client_detail
