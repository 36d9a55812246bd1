#include <algorithm>
#include <array>
#include <bit>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <new>
#include <span>
#include <string_view>
#include <type_traits>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/mman.h>

#include <wirekit/capture/stats.hpp>

namespace wirekit::capture {

namespace {

std::uint64_t mix(std::uint64_t h) noexcept {
  h ^= h >> 31;
  h *= 0x9e3779b97f4a7c15ULL;
  h ^= h >> 29;
  return h;
}

// Large tables are asked to sit on transparent huge pages: conversation lookups land on random
// slots of arrays of many megabytes, and with 4 KiB pages each would also miss the TLB.
template <class T>
struct HugePageAllocator {
  using value_type = T;
  static constexpr std::size_t huge_page = 2 << 20;
  HugePageAllocator() = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    const std::size_t bytes = n * sizeof(T);
    if (bytes < huge_page) return std::allocator<T>{}.allocate(n);
    void* p = std::aligned_alloc(huge_page, (bytes + huge_page - 1) / huge_page * huge_page);
    if (p == nullptr) throw std::bad_alloc();
    ::madvise(p, bytes, MADV_HUGEPAGE);
    return static_cast<T*>(p);
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) < huge_page) {
      std::allocator<T>{}.deallocate(p, n);
    } else {
      std::free(p);
    }
  }
  friend bool operator==(const HugePageAllocator&, const HugePageAllocator&) = default;
};

// An open-addressing index over a vector of entries kept in insertion order, so rankings can
// break ties by first appearance. Each slot holds an entry's index and the high half of its
// hash: a probe reads the entry only when those match, and growing rehashes from the slots
// alone. With a million conversations a lookup then costs one cache miss in the slots and, if
// the conversation exists, one in its entry.
template <class Entry>
class FlatTable {
 public:
  FlatTable() : slots_(initial_slots, Slot{}) {}

  // The entry that `matches`, or a new one made by `make` (added at the end).
  template <class Matches, class Make>
  Entry& find_or_add(std::uint64_t hash, Matches matches, Make make) {
    const auto tag = static_cast<std::uint32_t>(hash >> 32);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = tag & mask;; i = (i + 1) & mask) {
      const Slot slot = slots_[i];
      if (slot.index == 0) {
        if (size_ % chunk_size == 0) chunks_.emplace_back(chunk_size);
        Entry& entry = chunks_.back()[size_ % chunk_size];
        entry = make();
        slots_[i] = Slot{static_cast<std::uint32_t>(++size_), tag};
        if (size_ * 2 > slots_.size()) grow();
        return entry;
      }
      if (slot.tag == tag) {
        Entry& entry = (*this)[slot.index - 1];
        if (matches(entry)) return entry;
      }
    }
  }

  // Entries in the order they were added.
  std::size_t size() const noexcept { return size_; }
  Entry& operator[](std::size_t i) noexcept { return chunks_[i / chunk_size][i % chunk_size]; }
  const Entry& operator[](std::size_t i) const noexcept {
    return chunks_[i / chunk_size][i % chunk_size];
  }

  // Hints for a lookup coming soon: the home slot of `hash`, then the entry it points to.
  void prefetch_slot(std::uint64_t hash) const noexcept {
    __builtin_prefetch(&slots_[static_cast<std::uint32_t>(hash >> 32) & (slots_.size() - 1)]);
  }
  void prefetch_entry(std::uint64_t hash) const noexcept {
    const auto tag = static_cast<std::uint32_t>(hash >> 32);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = tag & mask; slots_[i].index != 0; i = (i + 1) & mask) {
      if (slots_[i].tag == tag) {
        __builtin_prefetch(&(*this)[slots_[i].index - 1]);
        return;
      }
    }
  }

 private:
  struct Slot {
    std::uint32_t index = 0;  // entry + 1; 0: empty
    std::uint32_t tag = 0;    // the hash's high half; its low bits are the home slot
  };
  static constexpr std::size_t initial_slots = 1024;

  void grow() {
    Slots old(slots_.size() * 2, Slot{});
    old.swap(slots_);
    const std::size_t mask = slots_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.index == 0) continue;
      std::size_t i = slot.tag & mask;
      while (slots_[i].index != 0) i = (i + 1) & mask;
      slots_[i] = slot;
    }
  }

  // Entries live in fixed chunks rather than one vector: they never move, so growing never
  // copies (nor zeroes twice) tens of megabytes of conversations.
  static constexpr std::size_t chunk_size = 1 << 15;
  using Slots = std::vector<Slot, HugePageAllocator<Slot>>;
  Slots slots_;
  std::vector<std::vector<Entry, HugePageAllocator<Entry>>> chunks_;
  std::size_t size_ = 0;
};

std::uint64_t endpoint_hash(const net::IpAddress& address, std::uint16_t port) noexcept {
  return std::hash<net::IpAddress>{}(address) + mix(port + 0x5bd1e995ULL);
}

struct TransparentHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

// Packets and bytes per bucket. The capture's length is unknown until its end, so buckets
// start at a millisecond and double in width (merging pairs) whenever the capture outgrows
// max_buckets of them.
class TimelineBuilder {
 public:
  static constexpr std::size_t max_buckets = 600;

  void add(Timestamp time, Timestamp start, std::uint64_t bytes) {
    const std::chrono::nanoseconds offset = std::max(time - start, std::chrono::nanoseconds{});
    std::size_t index = static_cast<std::size_t>(offset / bucket_);
    while (index >= max_buckets) {
      coarsen();
      index = static_cast<std::size_t>(offset / bucket_);
    }
    if (index >= packets_.size()) {
      packets_.resize(index + 1, 0);
      bytes_.resize(index + 1, 0);
    }
    ++packets_[index];
    bytes_[index] += bytes;
  }

  Timeline finish() { return Timeline{bucket_, std::move(packets_), std::move(bytes_)}; }

 private:
  void coarsen() {
    bucket_ *= 2;
    for (std::size_t i = 0; i < packets_.size(); ++i) {
      if (i % 2 == 0) {
        packets_[i / 2] = packets_[i];
        bytes_[i / 2] = bytes_[i];
      } else {
        packets_[i / 2] += packets_[i];
        bytes_[i / 2] += bytes_[i];
      }
    }
    packets_.resize((packets_.size() + 1) / 2);
    bytes_.resize(packets_.size());
  }

  std::chrono::nanoseconds bucket_ = std::chrono::milliseconds(1);
  std::vector<std::uint64_t> packets_;
  std::vector<std::uint64_t> bytes_;
};

// ProtocolName is 16 bytes of inline text, zero-filled past its end: compared as two words
// instead of through memcmp, once per packet.
static_assert(sizeof(ProtocolName) == 16 && std::is_trivially_copyable_v<ProtocolName>);
bool same_name(const ProtocolName& x, const ProtocolName& y) noexcept {
  std::array<std::uint64_t, 2> a{}, b{};
  std::memcpy(a.data(), &x, 16);
  std::memcpy(b.data(), &y, 16);
  return a == b;
}

struct ProtocolSlot {
  ProtocolName name;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
};

// Keeps the `top` entries of `items` (all when top is 0), ranked by `key` descending, ties in
// their present order.
template <class T, class Key>
std::vector<T> ranked(std::vector<T> items, std::size_t top, Key key) {
  std::stable_sort(items.begin(), items.end(),
                   [&key](const T& x, const T& y) { return key(x) > key(y); });
  if (top != 0 && items.size() > top) items.resize(top);
  return items;
}

// Conversations by frames, descending, ties in first-seen order. Sorting packed (rank, index)
// keys instead of the 100-byte entries keeps this fast for captures with a million of them.
std::vector<Conversation> ranked_conversations(const FlatTable<Conversation>& entries,
                                               std::size_t top) {
  std::vector<std::uint64_t> keys(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::uint64_t frames = std::min<std::uint64_t>(entries[i].frames(), 0xffffffffULL);
    keys[i] = ((0xffffffffULL - frames) << 32) | i;
  }
  const std::size_t keep = top == 0 ? keys.size() : std::min(top, keys.size());
  std::partial_sort(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(keep), keys.end());
  std::vector<Conversation> out;
  out.reserve(keep);
  for (std::size_t i = 0; i < keep; ++i) out.push_back(entries[keys[i] & 0xffffffffULL]);
  return out;
}

}  // namespace

struct StatsCollector::State {
  CaptureStats stats;
  bool started = false;
  std::vector<ProtocolSlot> protocols;
  FlatTable<Talker> talkers;
  FlatTable<Conversation> tcp, udp;
  std::unordered_map<std::string, std::uint64_t, TransparentHash, std::equal_to<>> dns;
  TimelineBuilder timeline;

  void count_protocol(const Packet& packet) {
    const ProtocolName name = protocol_name(packet);
    for (ProtocolSlot& slot : protocols) {
      if (same_name(slot.name, name)) {
        ++slot.packets;
        slot.bytes += packet.original_length;
        return;
      }
    }
    protocols.push_back({name, 1, packet.original_length});
  }

  void count_talkers(const Packet& packet) {
    const std::uint64_t length = packet.original_length;
    Talker& source = talker(*packet.src);
    ++source.tx_packets;
    source.tx_bytes += length;
    Talker& destination = talker(*packet.dst);
    ++destination.rx_packets;
    destination.rx_bytes += length;
  }

  Talker& talker(const net::IpAddress& address) {
    return talkers.find_or_add(
        std::hash<net::IpAddress>{}(address), [&](const Talker& t) { return t.address == address; },
        [&] {
          Talker entry;
          entry.address = address;
          return entry;
        });
  }

  // A TCP or UDP packet waiting to be counted in its conversation. Conversations are looked up
  // `conversation_delay` packets after the packet came: meanwhile its slot, then its entry, are
  // prefetched, so that the lookup of a table of a million conversations does not wait for
  // memory each time.
  struct PendingPacket {
    FlatTable<Conversation>* table = nullptr;
    std::uint64_t hash = 0;
    net::IpAddress src, dst;
    std::uint16_t src_port = 0, dst_port = 0;
    std::uint32_t length = 0;
    Timestamp time{};
  };
  static constexpr std::size_t conversation_delay = 32;  // a power of two
  static constexpr std::size_t entry_prefetch_at = 24;   // packets after the slot
  std::array<PendingPacket, conversation_delay> pending;
  std::uint64_t pending_added = 0, pending_counted = 0;

  void queue_conversation(FlatTable<Conversation>& table, const Packet& packet) {
    if (pending_added - pending_counted == conversation_delay) count_oldest();
    PendingPacket& p = pending[pending_added++ % conversation_delay];
    // Symmetric in the two endpoints, so that both directions find the same entry.
    p = {&table,
         endpoint_hash(*packet.src, packet.src_port) + endpoint_hash(*packet.dst, packet.dst_port),
         *packet.src,
         *packet.dst,
         packet.src_port,
         packet.dst_port,
         packet.original_length,
         packet.timestamp};
    table.prefetch_slot(p.hash);
    if (pending_added - pending_counted > entry_prefetch_at) {
      const PendingPacket& halfway =
          pending[(pending_added - 1 - entry_prefetch_at) % conversation_delay];
      halfway.table->prefetch_entry(halfway.hash);
    }
  }

  void count_pending() {
    while (pending_counted != pending_added) count_oldest();
  }

  void count_oldest() {
    const PendingPacket& p = pending[pending_counted++ % conversation_delay];
    Conversation& c = p.table->find_or_add(
        p.hash,
        [&](const Conversation& x) {
          return (x.port_a == p.src_port && x.port_b == p.dst_port && x.a == p.src &&
                  x.b == p.dst) ||
                 (x.port_a == p.dst_port && x.port_b == p.src_port && x.a == p.dst && x.b == p.src);
        },
        [&] {
          Conversation entry;
          entry.a = p.src;
          entry.b = p.dst;
          entry.port_a = p.src_port;
          entry.port_b = p.dst_port;
          entry.first = p.time;
          entry.last = p.time;
          return entry;
        });
    if (c.port_a == p.src_port && c.a == p.src) {
      ++c.frames_a_to_b;
      c.bytes_a_to_b += p.length;
    } else {
      ++c.frames_b_to_a;
      c.bytes_b_to_a += p.length;
    }
    c.first = std::min(c.first, p.time);
    c.last = std::max(c.last, p.time);
  }

  void count_dns(const Packet& packet) {
    if (packet.app != App::dns || packet.dns.response() || packet.dns.query_type == 0) return;
    const std::string_view name = packet.dns.query_name.view();
    if (auto it = dns.find(name); it != dns.end()) {
      ++it->second;
    } else {
      dns.emplace(std::string(name), 1);
    }
  }
};

StatsCollector::StatsCollector() : state_(std::make_unique<State>()) {}
StatsCollector::~StatsCollector() = default;
StatsCollector::StatsCollector(StatsCollector&&) noexcept = default;
StatsCollector& StatsCollector::operator=(StatsCollector&&) noexcept = default;

void StatsCollector::add(const Packet& packet) {
  State& s = *state_;
  CaptureStats& stats = s.stats;
  if (!s.started) {
    s.started = true;
    stats.first = packet.timestamp;
    stats.last = packet.timestamp;
  }
  ++stats.packets;
  stats.bytes += packet.original_length;
  stats.captured_bytes += packet.frame.size();
  stats.last = std::max(stats.last, packet.timestamp);
  switch (packet.problem) {
    case Problem::truncated:
      ++stats.truncated;
      break;
    case Problem::malformed:
      ++stats.malformed;
      break;
    case Problem::unsupported:
      ++stats.unsupported;
      break;
    case Problem::none:
      break;
  }
  s.count_protocol(packet);
  s.timeline.add(packet.timestamp, stats.first, packet.original_length);
  // Not IP, or an IP header cut before its addresses: counted in the totals and protocols only.
  if (!packet.src) return;
  s.count_talkers(packet);
  if (packet.transport == Transport::tcp) {
    s.queue_conversation(s.tcp, packet);
  } else if (packet.transport == Transport::udp) {
    s.queue_conversation(s.udp, packet);
  }
  s.count_dns(packet);
}

CaptureStats StatsCollector::finish(const StatsOptions& options) {
  State& s = *state_;
  s.count_pending();
  CaptureStats stats = std::move(s.stats);
  std::vector<ProtocolCount> protocols;
  for (const ProtocolSlot& slot : s.protocols) {
    protocols.push_back({std::string(slot.name.view()), slot.packets, slot.bytes});
  }
  stats.protocols =
      ranked(std::move(protocols), 0, [](const ProtocolCount& p) { return p.packets; });

  std::vector<Talker> talkers;
  talkers.reserve(s.talkers.size());
  for (std::size_t i = 0; i < s.talkers.size(); ++i) talkers.push_back(s.talkers[i]);
  stats.talker_count = talkers.size();
  stats.top_by_bytes = ranked(talkers, options.top, [](const Talker& t) { return t.bytes(); });
  stats.top_by_packets =
      ranked(std::move(talkers), options.top, [](const Talker& t) { return t.packets(); });

  stats.tcp_count = s.tcp.size();
  stats.udp_count = s.udp.size();
  stats.tcp = ranked_conversations(s.tcp, options.top);
  stats.udp = ranked_conversations(s.udp, options.top);

  std::vector<NameCount> names;
  names.reserve(s.dns.size());
  for (auto& [name, count] : s.dns) names.push_back({name, count});
  std::sort(names.begin(), names.end(),
            [](const NameCount& x, const NameCount& y) { return x.name < y.name; });
  stats.dns_name_count = names.size();
  stats.dns_queries =
      ranked(std::move(names), options.top, [](const NameCount& n) { return n.count; });

  stats.timeline = s.timeline.finish();
  state_ = std::make_unique<State>();
  return stats;
}

// ---- text ---------------------------------------------------------------------------------

namespace {

using Buffer = fmt::memory_buffer;

std::string_view address_text(const net::IpAddress& address,
                              std::array<char, net::IpAddress::max_text>& out) {
  return {out.data(), address.format(out.data())};
}

// tshark's format_size(): whole units, switching to the next SI prefix from 10 of it.
void append_size(Buffer& out, std::uint64_t bytes) {
  static constexpr std::array<const char*, 4> units = {"kB", "MB", "GB", "TB"};
  if (bytes / 1000 < 10) {
    fmt::format_to(fmt::appender(out), "{} bytes", bytes);
    return;
  }
  std::uint64_t value = bytes / 1000;
  std::size_t unit = 0;
  while (unit + 1 < units.size() && value / 1000 >= 10) {
    value /= 1000;
    ++unit;
  }
  fmt::format_to(fmt::appender(out), "{} {}", value, units[unit]);
}

double seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

// "2023-11-14 22:13:20.000522 UTC" (text) or "2023-11-14T22:13:20.000522000Z" (JSON).
std::string utc_time(Timestamp t, bool iso) {
  const auto since_epoch = t.time_since_epoch();
  const auto secs = std::chrono::floor<std::chrono::seconds>(since_epoch);
  const auto nanos = (since_epoch - secs).count();
  const auto time = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&time, &tm);
  const std::string date =
      fmt::format("{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, iso ? 'T' : ' ', tm.tm_hour, tm.tm_min, tm.tm_sec);
  return iso ? fmt::format("{}.{:09}Z", date, nanos)
             : fmt::format("{}.{:06} UTC", date, nanos / 1000);
}

// Seconds as tshark's nstime_to_sec() computes them. Its conversation durations are the
// difference of two such values, and rounding that difference to 4 places can differ from
// rounding the exact one ("38.8521" for 38.85215 s): the table does the same arithmetic.
double tshark_seconds(std::chrono::nanoseconds d) {
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(d);
  return static_cast<double>(secs.count()) + static_cast<double>((d - secs).count()) / 1e9;
}

const char* rule =
    "================================================================================\n";

}  // namespace

void append_conversation_table(std::string& out, const char* protocol,
                               const std::vector<Conversation>& conversations,
                               Timestamp capture_start, const std::string& filter) {
  // Written field by field with explicit padding: with --top 0 this is a line per
  // conversation, and fmt's width handling (which counts code points) would dominate.
  Buffer b;
  const fmt::appender it(b);
  fmt::format_to(it, "{}{} Conversations\nFilter:{}\n", rule, protocol,
                 filter.empty() ? "<No Filter>" : filter);
  fmt::format_to(it,
                 "{:59}|       <-      | |       ->      | |     Total     |    Relative    |   "
                 "Duration   |\n",
                 "");
  fmt::format_to(it,
                 "{:59}| Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |  "
                 "            |\n",
                 "");
  std::array<char, net::IpAddress::max_text> text{};
  const auto pad_from = [&b](std::size_t start, std::size_t width) {
    for (std::size_t n = b.size() - start; n < width; ++n) b.push_back(' ');
  };
  const auto endpoint = [&](const net::IpAddress& address, std::uint16_t port) {
    const std::size_t start = b.size();
    b.append(address_text(address, text));
    b.push_back(':');
    b.append(std::string_view(fmt::format_int(port).c_str()));
    pad_from(start, 26);
  };
  for (const Conversation& c : conversations) {
    endpoint(c.a, c.port_a);
    b.append(std::string_view(" <-> "));
    endpoint(c.b, c.port_b);
    const std::array<std::pair<std::uint64_t, std::uint64_t>, 3> columns = {{
        {c.frames_b_to_a, c.bytes_b_to_a},
        {c.frames_a_to_b, c.bytes_a_to_b},
        {c.frames(), c.bytes()},
    }};
    for (const auto& [frames, bytes] : columns) {
      b.append(std::string_view("  "));
      const fmt::format_int count(frames);
      for (std::size_t n = count.size(); n < 6; ++n) b.push_back(' ');
      b.append(std::string_view(count.data(), count.size()));
      b.push_back(' ');
      const std::size_t start = b.size();
      append_size(b, bytes);
      pad_from(start, 9);
    }
    const double start = tshark_seconds(c.first - capture_start);
    fmt::format_to(it, "  {:14.9f}   {:12.4f}\n", start,
                   tshark_seconds(c.last - capture_start) - start);
  }
  b.append(std::string_view(rule));
  out.append(b.data(), b.size());
}

std::string format_text(const CaptureStats& stats, const TextOptions& options) {
  Buffer b;
  auto it = std::back_inserter(b);
  if (!options.source.empty()) fmt::format_to(it, "Capture:   {}\n", options.source);
  if (!options.filter.empty()) fmt::format_to(it, "Filter:    {}\n", options.filter);
  fmt::format_to(it, "Packets:   {}\nBytes:     {} ({} captured)\n", stats.packets, stats.bytes,
                 stats.captured_bytes);
  if (stats.packets != 0) {
    const double duration = seconds(stats.duration());
    fmt::format_to(it, "First:     {}\nLast:      {}\nDuration:  {:.6f} s\n",
                   utc_time(stats.first, false), utc_time(stats.last, false), duration);
    if (duration > 0) {
      fmt::format_to(it, "Average:   {:.1f} packets/s, {:.0f} bits/s\n",
                     static_cast<double>(stats.packets) / duration,
                     static_cast<double>(stats.bytes) * 8 / duration);
    }
  }
  fmt::format_to(it, "Problems:  {} truncated, {} malformed, {} of unknown link type\n",
                 stats.truncated, stats.malformed, stats.unsupported);

  fmt::format_to(it, "\nProtocols\n{:<16} {:>12} {:>8} {:>16}\n", "Protocol", "Packets", "Share",
                 "Bytes");
  for (const ProtocolCount& p : stats.protocols) {
    fmt::format_to(it, "{:<16} {:>12} {:>7.2f}% {:>16}\n", p.name, p.packets,
                   100.0 * static_cast<double>(p.packets) / static_cast<double>(stats.packets),
                   p.bytes);
  }

  std::array<char, net::IpAddress::max_text> text{};
  const auto talkers = [&](const char* title, const std::vector<Talker>& list) {
    fmt::format_to(it,
                   "\nTop talkers by {} ({} addresses)\n{:<40} {:>10} {:>14} {:>10} {:>14} {:>10} "
                   "{:>14}\n",
                   title, stats.talker_count, "Address", "Packets", "Bytes", "Tx Packets",
                   "Tx Bytes", "Rx Packets", "Rx Bytes");
    for (const Talker& t : list) {
      fmt::format_to(it, "{:<40} {:>10} {:>14} {:>10} {:>14} {:>10} {:>14}\n",
                     address_text(t.address, text), t.packets(), t.bytes(), t.tx_packets,
                     t.tx_bytes, t.rx_packets, t.rx_bytes);
    }
  };
  talkers("bytes", stats.top_by_bytes);
  talkers("packets", stats.top_by_packets);

  std::string out(b.data(), b.size());
  out += '\n';
  append_conversation_table(out, "TCP", stats.tcp, stats.first, options.filter);
  if (stats.tcp.size() < stats.tcp_count) {
    out += fmt::format("({} of {} TCP conversations; --top 0 lists all)\n", stats.tcp.size(),
                       stats.tcp_count);
  }
  append_conversation_table(out, "UDP", stats.udp, stats.first, options.filter);
  if (stats.udp.size() < stats.udp_count) {
    out += fmt::format("({} of {} UDP conversations; --top 0 lists all)\n", stats.udp.size(),
                       stats.udp_count);
  }
  out += fmt::format("\nDNS names queried ({} names)\n{:>10}  {}\n", stats.dns_name_count,
                     "Queries", "Name");
  for (const NameCount& n : stats.dns_queries) out += fmt::format("{:>10}  {}\n", n.count, n.name);
  return out;
}

// ---- JSON ---------------------------------------------------------------------------------

namespace {

nlohmann::json talker_json(const Talker& t) {
  return {{"address", t.address.to_string()},
          {"packets", t.packets()},
          {"bytes", t.bytes()},
          {"tx_packets", t.tx_packets},
          {"tx_bytes", t.tx_bytes},
          {"rx_packets", t.rx_packets},
          {"rx_bytes", t.rx_bytes}};
}

nlohmann::json conversations_json(const std::vector<Conversation>& list, std::size_t count,
                                  Timestamp start) {
  nlohmann::json items = nlohmann::json::array();
  for (const Conversation& c : list) {
    items.push_back({{"a", c.a.to_string()},
                     {"port_a", c.port_a},
                     {"b", c.b.to_string()},
                     {"port_b", c.port_b},
                     {"frames_a_to_b", c.frames_a_to_b},
                     {"bytes_a_to_b", c.bytes_a_to_b},
                     {"frames_b_to_a", c.frames_b_to_a},
                     {"bytes_b_to_a", c.bytes_b_to_a},
                     {"frames", c.frames()},
                     {"bytes", c.bytes()},
                     {"relative_start", seconds(c.first - start)},
                     {"duration", seconds(c.last - c.first)}});
  }
  return {{"count", count}, {"conversations", std::move(items)}};
}

}  // namespace

nlohmann::json to_json(const CaptureStats& stats) {
  nlohmann::json out = {{"packets", stats.packets},
                        {"bytes", stats.bytes},
                        {"captured_bytes", stats.captured_bytes},
                        {"truncated", stats.truncated},
                        {"malformed", stats.malformed},
                        {"unsupported", stats.unsupported}};
  if (stats.packets != 0) {
    out["first"] = utc_time(stats.first, true);
    out["last"] = utc_time(stats.last, true);
    out["duration"] = seconds(stats.duration());
  }
  nlohmann::json protocols = nlohmann::json::array();
  for (const ProtocolCount& p : stats.protocols) {
    protocols.push_back({{"name", p.name}, {"packets", p.packets}, {"bytes", p.bytes}});
  }
  out["protocols"] = std::move(protocols);
  nlohmann::json by_bytes = nlohmann::json::array(), by_packets = nlohmann::json::array();
  for (const Talker& t : stats.top_by_bytes) by_bytes.push_back(talker_json(t));
  for (const Talker& t : stats.top_by_packets) by_packets.push_back(talker_json(t));
  out["talkers"] = {
      {"count", stats.talker_count}, {"by_bytes", by_bytes}, {"by_packets", by_packets}};
  out["tcp_conversations"] = conversations_json(stats.tcp, stats.tcp_count, stats.first);
  out["udp_conversations"] = conversations_json(stats.udp, stats.udp_count, stats.first);
  nlohmann::json names = nlohmann::json::array();
  for (const NameCount& n : stats.dns_queries) {
    names.push_back({{"name", n.name}, {"count", n.count}});
  }
  out["dns_queries"] = {{"count", stats.dns_name_count}, {"names", std::move(names)}};
  out["timeline"] = {{"bucket_seconds", seconds(stats.timeline.bucket)},
                     {"packets", stats.timeline.packets},
                     {"bytes", stats.timeline.bytes}};
  return out;
}

}  // namespace wirekit::capture
