// A stored response as the cache keeps it (Entry), and its file format: what src/http/cache/
// disk_store.cpp writes and reads back. Private to the http layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wirekit/http/cache.hpp>

namespace wirekit::http::detail {

using CacheClock = Cache::Clock;

// A request's value of one field a response's Vary names (policy.hpp: vary_value).
struct VaryValue {
  std::string name;  // lower case
  std::optional<std::string> value;
  bool operator==(const VaryValue&) const = default;
};

// A stored response with what selecting it and computing its age need. Immutable once made:
// the stores share it (EntryPtr) between threads and copy what they hand out.
struct Entry {
  std::string key;              // Url::str()
  std::vector<VaryValue> vary;  // the request's values of the fields the response's Vary names
  CachedResponse response;
  CacheClock::time_point request_time;
  CacheClock::time_point response_time;

  // What it costs in memory: key, headers, body and the Vary values.
  std::size_t bytes() const noexcept;
};

using EntryPtr = std::shared_ptr<const Entry>;

// FNV-1a: stable across processes and builds, unlike std::hash, so files are found again.
std::uint64_t fnv1a(std::string_view data, std::uint64_t hash = 0xcbf29ce484222325) noexcept;

// ---- The entry file ------------------------------------------------------------------------
//
//   prefix: "WKCACHE1", head size, tail size, checksum of head and tail (8 bytes each)
//   head:   key, request time, response time, vary count, (name, present, value) per field
//   tail:   status, reason, header lines, body
// with numbers as 8 bytes little-endian and strings as their size then their bytes. The head
// alone says which URL and variant a file holds, so choosing a file reads no body.

inline constexpr std::size_t entry_prefix_size = 32;
// A file may exceed its entry's bytes by its framing: sizes, times and the status.
inline constexpr std::size_t entry_framing_allowance = 64u << 10;

// An entry as bytes: prefix, head and tail are written in that order, then the body itself
// (entry.response.body, not copied into `tail`).
struct EncodedEntry {
  std::string prefix;
  std::string head;
  std::string tail;
};

// Nullopt when the file would be larger than `max_file_bytes` (it could not be read back).
std::optional<EncodedEntry> encode_entry(const Entry& entry, std::uint64_t max_file_bytes);

struct EntryFrame {
  std::uint64_t head_size = 0;
  std::uint64_t tail_size = 0;
  std::uint64_t checksum = 0;
};

// The sizes a file's first entry_prefix_size bytes announce; nullopt when they are not ours,
// exceed `max_file_bytes` or disagree with `file_size` (a truncated or grown file). Checked
// before anything is allocated for them.
std::optional<EntryFrame> decode_prefix(std::string_view prefix, std::uint64_t file_size,
                                        std::uint64_t max_file_bytes) noexcept;

// Fills `entry`'s key, times and Vary values; false when `head` is malformed.
bool decode_head(std::string_view head, Entry& entry);

// Fills `response` from `tail`; false when the checksum of head and tail disagrees with the
// frame's or the tail is malformed. Never throws for bad bytes.
bool decode_tail(const EntryFrame& frame, std::string_view head, std::string_view tail,
                 CachedResponse& response);

}  // namespace wirekit::http::detail
