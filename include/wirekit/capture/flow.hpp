// The flow table: TCP and UDP conversations keyed by their 5-tuple (both directions are one
// flow), with per-direction totals for statistics and, when asked for, per-direction in-order
// reassembly of TCP payload for scanners — all bounded in memory.
//
//   capture::FlowTable flows({.reassemble = true});
//   flows.on_data([](const Flow& f, int dir, std::string_view bytes) { ...; return used; });
//   flows.on_end([](const Flow& f, FlowEnd why) { totals.add(f); });
//   for (each frame) { Packet p = dissect(...); flows.observe(p); }
//   flows.finish();  // ends the flows still open: on_end sees every flow exactly once
//
// Bounds: at most max_flows flows (the least recently seen is evicted), idle flows expire,
// each direction buffers at most max_buffered_bytes of in-order data not yet consumed and at
// most max_out_of_order segments; what does not fit is dropped and counted in counters().
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <wirekit/capture/packet.hpp>

namespace wirekit::capture {

// The defaults suit a live capture that runs for long. tshark keeps every conversation of a
// file: to see what it sees (conversation totals, names that depend on earlier packets), read a
// file with max_flows above its number of conversations and idle_timeout zero — pcapgen's
// 1,000,000-packet capture has 645,231 conversations and then agrees with tshark packet for
// packet, in about 40 MB of flows.
struct FlowLimits {
  std::size_t max_flows = 100'000;
  // Flows silent this long (in capture time) are ended. Zero: never.
  std::chrono::nanoseconds idle_timeout = std::chrono::minutes(5);
  // Keep TCP payload and hand it to on_data in order. Off, the table only counts.
  bool reassemble = false;
  std::size_t max_buffered_bytes = 64 * 1024;  // per direction, in order, not yet consumed
  std::size_t max_out_of_order = 32;           // segments held per direction awaiting a hole
};

// Why a flow left the table.
enum class FlowEnd : std::uint8_t {
  closed,    // TCP: FIN both ways or RST, then a new SYN on the same 5-tuple, or finish()
  evicted,   // the table was full and this flow was the least recently seen
  expired,   // idle longer than idle_timeout
  finished,  // still open when finish() was called
};
std::string_view to_string(FlowEnd end) noexcept;

struct FlowCounters {
  std::uint64_t flows = 0;    // flows created
  std::uint64_t evicted = 0;  // ended by the max_flows bound
  std::uint64_t expired = 0;  // ended by idle_timeout
  std::uint64_t closed = 0;   // ended after FIN/RST
  // Reassembly (only with reassemble on):
  std::uint64_t bytes_dropped = 0;     // in-order bytes refused: the direction's buffer was full
  std::uint64_t segments_dropped = 0;  // out-of-order segments refused: too many held
  std::uint64_t gap_bytes = 0;         // bytes never seen, skipped to move past a hole
  std::uint64_t duplicate_bytes = 0;   // retransmitted bytes already delivered
};

class FlowTable;

// One conversation. Endpoint 0 sent the first packet seen; direction 0 is 0 → 1.
struct Flow {
  std::uint64_t id = 0;       // 0, 1, 2... in order of creation (like tshark's stream index)
  std::uint8_t protocol = 0;  // 6 TCP, 17 UDP
  std::array<net::IpAddress, 2> address;
  std::array<std::uint16_t, 2> port{};
  std::array<std::uint64_t, 2> packets{};  // per direction
  std::array<std::uint64_t, 2> bytes{};    // per direction, frame lengths on the wire
  Timestamp first_seen{}, last_seen{};
  // TCP
  std::array<bool, 2> fin{};  // FIN seen in each direction
  bool reset = false;         // RST seen
  bool closed() const noexcept { return reset || (fin[0] && fin[1]); }
  // The application protocol the conversation was recognised as (tshark keeps the dissector
  // that first recognised a conversation), and TLS's negotiated version once a ServerHello
  // said it (0 before).
  App app = App::none;
  std::uint16_t tls_version = 0;

 private:
  friend class FlowTable;
  struct Direction;
  struct HttpWait;
  std::array<std::unique_ptr<Direction>, 2> stream_;  // reassembly state, only when asked for
  std::array<std::unique_ptr<HttpWait>, 2> http_;     // an HTTP message still under way
  std::uint32_t older_ = 0, newer_ = 0;               // LRU links (slot indices)
  std::uint32_t hash_ = 0;                            // low half of the 5-tuple's hash
  std::int8_t http_client_ = -1;                      // the direction HTTP requests go
  bool in_use_ = false;
};

// Which flow a packet belonged to and which way it went. Valid until the table's next
// observe() or finish() (flows move when the table grows).
struct FlowRef {
  Flow* flow = nullptr;  // null for packets that are not TCP/UDP over IP (or are fragments)
  int direction = 0;
  explicit operator bool() const noexcept { return flow != nullptr; }
};

class FlowTable {
 public:
  // Called with in-order payload of a direction: everything buffered and not yet consumed.
  // Returns how many bytes it consumed (from the front); the rest is offered again, with more,
  // next time. Bytes never consumed accumulate up to max_buffered_bytes, then new ones drop.
  using DataHandler = std::function<std::size_t(const Flow&, int direction, std::string_view)>;
  using EndHandler = std::function<void(const Flow&, FlowEnd)>;

  explicit FlowTable(FlowLimits limits = {});
  ~FlowTable();
  FlowTable(const FlowTable&) = delete;
  FlowTable& operator=(const FlowTable&) = delete;

  void on_data(DataHandler handler) { on_data_ = std::move(handler); }
  void on_end(EndHandler handler) { on_end_ = std::move(handler); }

  // Accounts the packet to its flow (creating it), expires idle flows, reassembles. Also
  // completes what only the conversation knows, as tshark does: a TLS record on a conversation
  // recognised as TLS earlier is dissected as TLS, p.tls.session_version is set from the
  // conversation's ServerHello, and the segment that ends an HTTP message begun in an earlier
  // segment (its body announced by Content-Length, chunked, or running to FIN) becomes
  // App::http with Http::reassembled set.
  FlowRef observe(Packet& p);

  // Ends every flow (on_end with FlowEnd::finished, or closed for closed ones); the table is
  // empty afterwards.
  void finish();

  std::size_t size() const noexcept { return live_; }
  const FlowCounters& counters() const noexcept { return counters_; }
  const FlowLimits& limits() const noexcept { return limits_; }

  // Visits the flows in the table, most recently seen first.
  void for_each(const std::function<void(const Flow&)>& visit) const;

 private:
  struct Key {
    std::array<std::uint8_t, 16> low_address, high_address;
    std::uint16_t low_port, high_port;
    std::uint8_t protocol, family;
    friend bool operator==(const Key&, const Key&) = default;
  };
  static Key key_of(const Packet& p) noexcept;
  static std::uint32_t hash(const Key& key) noexcept;
  // The bucket holding `key`, or the empty bucket where it would go.
  std::size_t find_bucket(const Key& key, std::uint32_t hash) const noexcept;
  std::size_t bucket_of(std::uint32_t slot) const noexcept;
  void erase_bucket(std::size_t bucket) noexcept;
  void grow();
  std::uint32_t allocate(const Packet& p, const Key& key, std::uint32_t hash, std::size_t bucket);
  void end(std::uint32_t slot, FlowEnd why);
  void touch(std::uint32_t slot) noexcept;
  void unlink(std::uint32_t slot) noexcept;
  void expire(Timestamp now);
  void reassemble(Flow& flow, int direction, const Packet& p);
  void deliver(Flow& flow, int direction);
  static void track_http(Flow& flow, int direction, Packet& p);

  FlowLimits limits_;
  FlowCounters counters_;
  DataHandler on_data_;
  EndHandler on_end_;
  // Flows live in slots (slot 0 is the LRU list's sentinel); an open-addressing hash table
  // (linear probing, backward-shift deletion) maps 5-tuples to slots.
  std::vector<Flow> slots_;
  std::vector<Key> keys_;  // per slot
  std::vector<std::uint32_t> free_;
  // A bucket holds a slot (0: empty) and the low half of its hash, so probing compares hashes
  // without visiting the flows. Size a power of two, at most half full.
  struct Bucket {
    std::uint32_t slot = 0;
    std::uint32_t hash = 0;
  };
  std::vector<Bucket> buckets_;
  std::size_t live_ = 0;
  std::uint64_t next_id_ = 0;
  Timestamp next_expiry_check_{};
};

}  // namespace wirekit::capture
