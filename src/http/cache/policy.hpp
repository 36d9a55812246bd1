// What RFC 9111 decides for the private cache: Cache-Control (§5.2), freshness and age (§4.2),
// Vary (§4.1), validation (§4.3), what may be stored (§3). Pure functions of headers, entries
// and times: no I/O, no locks, safe from any thread. Private to the http layer.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "cache/entry.hpp"

namespace wirekit::http::detail {

using Seconds = std::chrono::seconds;

// Variants of one URL (different Accept-Encoding, say) kept side by side; beyond this the
// least recently used goes, so a Vary on a field that changes with every request cannot fill
// the cache with one URL.
inline constexpr std::size_t max_variants_per_url = 4;

// The directives of one message's Cache-Control fields.
struct CacheControl {
  bool no_store = false;
  bool no_cache = false;
  bool must_revalidate = false;
  // public, s-maxage or must-revalidate: §3.5's permission to store an answer to a request
  // with Authorization.
  bool allows_authorized = false;
  std::optional<Seconds> max_age;
  std::optional<Seconds> max_stale;
  std::optional<Seconds> min_fresh;

  void apply(std::string_view directive, std::optional<std::string_view> argument);
  // One field value: `token [ "=" ( token / quoted-string ) ]`, comma-separated.
  void parse(std::string_view value);
};

CacheControl response_cache_control(const Headers& headers);
// With §5.4's Pragma: no-cache when there is no Cache-Control.
CacheControl request_cache_control(const Headers& headers);

// A request's value of `name` as Vary compares it (§4.1); nullopt when the field is absent.
std::optional<std::string> vary_value(const Headers& request, std::string_view name);
// Whether `request` has the values of the fields `entry`'s response varies on.
bool selects(const Headers& request, const Entry& entry);

// corrected_initial_age (§4.2.3).
Seconds initial_age(const Headers& headers, CacheClock::time_point request_time,
                    CacheClock::time_point response_time);

// The lookup's directives: nullopt when the cache may not answer `method` with these request
// headers at all (not GET or HEAD, conditional or ranged, no-store).
std::optional<CacheControl> lookup_directives(std::string_view method, const Headers& request);

// What a lookup answers with `entry` (null: a miss) for a request with `request`'s directives,
// at `now`; `head` drops the body.
CacheLookup answer(const Entry* entry, const CacheControl& request, bool head,
                   CacheClock::time_point now);

bool is_safe_method(std::string_view method) noexcept;

// Whether `network` is a 304 confirming the stale entry `lookup` handed out: then store()
// merges it into the stored response, which it needs first.
bool confirms_stored(const CachedResponse& network, const CacheLookup& lookup) noexcept;

// What store() does with an answer to a GET or HEAD.
struct StoreDecision {
  CachedResponse response;    // what the caller sees
  std::optional<Entry> keep;  // stored in place of the variant the request selects
  bool forget = false;        // else, whether that variant is dropped
};

// `current` is the entry the cache holds for the request (looked up only when
// confirms_stored(), null otherwise or when there is none).
StoreDecision decide_store(const std::string& key, bool head, const Headers& request,
                           CachedResponse network, const CacheLookup& lookup, const Entry* current,
                           CacheClock::time_point request_time,
                           CacheClock::time_point response_time, std::size_t max_entry_bytes);

}  // namespace wirekit::http::detail
