#include <algorithm>
#include <cstring>
#include <tuple>

#include <wirekit/capture/flow.hpp>

#include "dissect_detail.hpp"

namespace wirekit::capture {

namespace {

constexpr std::uint8_t tcp_protocol = 6;
constexpr std::uint8_t udp_protocol = 17;
constexpr std::uint32_t sentinel = 0;

// TCP sequence numbers wrap: the signed distance from `from` to `to`.
std::int32_t seq_distance(std::uint32_t from, std::uint32_t to) noexcept {
  return static_cast<std::int32_t>(to - from);
}

bool counted(const Packet& p) noexcept {
  if (!p.src || p.fragment_offset != 0) return false;
  if (p.transport == Transport::tcp) return p.tcp.header_length != 0;
  return p.transport == Transport::udp && p.problem_layer != Layer::udp;
}

// tshark takes the session's version from the first message that states it: a ServerHello
// (with supported_versions for TLS 1.3), or any later record's version.
void learn_tls_version(Flow& flow, const Tls& tls) noexcept {
  if (tls.record_count == 0 || tls.sslv2) return;
  if (tls.content_type == Tls::handshake && tls.handshake_type == 2) {
    flow.tls_version = tls.hello_version;
  } else if (flow.tls_version == 0 && tls.content_type != Tls::change_cipher_spec &&
             !(tls.content_type == Tls::handshake && tls.handshake_type == 1)) {
    flow.tls_version = tls.record_version;
  }
}

// Data of an HTTP conversation that starts no message: "Continuation" — except client data
// that may be a request line still arriving, which tshark waits for (TCP): it begins with a
// printable character and has no line end yet.
void mark_http_continuation(Packet& p, bool may_be_request) noexcept {
  const std::uint8_t first = p.payload.empty() ? 0 : p.payload[0];
  const bool line_may_follow =
      may_be_request && first >= 0x20 && first < 0x7f &&
      std::find(p.payload.begin(), p.payload.end(), '\n') == p.payload.end();
  p.app = App::http;
  p.app_incomplete = line_may_follow;
  p.http = Http{};
  p.http.rest = line_may_follow ? Http::Rest::headers : Http::Rest::none;
  p.http.continuation = !line_may_follow;
}

}  // namespace

struct Flow::Direction {
  bool started = false;
  std::uint32_t next_seq = 0;  // the sequence number of the next in-order byte
  std::string buffer;          // in order, not yet consumed
  struct Segment {
    std::uint32_t seq;
    std::string data;
  };
  std::vector<Segment> pending;  // out of order, sorted by distance from next_seq
};

struct Flow::HttpWait {
  std::string start_line;  // the message's first line, kept for the segment that ends it
  Http::Rest rest = Http::Rest::none;
  std::uint64_t body_missing = 0;
  bool shown = false;  // the message showed already (cut by the snapshot length)
};

std::string_view to_string(FlowEnd end) noexcept {
  switch (end) {
    case FlowEnd::closed:
      return "closed";
    case FlowEnd::evicted:
      return "evicted";
    case FlowEnd::expired:
      return "expired";
    case FlowEnd::finished:
      return "finished";
  }
  return "finished";
}

std::uint32_t FlowTable::hash(const Key& k) noexcept {
  std::uint64_t words[4];
  std::memcpy(words, k.low_address.data(), 16);
  std::memcpy(words + 2, k.high_address.data(), 16);
  std::uint64_t h = (std::uint64_t{k.low_port} << 32) ^ (std::uint64_t{k.high_port} << 16) ^
                    (std::uint64_t{k.protocol} << 8) ^ k.family;
  for (std::uint64_t w : words) {
    h ^= w;
    h *= 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
  }
  return static_cast<std::uint32_t>(h ^ (h >> 32));
}

std::size_t FlowTable::find_bucket(const Key& key, std::uint32_t h) const noexcept {
  const std::size_t mask = buckets_.size() - 1;
  std::size_t i = h & mask;
  while (buckets_[i].slot != 0) {
    if (buckets_[i].hash == h && keys_[buckets_[i].slot] == key) return i;
    i = (i + 1) & mask;
  }
  return i;
}

std::size_t FlowTable::bucket_of(std::uint32_t slot) const noexcept {
  const std::size_t mask = buckets_.size() - 1;
  std::size_t i = slots_[slot].hash_ & mask;
  while (buckets_[i].slot != slot) i = (i + 1) & mask;
  return i;
}

// Backward-shift deletion keeps every probe run unbroken without tombstones.
void FlowTable::erase_bucket(std::size_t hole) noexcept {
  const std::size_t mask = buckets_.size() - 1;
  std::size_t next = hole;
  for (;;) {
    next = (next + 1) & mask;
    if (buckets_[next].slot == 0) break;
    const std::size_t home = buckets_[next].hash & mask;
    // Move the entry back into the hole unless its home lies cyclically in (hole, next].
    const bool stays = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next);
    if (!stays) {
      buckets_[hole] = buckets_[next];
      hole = next;
    }
  }
  buckets_[hole] = Bucket{};
}

void FlowTable::grow() {
  std::vector<Bucket> old = std::move(buckets_);
  buckets_.assign(std::max<std::size_t>(64, old.size() * 2), Bucket{});
  const std::size_t mask = buckets_.size() - 1;
  for (const Bucket& b : old) {
    if (b.slot == 0) continue;
    std::size_t i = b.hash & mask;
    while (buckets_[i].slot != 0) i = (i + 1) & mask;
    buckets_[i] = b;
  }
}

FlowTable::FlowTable(FlowLimits limits) : limits_(limits) {
  limits_.max_flows = std::max<std::size_t>(limits_.max_flows, 1);
  slots_.resize(1);  // the sentinel
  keys_.resize(1);
  buckets_.assign(64, Bucket{});
}

FlowTable::~FlowTable() = default;

FlowTable::Key FlowTable::key_of(const Packet& p) noexcept {
  Key k;
  const net::IpAddress& src = *p.src;
  const net::IpAddress& dst = *p.dst;
  const bool src_low = std::tie(src.bytes(), p.src_port) < std::tie(dst.bytes(), p.dst_port);
  k.low_address = (src_low ? src : dst).bytes();
  k.high_address = (src_low ? dst : src).bytes();
  k.low_port = src_low ? p.src_port : p.dst_port;
  k.high_port = src_low ? p.dst_port : p.src_port;
  k.protocol = p.transport == Transport::tcp ? tcp_protocol : udp_protocol;
  k.family = static_cast<std::uint8_t>(p.network);
  return k;
}

void FlowTable::unlink(std::uint32_t slot) noexcept {
  Flow& f = slots_[slot];
  slots_[f.older_].newer_ = f.newer_;
  slots_[f.newer_].older_ = f.older_;
}

// The sentinel's older_ is the newest flow, its newer_ the oldest.
void FlowTable::touch(std::uint32_t slot) noexcept {
  unlink(slot);
  Flow& f = slots_[slot];
  f.older_ = slots_[sentinel].older_;
  f.newer_ = sentinel;
  slots_[f.older_].newer_ = slot;
  slots_[sentinel].older_ = slot;
}

std::uint32_t FlowTable::allocate(const Packet& p, const Key& key, std::uint32_t h,
                                  std::size_t bucket) {
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
    keys_.emplace_back();
  }
  Flow& f = slots_[slot];
  f = Flow{};
  f.in_use_ = true;
  f.id = next_id_++;
  f.protocol = key.protocol;
  f.address = {*p.src, *p.dst};
  f.port = {p.src_port, p.dst_port};
  f.first_seen = f.last_seen = p.timestamp;
  // Linked in as the newest.
  f.older_ = slots_[sentinel].older_;
  f.newer_ = sentinel;
  slots_[f.older_].newer_ = slot;
  slots_[sentinel].older_ = slot;
  f.hash_ = h;
  keys_[slot] = key;
  buckets_[bucket] = {slot, h};
  ++live_;
  ++counters_.flows;
  return slot;
}

void FlowTable::end(std::uint32_t slot, FlowEnd why) {
  Flow& f = slots_[slot];
  switch (why) {
    case FlowEnd::closed:
      ++counters_.closed;
      break;
    case FlowEnd::evicted:
      ++counters_.evicted;
      break;
    case FlowEnd::expired:
      ++counters_.expired;
      break;
    case FlowEnd::finished:
      break;
  }
  if (on_end_) on_end_(f, why);
  unlink(slot);
  erase_bucket(bucket_of(slot));
  --live_;
  f = Flow{};
  free_.push_back(slot);
}

void FlowTable::expire(Timestamp now) {
  while (slots_[sentinel].newer_ != sentinel) {
    const std::uint32_t oldest = slots_[sentinel].newer_;
    if (now - slots_[oldest].last_seen <= limits_.idle_timeout) break;
    end(oldest, FlowEnd::expired);
  }
}

void FlowTable::deliver(Flow& flow, int direction) {
  Flow::Direction& d = *flow.stream_[static_cast<std::size_t>(direction)];
  if (!on_data_ || d.buffer.empty()) return;
  const std::size_t used = std::min(on_data_(flow, direction, d.buffer), d.buffer.size());
  d.buffer.erase(0, used);
}

void FlowTable::reassemble(Flow& flow, int direction, const Packet& p) {
  auto& stream = flow.stream_[static_cast<std::size_t>(direction)];
  if (!stream) stream = std::make_unique<Flow::Direction>();
  Flow::Direction& d = *stream;
  std::uint32_t seq = p.tcp.seq;
  if (p.tcp.flags & Tcp::syn) {
    d.started = true;
    d.next_seq = ++seq;  // SYN takes one sequence number
    d.buffer.clear();
    d.pending.clear();
  }
  if (p.payload.empty()) return;
  if (!d.started) {
    d.started = true;
    d.next_seq = seq;
  }
  const auto append = [&](std::string_view bytes) {
    const std::size_t room =
        limits_.max_buffered_bytes - std::min(limits_.max_buffered_bytes, d.buffer.size());
    const std::size_t taken = std::min(room, bytes.size());
    d.buffer.append(bytes.substr(0, taken));
    counters_.bytes_dropped += bytes.size() - taken;
    d.next_seq += static_cast<std::uint32_t>(bytes.size());
  };
  // Appends the part of (seq, bytes) past next_seq; false when it starts beyond a hole.
  const auto take = [&](std::uint32_t at, std::string_view bytes) {
    const std::int32_t ahead = seq_distance(d.next_seq, at);
    if (ahead > 0) return false;
    const auto behind = static_cast<std::size_t>(-static_cast<std::int64_t>(ahead));
    if (behind >= bytes.size()) {
      counters_.duplicate_bytes += bytes.size();
      return true;
    }
    counters_.duplicate_bytes += behind;
    append(bytes.substr(behind));
    return true;
  };
  const auto drain_pending = [&] {
    while (!d.pending.empty() && take(d.pending.front().seq, d.pending.front().data)) {
      d.pending.erase(d.pending.begin());
    }
  };
  const std::string_view data = detail::as_text(p.payload);
  if (!take(seq, data)) {
    if (d.pending.size() >= limits_.max_out_of_order) {
      // The hole is not going to fill: skip it, up to the earliest held segment.
      const std::uint32_t first = d.pending.front().seq;
      if (seq_distance(first, seq) < 0) {
        counters_.gap_bytes += static_cast<std::uint32_t>(seq_distance(d.next_seq, seq));
        d.next_seq = seq;
        take(seq, data);
        drain_pending();
        deliver(flow, direction);
        return;
      }
      counters_.gap_bytes += static_cast<std::uint32_t>(seq_distance(d.next_seq, first));
      d.next_seq = first;
      drain_pending();
    }
    if (!take(seq, data)) {
      if (d.pending.size() >= limits_.max_out_of_order) {
        ++counters_.segments_dropped;
      } else {
        const auto at = std::find_if(d.pending.begin(), d.pending.end(), [&](const auto& s) {
          return seq_distance(d.next_seq, s.seq) > seq_distance(d.next_seq, seq);
        });
        d.pending.insert(at, {seq, std::string(data)});
      }
    }
  }
  drain_pending();
  deliver(flow, direction);
}

void FlowTable::track_http(Flow& f, int direction, Packet& p) {
  auto& wait = f.http_[static_cast<std::size_t>(direction)];
  if (p.app == App::http && f.http_client_ < 0) {
    f.http_client_ = static_cast<std::int8_t>(p.http.request ? direction : 1 - direction);
  }
  if (p.app == App::http) {
    // A message start that does not end in this segment. Waiting for its end (tshark
    // reassembles), the table names the segment that ends it; a message the snapshot length
    // cut was shown at once, and the data after it is continuation. Cut headers of a message
    // that waits hide where it ends: that one is not followed.
    if (p.http.rest == Http::Rest::none ||
        (p.app_incomplete && p.http.rest == Http::Rest::headers)) {
      if (wait) wait->rest = Http::Rest::none;
      return;
    }
    if (!wait) wait = std::make_unique<Flow::HttpWait>();
    const std::string_view text = detail::as_text(p.payload);
    std::string_view line = text.substr(0, std::min<std::size_t>(text.find('\n'), 512));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    wait->start_line.assign(line);
    wait->rest = p.http.rest;
    wait->body_missing = p.http.body_missing;
    wait->shown = !p.app_incomplete;
    return;
  }
  if (!wait || wait->rest == Http::Rest::none) {
    if (p.app == App::none && !p.payload.empty() && direction == f.http_client_) {
      mark_http_continuation(p, true);
    }
    return;
  }
  if (p.app != App::none) {
    wait->rest = Http::Rest::none;  // something else started: the message was not followed
    return;
  }
  bool ends = false;
  switch (wait->rest) {
    case Http::Rest::body:
      if (p.payload_length == 0) return;
      ends = p.payload_length >= wait->body_missing;
      if (!ends) wait->body_missing -= p.payload_length;
      break;
    case Http::Rest::chunks:
      ends = detail::as_text(p.payload).ends_with("0\r\n\r\n");
      break;
    case Http::Rest::until_close:
      ends = (p.tcp.flags & Tcp::fin) != 0;
      break;
    case Http::Rest::headers:  // only when shown: everything after it is continuation
    case Http::Rest::none:
      break;
  }
  if (wait->shown) {
    if (ends) wait->rest = Http::Rest::none;
    if (p.payload_length > 0) mark_http_continuation(p, false);
    return;
  }
  if (!ends) return;
  wait->rest = Http::Rest::none;
  Http http;
  if (!detail::parse_http_start(http, wait->start_line)) return;
  http.reassembled = true;
  p.app = App::http;
  p.app_incomplete = false;
  p.http = http;
}

FlowRef FlowTable::observe(Packet& p) {
  if (!counted(p)) return {};
  if (limits_.idle_timeout.count() > 0 && p.timestamp >= next_expiry_check_) {
    expire(p.timestamp);
    next_expiry_check_ = p.timestamp + std::chrono::seconds(1);
  }
  const Key key = key_of(p);
  const std::uint32_t h = hash(key);
  std::size_t bucket = find_bucket(key, h);
  const bool tcp = key.protocol == tcp_protocol;
  if (buckets_[bucket].slot != 0 && tcp && slots_[buckets_[bucket].slot].closed() &&
      (p.tcp.flags & Tcp::syn) && !(p.tcp.flags & Tcp::ack_flag)) {
    end(buckets_[bucket].slot, FlowEnd::closed);  // the 5-tuple is reused by a new connection
    bucket = find_bucket(key, h);
  }
  std::uint32_t slot = buckets_[bucket].slot;
  if (slot != 0) {
    touch(slot);
  } else {
    if (live_ >= limits_.max_flows) end(slots_[sentinel].newer_, FlowEnd::evicted);
    if ((live_ + 1) * 2 > buckets_.size()) grow();
    slot = allocate(p, key, h, find_bucket(key, h));
  }
  Flow& f = slots_[slot];
  const int direction = (*p.src == f.address[0] && p.src_port == f.port[0]) ? 0 : 1;
  const auto dir = static_cast<std::size_t>(direction);
  ++f.packets[dir];
  f.bytes[dir] += p.original_length;
  f.last_seen = std::max(f.last_seen, p.timestamp);
  if (!tcp) return {&f, direction};

  if (p.tcp.flags & Tcp::fin) f.fin[dir] = true;
  if (p.tcp.flags & Tcp::rst) f.reset = true;
  if (f.app == App::tls && p.app == App::none && !p.payload.empty()) detail::dissect_tls(p);
  if (f.app == App::http || p.app == App::http) track_http(f, direction, p);
  if (f.app == App::none && p.app != App::none) f.app = p.app;
  if (p.app == App::tls) {
    learn_tls_version(f, p.tls);
    p.tls.session_version = f.tls_version;
  }
  if (limits_.reassemble && !(f.closed() && f.stream_[dir] == nullptr)) {
    reassemble(f, direction, p);
  }
  if (f.closed()) {
    // Nothing more will be delivered: free the buffers now, keep the counts until the flow
    // leaves the table.
    f.stream_ = {};
  }
  return {&f, direction};
}

void FlowTable::finish() {
  while (slots_[sentinel].newer_ != sentinel) {
    const std::uint32_t oldest = slots_[sentinel].newer_;
    end(oldest, slots_[oldest].closed() ? FlowEnd::closed : FlowEnd::finished);
  }
}

void FlowTable::for_each(const std::function<void(const Flow&)>& visit) const {
  for (std::uint32_t s = slots_[sentinel].older_; s != sentinel; s = slots_[s].older_) {
    visit(slots_[s]);
  }
}

}  // namespace wirekit::capture
