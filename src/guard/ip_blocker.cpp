#include <array>
#include <list>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>

#include <wirekit/guard.hpp>

namespace wirekit::guard {

namespace {

// The window is cut into this many slots; an attempt leaves the count when its slot does, so
// a block lifts between `window` and `window * (1 + 1/slots)` after the attempts that caused it.
constexpr std::size_t slots = 8;
constexpr std::size_t shard_count = 16;

struct KeyHash {
  std::size_t operator()(const net::IpAddress& ip) const noexcept {
    std::uint64_t h = ip.is_v4() ? 0x9e3779b97f4a7c15ULL : 0xc2b2ae3d27d4eb4fULL;
    for (std::uint8_t b : ip.bytes()) h = (h ^ b) * 0x100000001b3ULL;
    return static_cast<std::size_t>(h);
  }
};

}  // namespace

const char* to_string(Verdict v) noexcept {
  switch (v) {
    case Verdict::allowed:
      return "allowed";
    case Verdict::blocked:
      return "blocked";
    case Verdict::denied:
      return "denied";
    case Verdict::trusted:
      return "trusted";
  }
  return "unknown";
}

// A part of the table with its own lock and its own share of max_tracked, so loops accepting
// at once rarely contend. Entries sit in an LRU list; the map points into it.
class IpBlocker::Shard {
 public:
  Shard(std::size_t capacity, const IpBlockerOptions& options)
      : capacity_(std::max<std::size_t>(1, capacity)), options_(options) {}

  Verdict check(const net::IpAddress& key, Clock::time_point now) {
    const auto slot_length = std::max<Duration>(Duration{1}, options_.window / slots);
    const auto slot = static_cast<std::uint64_t>(now.time_since_epoch() / slot_length);
    std::lock_guard lock(mutex_);
    Entry& e = find_or_insert(key, slot);
    advance(e, slot);
    std::uint64_t in_window = 0;
    for (std::uint32_t c : e.counts) in_window += c;
    if (in_window >= options_.max_attempts) return Verdict::blocked;
    ++e.counts[slot % slots];
    return Verdict::allowed;
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return map_.size();
  }

 private:
  struct Entry {
    net::IpAddress key;
    std::array<std::uint32_t, slots> counts{};
    std::uint64_t last_slot = 0;
  };
  using Lru = std::list<Entry>;

  // Clears the slots that left the window since the entry was last touched.
  static void advance(Entry& e, std::uint64_t slot) noexcept {
    if (slot - e.last_slot >= slots) {
      e.counts.fill(0);
    } else {
      for (std::uint64_t s = e.last_slot + 1; s <= slot; ++s) e.counts[s % slots] = 0;
    }
    e.last_slot = slot;
  }

  Entry& find_or_insert(const net::IpAddress& key, std::uint64_t slot) {
    if (auto it = map_.find(key); it != map_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second);
      return *it->second;
    }
    if (map_.size() >= capacity_) {
      // Full: forget the address seen least recently (it has had the longest to expire).
      map_.erase(lru_.back().key);
      lru_.pop_back();
    }
    lru_.push_front(Entry{key, {}, slot});
    map_.emplace(key, lru_.begin());
    return lru_.front();
  }

  mutable std::mutex mutex_;
  std::size_t capacity_;
  const IpBlockerOptions& options_;
  Lru lru_;
  std::unordered_map<net::IpAddress, Lru::iterator, KeyHash> map_;
};

IpBlocker::IpBlocker(IpBlockerOptions options) : options_(std::move(options)) {
  if (options_.window <= Duration::zero()) {
    throw Error(errc::invalid_argument, "IP blocker window must be longer than zero");
  }
  if (options_.ipv6_prefix > 128) {
    throw Error(errc::invalid_argument,
                fmt::format("IPv6 prefix /{} is longer than 128 bits", options_.ipv6_prefix));
  }
  shards_.reserve(shard_count);
  for (std::size_t i = 0; i < shard_count; ++i) {
    shards_.push_back(std::make_unique<Shard>(options_.max_tracked / shard_count, options_));
  }
}

IpBlocker::~IpBlocker() = default;

Verdict IpBlocker::check(const net::IpAddress& ip) {
  return check(ip, Clock::now());
}

Verdict IpBlocker::check(const net::IpAddress& ip, Clock::time_point now) {
  const net::IpAddress address = ip.unmapped();
  for (const net::IpNetwork& n : options_.allow) {
    if (n.contains(address)) return Verdict::trusted;
  }
  for (const net::IpNetwork& n : options_.deny) {
    if (n.contains(address)) return Verdict::denied;
  }
  const net::IpAddress key = address.is_v6() ? address.masked(options_.ipv6_prefix) : address;
  return shards_[KeyHash{}(key) % shards_.size()]->check(key, now);
}

std::size_t IpBlocker::tracked() const {
  std::size_t n = 0;
  for (const auto& s : shards_) n += s->size();
  return n;
}

}  // namespace wirekit::guard
