// The cache's entries in memory: an LRU bounded by bytes, up to max_variants_per_url variants
// per URL. Thread-safe: every member may be called from any thread at once (one mutex around
// the index; entries are immutable and shared, so what a caller holds stays valid after the
// store drops it). Private to the http layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cache/entry.hpp"

namespace wirekit::http::detail {

class MemoryStore {
 public:
  explicit MemoryStore(std::size_t max_bytes) noexcept : max_bytes_(max_bytes) {}

  // The most recent entry for `key` that `request` selects, marked most recently used; null
  // if there is none.
  EntryPtr find(const std::string& key, const Headers& request);

  // Keeps `entry` in place of the variant `request` selects.
  void put(EntryPtr entry, const Headers& request);

  // What put() does, for an entry read from disk since generation() returned `generation`:
  // nothing if a drop or clear came in between (the file read may predate it), nor if memory
  // already holds a variant `request` selects that is at least as recent.
  void put_loaded(EntryPtr entry, const Headers& request, std::uint64_t generation);

  // Drops the variants of `key` that `request` selects, or all of them without a request.
  void drop(const std::string& key, const Headers* request);
  void clear();

  // Counts drops and clears.
  std::uint64_t generation() const;
  std::size_t bytes() const;
  std::size_t entries() const;

 private:
  using Lru = std::list<EntryPtr>;

  void insert(EntryPtr entry, const Headers& request);
  void touch(Lru::iterator it);
  void erase(Lru::iterator it);

  const std::size_t max_bytes_;
  mutable std::mutex mutex_;  // guards everything below
  Lru lru_;                   // most recently used first
  // Per URL, its variants least recently used first.
  std::unordered_map<std::string, std::vector<Lru::iterator>> by_key_;
  std::size_t bytes_ = 0;
  std::uint64_t generation_ = 0;
};

}  // namespace wirekit::http::detail
