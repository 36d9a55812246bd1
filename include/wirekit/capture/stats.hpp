// Capture statistics in one pass: what `wirekit pcap stats` prints and its HTML report draws.
//
//   capture::StatsCollector stats;
//   capture::PcapFile file("trace.pcap");
//   capture::Frame frame;
//   capture::Packet packet;
//   while (file.next(frame)) {
//     capture::dissect_into(packet, frame.link_type, frame.timestamp, frame.bytes,
//                           frame.original_length);
//     stats.add(packet);
//   }
//   capture::CaptureStats result = stats.finish({.top = 10});
//   std::string text = capture::format_text(result);
//
// Counting is allocation-free per packet (open-addressing tables keyed on the packet's
// addresses); only a DNS name seen for the first time is copied. Conversations count what
// `tshark -q -z conv,tcp` / `conv,udp` count: frames and frame lengths each way, keyed on both
// addresses and ports, A being the source of the conversation's first frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include <wirekit/capture/packet.hpp>

namespace wirekit::capture {

struct ProtocolCount {
  std::string name;  // tshark's Protocol column: "TCP", "DNS", "TLSv1.2", ...
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
};

// An IP address and what it sent (tx) and received (rx), as `tshark -z endpoints,ip`.
struct Talker {
  net::IpAddress address;
  std::uint64_t tx_packets = 0, tx_bytes = 0, rx_packets = 0, rx_bytes = 0;
  std::uint64_t packets() const noexcept { return tx_packets + rx_packets; }
  std::uint64_t bytes() const noexcept { return tx_bytes + rx_bytes; }
};

// A TCP or UDP conversation: both addresses and ports; A sent the first frame seen.
struct Conversation {
  net::IpAddress a, b;
  std::uint16_t port_a = 0, port_b = 0;
  std::uint64_t frames_a_to_b = 0, bytes_a_to_b = 0;
  std::uint64_t frames_b_to_a = 0, bytes_b_to_a = 0;
  Timestamp first{}, last{};
  std::uint64_t frames() const noexcept { return frames_a_to_b + frames_b_to_a; }
  std::uint64_t bytes() const noexcept { return bytes_a_to_b + bytes_b_to_a; }
};

struct NameCount {
  std::string name;
  std::uint64_t count = 0;
};

// Packets and bytes over time in equal buckets from the first packet on.
struct Timeline {
  std::chrono::nanoseconds bucket{};
  std::vector<std::uint64_t> packets;
  std::vector<std::uint64_t> bytes;
};

struct CaptureStats {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;               // lengths on the wire
  std::uint64_t captured_bytes = 0;      // what the capture kept of them
  Timestamp first{}, last{};             // earliest and latest packet time
  std::uint64_t truncated = 0;           // packets whose frame ends inside a header (see Problem)
  std::uint64_t malformed = 0;           // packets with impossible values
  std::uint64_t unsupported = 0;         // frames of a link type the dissectors do not know
  std::vector<ProtocolCount> protocols;  // most packets first
  std::vector<Talker> top_by_bytes;      // at most `top` each
  std::vector<Talker> top_by_packets;
  std::size_t talker_count = 0;  // addresses seen in all
  // Most frames first, ties in the order first seen (tshark's order); at most `top` each
  // unless top is 0. The counts say how many there were in all.
  std::vector<Conversation> tcp, udp;
  std::size_t tcp_count = 0, udp_count = 0;
  std::vector<NameCount> dns_queries;  // names asked for (queries, not answers), most first
  std::size_t dns_name_count = 0;
  Timeline timeline;

  std::chrono::nanoseconds duration() const noexcept { return last - first; }
};

struct StatsOptions {
  std::size_t top = 10;  // entries kept of each ranking and conversation list; 0: all
};

class StatsCollector {
 public:
  StatsCollector();
  ~StatsCollector();
  StatsCollector(StatsCollector&&) noexcept;
  StatsCollector& operator=(StatsCollector&&) noexcept;

  void add(const Packet& packet);
  // Ranks and cuts what was counted. The collector is left empty.
  CaptureStats finish(const StatsOptions& options = {});

 private:
  struct State;
  std::unique_ptr<State> state_;
};

struct TextOptions {
  std::string source;  // the file, for the heading
  std::string filter;  // the BPF filter applied, for the "Filter:" lines (empty: none)
};

// The statistics as text tables: a summary, protocols, top talkers, then the TCP and UDP
// conversations in `tshark -q -z conv,tcp` / `conv,udp` layout, then the DNS names.
std::string format_text(const CaptureStats& stats, const TextOptions& options = {});
// The tshark conversation table alone ("TCP" or "UDP"), byte for byte as tshark 4.0 prints it.
void append_conversation_table(std::string& out, const char* protocol,
                               const std::vector<Conversation>& conversations,
                               Timestamp capture_start, const std::string& filter);

nlohmann::json to_json(const CaptureStats& stats);

}  // namespace wirekit::capture
