// StaticFiles: a directory served over HTTP — the tutorial's §4.2 server done right.
//
//   router.get("/{path...}", http::StaticFiles{{.root = "public"}});
//
// Directory listings, MIME types, HEAD, index.html, sendfile, Range (206/416), ETag and
// Last-Modified with If-None-Match / If-Modified-Since / If-Range (304), precompressed .br/.gz
// siblings, and gzip/br/zstd of text types on the fly by Accept-Encoding.
//
// Nothing outside the root is ever served: the path is decoded segment by segment ("%2F" never
// becomes a separator), segments that are "..", ".", or hold NUL or a backslash are refused,
// and files are opened with openat2(RESOLVE_BENEATH), so neither ".." nor a symbolic link can
// lead out of the root.
//
// Thread-safety: one StaticFiles may serve on every loop at once. Its options and root directory
// are fixed at construction; the in-memory cache of small files and compressed variants is per
// loop, so loops share no lock.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include <wirekit/http/message.hpp>

namespace wirekit::http {

struct StaticOptions {
  std::filesystem::path root = ".";
  std::string index = "index.html";  // served for a directory; empty: none
  bool listing = true;               // an HTML listing for a directory without an index
  bool precompressed = true;         // serve file.br / file.gz when the client accepts them
  bool compress = true;              // compress text types on the fly (results are cached)
  std::size_t compress_max = 4 * 1024 * 1024;  // larger files are sent as they are
  // Files up to this size are kept in memory (per loop) and sent with one write; the cache is
  // bounded by cache_bytes and revalidated against the file system every `revalidate`.
  std::size_t cache_file_max = 64 * 1024;
  std::size_t cache_bytes = 64 * 1024 * 1024;
  Duration revalidate = std::chrono::seconds(1);
  std::string route_param = "path";  // the route's rest-of-path parameter
};

// The MIME type for a file name's extension ("application/octet-stream" when unknown).
std::string_view mime_type(std::string_view filename) noexcept;
// True for types worth compressing: text/*, JSON, JavaScript, XML, SVG...
bool is_compressible(std::string_view content_type) noexcept;

class StaticFiles {
 public:
  explicit StaticFiles(StaticOptions options);
  // A Handler: serves the route's rest-of-path parameter below the root.
  Task<Response> operator()(Request& request) const;

  struct Shared;

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace wirekit::http
