// The cache's LRU in memory (src/http/cache/memory_store.hpp).
#include "cache/memory_store.hpp"

#include <algorithm>
#include <iterator>
#include <optional>

#include "cache/policy.hpp"

namespace wirekit::http::detail {

EntryPtr MemoryStore::find(const std::string& key, const Headers& request) {
  const std::lock_guard lock(mutex_);
  const auto found = by_key_.find(key);
  if (found == by_key_.end()) return nullptr;
  std::optional<Lru::iterator> best;
  for (const Lru::iterator it : found->second) {
    if (selects(request, **it) && (!best || (**best)->response_time < (*it)->response_time)) {
      best = it;
    }
  }
  if (!best) return nullptr;
  touch(*best);
  return **best;
}

void MemoryStore::put(EntryPtr entry, const Headers& request) {
  const std::lock_guard lock(mutex_);
  insert(std::move(entry), request);
}

void MemoryStore::put_loaded(EntryPtr entry, const Headers& request, std::uint64_t generation) {
  const std::lock_guard lock(mutex_);
  if (generation != generation_) return;
  if (const auto found = by_key_.find(entry->key); found != by_key_.end()) {
    for (const Lru::iterator it : found->second) {
      if (selects(request, **it) && (*it)->response_time >= entry->response_time) return;
    }
  }
  insert(std::move(entry), request);
}

void MemoryStore::drop(const std::string& key, const Headers* request) {
  const std::lock_guard lock(mutex_);
  ++generation_;
  if (const auto found = by_key_.find(key); found != by_key_.end()) {
    // Copied: erase() edits the list being walked.
    const std::vector<Lru::iterator> variants = found->second;
    for (const Lru::iterator it : variants) {
      if (!request || selects(*request, **it)) erase(it);
    }
  }
}

void MemoryStore::clear() {
  const std::lock_guard lock(mutex_);
  ++generation_;
  lru_.clear();
  by_key_.clear();
  bytes_ = 0;
}

std::uint64_t MemoryStore::generation() const {
  const std::lock_guard lock(mutex_);
  return generation_;
}

std::size_t MemoryStore::bytes() const {
  const std::lock_guard lock(mutex_);
  return bytes_;
}

std::size_t MemoryStore::entries() const {
  const std::lock_guard lock(mutex_);
  return lru_.size();
}

void MemoryStore::insert(EntryPtr entry, const Headers& request) {
  const std::size_t cost = entry->bytes();
  if (const auto found = by_key_.find(entry->key); found != by_key_.end()) {
    const std::vector<Lru::iterator> variants = found->second;
    for (const Lru::iterator it : variants) {
      if (selects(request, **it)) erase(it);
    }
  }
  if (cost > max_bytes_) return;  // it would push out everything else and still not fit
  lru_.push_front(entry);
  bytes_ += cost;
  std::vector<Lru::iterator>& variants = by_key_[entry->key];
  variants.push_back(lru_.begin());
  if (variants.size() > max_variants_per_url) erase(variants.front());
  while (bytes_ > max_bytes_) erase(std::prev(lru_.end()));
}

// Marks `it` most recently used, in the whole cache and among its URL's variants.
void MemoryStore::touch(Lru::iterator it) {
  lru_.splice(lru_.begin(), lru_, it);
  std::vector<Lru::iterator>& variants = by_key_[(*it)->key];
  const auto position = std::find(variants.begin(), variants.end(), it);
  std::rotate(position, position + 1, variants.end());
}

void MemoryStore::erase(Lru::iterator it) {
  const auto found = by_key_.find((*it)->key);
  std::erase(found->second, it);
  if (found->second.empty()) by_key_.erase(found);
  bytes_ -= (*it)->bytes();
  lru_.erase(it);
}

}  // namespace wirekit::http::detail
