// Downloads: one URL into a file that never looks complete before it is, and many URLs at once
// over one connection pool (tutorial §8.2 and §11.1; `wirekit fetch`).
//
// A download writes FILE.part and renames it to FILE only once the body is complete, so an
// interrupted download never leaves a file that looks whole. A later download of the same URL
// to the same FILE resumes FILE.part with a Range request; a server that ignores the range
// (200 instead of 206) makes it start over.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <wirekit/http/client.hpp>

namespace wirekit::http {

struct DownloadResult {
  std::string url;
  std::filesystem::path path;  // empty when the body was counted and dropped
  int status = 0;              // 0 when no answer came
  std::uint64_t bytes = 0;     // body bytes received by this download (resumed bytes excluded)
  bool resumed = false;        // continued a FILE.part from where it stopped
  std::string error;           // empty on success: "404 Not Found", "connection refused"...

  bool ok() const noexcept { return error.empty(); }
};

// Downloads `url` into `path` (or only counts the body when `path` is empty). Failures are
// reported in the result, not thrown. `on_bytes` (may be empty) sees each piece's size as it
// arrives. (No default arguments: see the g++ 12 note in client.hpp.)
Task<DownloadResult> download(Session& session, std::string_view url, std::string_view path,
                              RequestOptions options, std::function<void(std::size_t)> on_bytes);

struct FetchOptions {
  std::size_t concurrency = 20;  // requests in flight and connections open at once
  std::size_t per_host = 0;      // connections per origin; 0: no limit
  // Where files go (named after the URL's last path segment, "index.html" for "/"; a name met
  // twice gets ".1", ".2"...). Unset: bodies are counted and dropped.
  std::optional<std::filesystem::path> directory;
  Timeouts timeouts;
  Headers headers;
  tls::ClientOptions tls;                              // for https:// URLs
  std::function<void(const DownloadResult&)> on_done;  // as each URL finishes
  std::function<void(std::size_t)> on_bytes;           // as body bytes arrive
};

// Fetches every URL over one session, at most `concurrency` at a time; results in the order of
// `urls`.
Task<std::vector<DownloadResult>> fetch_all(std::vector<std::string> urls, FetchOptions options);

}  // namespace wirekit::http
