// Middleware that comes with the server: access log, compression, IP blocking, rate limiting,
// CORS, bearer JWTs. Each is a Middleware value for Server::use (the first added is the
// outermost):
//
//   server.use(http::access_log(http::LogFormat::combined, print_line))
//         .use(http::rate_limit(limiter))
//         .use(http::compression());
//
// Thread-safety: a Server runs one Middleware value on every loop at once. The ones here keep no
// mutable state of their own; what they are given must be safe to call from several threads: the
// access log's `sink` (a LogSink is), the blocker and the limiter (they are).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <wirekit/codec.hpp>
#include <wirekit/crypto/jwt.hpp>
#include <wirekit/guard.hpp>
#include <wirekit/http/message.hpp>

namespace wirekit::http {

enum class LogFormat {
  combined,  // Apache/nginx "combined": 127.0.0.1 - - [date] "GET / HTTP/1.1" 200 17 "-" "curl/8"
  json,      // one JSON object per line, with the duration in milliseconds
};
// Logs every response, once it is produced, through `sink` (one line, no newline).
Middleware access_log(LogFormat format, std::function<void(const std::string&)> sink);

struct CompressionOptions {
  std::size_t min_size = 256;  // smaller bodies are not worth it
  std::vector<codec::Encoding> encodings{codec::Encoding::br, codec::Encoding::zstd,
                                         codec::Encoding::gzip};  // in order of preference
  int level = -1;                                                 // the codec's default for HTTP
};
// Compresses text-like bodies (string or streamed) by the request's Accept-Encoding; adds
// Vary: Accept-Encoding. Bodies already encoded and files (StaticFiles encodes its own) pass.
Middleware compression(CompressionOptions options = {});

// 403 for clients the blocker refuses (each request is an attempt).
Middleware ip_blocking(std::shared_ptr<guard::IpBlocker> blocker);

// 429 with Retry-After (whole seconds, at least 1) when the client's bucket is empty.
Middleware rate_limit(std::shared_ptr<guard::RateLimiter> limiter);

struct CorsOptions {
  std::vector<std::string> origins{"*"};  // allowed Origin values; "*" for any
  std::string methods = "GET, HEAD, POST, PUT, PATCH, DELETE";
  std::string allow_headers;  // empty: whatever the preflight asks for
  std::string expose_headers;
  bool credentials = false;  // Access-Control-Allow-Credentials (never with a literal "*")
  Duration max_age = std::chrono::minutes(10);
};
// Answers preflights (OPTIONS with Access-Control-Request-Method) with 204 and adds
// Access-Control-Allow-Origin to responses for allowed origins.
Middleware cors(CorsOptions options);

// Bearer JWTs (RFC 6750) in front of routes:
//
//   server.use(http::jwt_guard({.key = crypto::jwt::Key::secret(secret),
//                               .decode = {.algorithms = {crypto::jwt::Algorithm::HS256}},
//                               .paths = {"/api/"}}));
//   router.get("/api/me", [](http::Request& req) -> Task<http::Response> {
//     co_return http::Response::json({{"user", http::jwt_claims(req).value("username", "")}});
//   });
//
// Requests on a guarded path without a valid "Authorization: Bearer <token>" get 401 with
// WWW-Authenticate: Bearer (error="invalid_token" and a description when a token was given);
// the reason never includes the token or the key.
struct JwtGuardOptions {
  std::optional<crypto::jwt::Key> key;      // the key, or
  std::optional<crypto::jwt::KeySet> keys;  // a key set, chosen by "kid"
  crypto::jwt::DecodeOptions decode;        // algorithms (required), audience, issuer, leeway...
  // Path prefixes that need a token; empty: every path.
  std::vector<std::string> paths;
  std::string realm = "wirekit";
};
// Throws Error(errc::invalid_argument) when neither a key nor a key set is given or no
// algorithm is allowed.
Middleware jwt_guard(JwtGuardOptions options);

// The claims of the request's verified token (an empty object if the guard did not run).
crypto::jwt::Json jwt_claims(const Request& request);

}  // namespace wirekit::http
