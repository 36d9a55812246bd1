// A private HTTP cache (RFC 9111) for the client: in memory (LRU, bounded by bytes) and
// optionally on disk. The client asks it before sending a request and tells it the answer:
//
//   auto lookup = co_await cache.lookup_async("GET", url, request_headers);
//   if (lookup.state == CacheLookup::fresh) use(*lookup.stored);          // no request at all
//   else { add lookup.validators; send; response = co_await cache.store_async(...); }
//
// Threads: every member may be called from any thread, at once, and one Cache may be shared by
// sessions on several loops (a mutex guards the index in memory; the file I/O runs outside it).
// The *_async members do their file I/O on the shared ThreadPool (blocking()) and resume on the
// caller's loop, so a slow disk stalls only the request waiting for it, never the loop; the
// synchronous ones do it on the calling thread — on a loop, that loop waits for the disk. Without
// a directory neither touches a file, and the two are the same.
//
// What it honours: Cache-Control max-age, s-maxage is ignored (private cache), no-store (request
// or response: never stored, and a request's finds nothing), no-cache (response: stored but
// always revalidated; request, or Pragma: no-cache: no fresh hit), a request's max-age, min-fresh
// and max-stale, must-revalidate and proxy-revalidate (a stale entry is never served, even to
// max-stale, without revalidation), Expires and Date when there is no max-age, heuristic
// freshness for responses with Last-Modified and no explicit lifetime (10% of their age, at most
// a day), Age; validators ETag (If-None-Match) and Last-Modified (If-Modified-Since) with 304
// updating the stored headers; Vary (an entry matches only requests with the same values of the
// fields it names, up to 4 variants per URL; "Vary: *" is never stored).
// Only GET responses with status 200, 203, 204, 300, 301, 308, 404, 405, 410, 414 or 501 are
// stored (HEAD requests are answered from them, without the body), and not when the request
// carried Authorization unless the response says public, s-maxage or must-revalidate (RFC 9111
// §3.5). Requests the caller made conditional (If-None-Match...) or ranged are always misses.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <wirekit/core/task.hpp>
#include <wirekit/http/message.hpp>
#include <wirekit/http/url.hpp>

namespace wirekit::http {

// A response as the cache keeps it: decoded body, headers as received.
struct CachedResponse {
  int status = 200;
  std::string reason;
  Headers headers;
  std::string body;
};

struct CacheLookup {
  enum State {
    miss,   // nothing usable: send the request as is
    fresh,  // `stored` may be used without contacting the server
    stale,  // send the request with `validators` added; a 304 then confirms `stored`
            // (a stale entry without a validator is a miss)
  };
  State state = miss;
  std::optional<CachedResponse> stored;  // with an Age header set, for fresh and stale
  Headers validators;                    // If-None-Match / If-Modified-Since, for stale
};

struct CacheOptions {
  std::size_t max_bytes = 64u << 20;       // bodies and headers held in memory, LRU beyond
  std::size_t max_entry_bytes = 8u << 20;  // larger responses are not stored
  // When set, entries are also written there (one file per entry, written to a temporary name
  // and renamed, so a crash never leaves a partial entry) and found again by later processes.
  std::optional<std::filesystem::path> directory;
  // When set, called before each entry file is opened, on the thread doing the I/O (a pool
  // thread for the *_async members): tests slow the disk down with it. Must be thread-safe.
  std::function<void()> on_file_io;
};

class Cache {
 public:
  using Clock = std::chrono::system_clock;

  explicit Cache(CacheOptions options = {});
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  CacheLookup lookup(std::string_view method, const Url& url, const Headers& request_headers,
                     Clock::time_point now = Clock::now());

  // Called with the server's answer to a request (sent with the lookup's validators if it was
  // stale). Stores it when RFC 9111 allows, and returns what the caller should see: for a 304
  // answering a stale lookup, the stored response with its headers updated; otherwise the
  // network's response unchanged. `request_time`/`response_time` compute the entry's age.
  // A success of an unsafe method (POST, PUT, DELETE...) invalidates `url` (§4.4).
  CachedResponse store(std::string_view method, const Url& url, const Headers& request_headers,
                       CachedResponse network, const CacheLookup& lookup,
                       Clock::time_point request_time, Clock::time_point response_time);

  // Drops every variant of `url`, in memory and on disk (store() does it after an unsafe
  // method succeeded on it, §4.4).
  void invalidate(const Url& url);

  // The same as lookup(), store() and invalidate(), with the file I/O on the shared ThreadPool:
  // to be awaited on a loop. The arguments (and the Cache) must outlive the task, as they
  // do in `co_await cache.lookup_async(...)`. (g++ 12: name class arguments first, e.g. the
  // CachedResponse, rather than building them inside the co_await expression.)
  Task<CacheLookup> lookup_async(std::string_view method, const Url& url,
                                 const Headers& request_headers,
                                 Clock::time_point now = Clock::now());
  Task<CachedResponse> store_async(std::string_view method, const Url& url,
                                   const Headers& request_headers, CachedResponse network,
                                   const CacheLookup& lookup, Clock::time_point request_time,
                                   Clock::time_point response_time);
  Task<void> invalidate_async(const Url& url);

  // Drops every entry, in memory and on disk (on the calling thread).
  void clear();
  // What memory holds (keys, headers and bodies); the files are not counted.
  std::size_t size_bytes() const noexcept;
  std::size_t entries() const noexcept;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace wirekit::http
