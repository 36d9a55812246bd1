// Middleware that comes with the server: access log, compression, IP blocking, rate limiting,
// CORS. Each is a Middleware value for Server::use (the first added is the outermost):
//
//   server.use(http::access_log(http::LogFormat::combined, print_line))
//         .use(http::rate_limit(limiter))
//         .use(http::compression());
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <wirekit/codec.hpp>
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

}  // namespace wirekit::http
