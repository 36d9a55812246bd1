// Per-client state keyed by address, bounded and thread-safe: what IpBlocker and RateLimiter
// keep. Sixteen independently locked shards, so loops checking at once rarely contend; each an
// LRU map that forgets the least recently seen client when full, so memory stays flat under a
// flood of distinct addresses — except clients the caller says to keep (a blocked address),
// which a flood of new ones must not push out.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <wirekit/net/address.hpp>

namespace wirekit::guard::detail {

// The key a client is counted under: an IPv4-mapped address as its IPv4 address, an IPv6
// address by its prefix (one host usually owns a whole /64).
inline net::IpAddress client_key(const net::IpAddress& ip, unsigned ipv6_prefix) noexcept {
  const net::IpAddress address = ip.unmapped();
  return address.is_v6() ? address.masked(ipv6_prefix) : address;
}

template <class State>
class AddressTable {
 public:
  explicit AddressTable(std::size_t max_tracked) {
    shards_.reserve(shard_count);
    for (std::size_t i = 0; i < shard_count; ++i) {
      shards_.push_back(
          std::make_unique<Shard>(std::max<std::size_t>(1, max_tracked / shard_count)));
    }
  }

  // Calls fn(state, fresh) under the lock of the key's shard; a client not yet known (or
  // forgotten) starts from State{} with fresh = true. When the shard is full, the least
  // recently seen client is forgotten unless keep(its state) says otherwise: then it is moved
  // to the front and the next one is tried, up to max_spared of them.
  template <class Fn, class Keep>
  auto with(const net::IpAddress& key, Fn fn, Keep keep) {
    Shard& shard = *shards_[std::hash<net::IpAddress>{}(key) % shards_.size()];
    std::lock_guard lock(shard.mutex);
    bool fresh = false;
    State& state = shard.find_or_insert(key, fresh, keep);
    return fn(state, fresh);
  }
  template <class Fn>
  auto with(const net::IpAddress& key, Fn fn) {
    return with(key, std::move(fn), [](const State&) { return false; });
  }

  std::size_t size() const {
    std::size_t n = 0;
    for (const auto& s : shards_) {
      std::lock_guard lock(s->mutex);
      n += s->map.size();
    }
    return n;
  }

 private:
  static constexpr std::size_t shard_count = 16;
  // Kept clients passed over per eviction: when nearly every entry is one, one still goes.
  static constexpr std::size_t max_spared = 8;
  struct Entry {
    net::IpAddress key;
    State state;
  };
  using Lru = std::list<Entry>;
  struct Shard {
    explicit Shard(std::size_t cap) : capacity(cap) {}
    template <class Keep>
    State& find_or_insert(const net::IpAddress& key, bool& fresh, const Keep& keep) {
      if (auto it = map.find(key); it != map.end()) {
        lru.splice(lru.begin(), lru, it->second);
        return it->second->state;
      }
      if (map.size() >= capacity) {
        // Full: forget the client seen least recently (it has had the longest to expire),
        // passing over those to keep.
        for (std::size_t spared = 0; spared < max_spared && keep(lru.back().state); ++spared) {
          lru.splice(lru.begin(), lru, std::prev(lru.end()));
        }
        map.erase(lru.back().key);
        lru.pop_back();
      }
      lru.push_front(Entry{key, State{}});
      map.emplace(key, lru.begin());
      fresh = true;
      return lru.front().state;
    }
    mutable std::mutex mutex;
    std::size_t capacity;
    Lru lru;
    std::unordered_map<net::IpAddress, typename Lru::iterator> map;
  };
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace wirekit::guard::detail
