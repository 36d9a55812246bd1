// The HTTP/1.1 client: requests' one-liners and aiohttp's ClientSession in one API.
//
//   auto r = http::get("http://127.0.0.1:8080/hello");            // blocking, like requests
//   r.raise_for_status();
//   std::cout << r.status << ' ' << r.text();
//
//   http::Session session({.limit = 20});                          // aiohttp's
//   TCPConnector(limit=20) ClientResponse r = co_await session.post(url, {.json =
//   nlohmann::json{{"a", 1}}});
//
// A Session keeps connections alive per origin (scheme, host, port) and reuses them; limits on
// open connections apply across hosts and per host, and a request waits for a slot. A request
// that fails on a reused connection before any byte of the answer arrived (the server closed it
// while idle) is sent once more on a fresh connection, if its method is idempotent. Redirects
// are followed (at most 10 by default): 301/302 turn POST into GET, 303 turns everything but
// HEAD into GET, 307/308 keep method and body; Authorization is dropped when the host changes.
// Bodies are decompressed (gzip, deflate, br, zstd) under a size limit. A Session belongs to the
// event loop it is first used on. docs/http-client.md has the guide.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <wirekit/core/error.hpp>
#include <wirekit/core/task.hpp>
#include <wirekit/core/time.hpp>
#include <wirekit/http/cache.hpp>
#include <wirekit/http/message.hpp>
#include <wirekit/http/parser.hpp>
#include <wirekit/http/url.hpp>
#include <wirekit/net/buffered_stream.hpp>
#include <wirekit/tls/context.hpp>

namespace wirekit::http {

// Reads from `in` until it holds a whole response head and parses it into `head` (its fields
// in `fields`); the head's bytes stay buffered. Returns `complete`, `error` (`error` says why)
// or `incomplete` when the peer closed first. The client's own loop, for protocols that begin
// with an HTTP exchange (a WebSocket handshake).
Task<ParseResult> read_response_head(net::BufferedStream& in, ResponseHead& head,
                                     std::span<Header> fields, Duration timeout, ParseError& error);

// Asks the HTTP proxy at the other end of `transport` for a tunnel to `target` (CONNECT, RFC
// 9110 §9.3.6), within `timeout`; the stream returned then carries bytes to and from the
// target, starting with any the proxy sent past its answer. Throws Error(errc::protocol_error)
// when the proxy refuses, naming its answer.
Task<std::unique_ptr<net::Stream>> open_tunnel(std::unique_ptr<net::Stream> transport,
                                               const Url& target, Duration timeout);

struct ClientResponse {
  int status = 0;
  std::string reason;
  Headers headers;
  std::string body;                  // decoded; empty when RequestOptions::on_body took it
  std::string url;                   // the final URL, after redirects
  std::vector<std::string> history;  // the URLs that redirected here, in order
  bool from_cache = false;

  bool ok() const noexcept { return status > 0 && status < 400; }
  std::optional<std::string_view> header(std::string_view name) const noexcept {
    return headers.get(name);
  }
  const std::string& text() const noexcept { return body; }
  // The body as JSON; throws Error(errc::protocol_error) naming the problem.
  nlohmann::json json() const;
  // Throws HttpStatusError for 4xx and 5xx: "404 Not Found for url: http://...".
  void raise_for_status() const;
};

class HttpStatusError : public Error {
 public:
  HttpStatusError(int status, const std::string& message);
  int status() const noexcept { return status_; }

 private:
  int status_;
};

struct Timeouts {
  Duration connect = std::chrono::seconds(10);  // to establish a connection (DNS included)
  Duration read = std::chrono::seconds(30);     // longest silence while waiting for the answer
  Duration total{};                             // the whole request, redirects included; 0: none
};

// A file of a multipart/form-data body.
struct FilePart {
  std::string field;     // the form field's name
  std::string filename;  // as the server should see it
  std::string data;      // the content
  std::string content_type = "application/octet-stream";
};

struct RequestOptions {
  Headers headers;
  std::vector<std::pair<std::string, std::string>> params;  // appended to the query string
  // The body, at most one kind: raw bytes (Content-Type from `headers`, else
  // application/octet-stream), form fields (urlencoded, or parts of a multipart body when
  // `files` is set too), JSON, or files.
  std::optional<std::string> data;
  std::vector<std::pair<std::string, std::string>> form;
  std::optional<nlohmann::json> json;
  std::vector<FilePart> files;
  bool gzip = false;  // send the body gzip-compressed, with Content-Encoding: gzip (§11.3)
  std::optional<std::pair<std::string, std::string>> basic_auth;  // user, password
  std::optional<std::string> bearer;                              // Authorization: Bearer
  std::optional<Timeouts> timeouts;                               // instead of the session's
  bool allow_redirects = true;
  // Streams the final response's body here as it arrives instead of keeping it (downloads).
  // No Accept-Encoding is sent unless given in `headers`, and the bytes are passed as received.
  std::function<void(std::string_view)> on_body;
  // Called with the final response's status and headers before its body (body still empty).
  std::function<void(const ClientResponse&)> on_head;
};

struct SessionOptions {
  std::size_t limit = 100;         // connections open at once over all hosts; 0: no limit
  std::size_t limit_per_host = 0;  // per origin; 0: no limit
  Duration idle_timeout = std::chrono::seconds(15);  // a pooled connection unused this long closes
  Timeouts timeouts;
  std::size_t max_redirects = 10;
  std::size_t max_body = std::size_t{1} << 30;  // decoded body kept in memory, at most
  bool decompress = true;  // send Accept-Encoding: gzip, deflate, br, zstd and decode
  bool cookies = true;     // keep Set-Cookie and send cookies back (RFC 6265)
  Headers headers;         // sent with every request; User-Agent defaults to wirekit/VERSION
  // An HTTP proxy: requests go to it in absolute form ("GET http://host/path HTTP/1.1"), or,
  // with `proxy_tunnel` and always for https:// URLs, through a CONNECT tunnel per origin.
  std::optional<Url> proxy;
  bool proxy_tunnel = false;
  // https://: verification (on), CAs (the system's), client certificate, minimum version.
  // ALPN offers http/1.1 unless set. Sessions are resumed per origin.
  tls::ClientOptions tls;
  // An RFC 9111 private cache shared by requests of this session (and others if shared).
  std::shared_ptr<Cache> cache;
};

// Cookies a session received (RFC 6265, without public-suffix checks).
struct Cookie {
  std::string name;
  std::string value;
  std::string domain;  // without a leading dot
  std::string path = "/";
  bool host_only = true;  // sent to `domain` only, not its subdomains
  bool secure = false;    // https only
  std::optional<std::chrono::system_clock::time_point> expires;  // none: until the session ends
};

class Session {
 public:
  Session();
  explicit Session(SessionOptions options);  // no default argument: see the g++ 12 note below
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Throws Error: invalid_argument (bad URL or options), resolve_failed, ECONNREFUSED & co,
  // timed_out, limit_exceeded (too many redirects, body over the limit), protocol_error (a
  // malformed answer), unexpected_eof (the server closed before the body was complete).
  //
  // With g++ 12, build the options in a variable and pass std::move(options): g++ 12
  // miscompiles class temporaries created inside a co_await expression (braced options,
  // a std::string made from a literal), destroying them twice. Hence the overloads without
  // options instead of a default argument, and string_view for the URL.
  Task<ClientResponse> request(std::string_view method, std::string_view url,
                               RequestOptions options);
  Task<ClientResponse> request(std::string_view method, std::string_view url);
  Task<ClientResponse> get(std::string_view url, RequestOptions options);
  Task<ClientResponse> get(std::string_view url);
  Task<ClientResponse> head(std::string_view url, RequestOptions options);
  Task<ClientResponse> head(std::string_view url);
  Task<ClientResponse> post(std::string_view url, RequestOptions options);
  Task<ClientResponse> post(std::string_view url);
  Task<ClientResponse> put(std::string_view url, RequestOptions options);
  Task<ClientResponse> put(std::string_view url);
  Task<ClientResponse> patch(std::string_view url, RequestOptions options);
  Task<ClientResponse> patch(std::string_view url);
  Task<ClientResponse> delete_(std::string_view url, RequestOptions options);
  Task<ClientResponse> delete_(std::string_view url);

  const std::vector<Cookie>& cookies() const noexcept;
  void set_cookie(Cookie cookie);

  struct Stats {
    std::size_t connections_opened = 0;
    std::size_t connections_reused = 0;
    std::size_t retries = 0;  // requests resent after a reused connection was found closed
  };
  Stats stats() const noexcept;
  // Closes the idle connections (open requests keep theirs).
  void close_idle() noexcept;

  struct State;  // the pool, the cookies and the options; defined in src/http/client.cpp

 private:
  std::unique_ptr<State> state_;
};

// Blocking one-liners, each on a session of its own (requests' module functions). They run
// their own event loop: call them from plain code, not from a coroutine.
ClientResponse request(std::string_view method, std::string_view url, RequestOptions options = {});
ClientResponse get(std::string_view url, RequestOptions options = {});
ClientResponse head(std::string_view url, RequestOptions options = {});
ClientResponse post(std::string_view url, RequestOptions options = {});
ClientResponse put(std::string_view url, RequestOptions options = {});
ClientResponse patch(std::string_view url, RequestOptions options = {});
ClientResponse delete_(std::string_view url, RequestOptions options = {});

}  // namespace wirekit::http
