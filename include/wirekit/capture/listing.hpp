// One line of text per packet, as `wirekit sniff` and `wirekit pcap list` print them, appended
// to a caller's buffer without allocating (the info text reuses one scratch string).
//
//   summary    tshark's default line: number, time since the first packet, source → destination,
//              protocol, length, info
//                  "    1   0.000000     10.0.0.1 → 10.0.0.2     HTTP 103 GET / HTTP/1.1"
//   addresses  the tutorial's §14.2 pyshark program (Source IP, Destination IP, Protocol) on one
//              line, fields separated by tabs; "-" for an address the packet does not have
//              (no IP layer, or one cut short before its addresses)
//                  "Source IP: 10.0.0.1\tDestination IP: 10.0.0.2\tProtocol: HTTP"
//   json       one JSON object per line inside one array: number, time, src, dst (null when
//              absent, as above), protocol, transport (pyshark's transport_layer), length, info
#pragma once

#include <cstdint>
#include <string>

#include <wirekit/capture/packet.hpp>

namespace wirekit::capture {

class PacketListing {
 public:
  enum class Style { summary, addresses, json };

  explicit PacketListing(Style style) noexcept : style_(style) {}

  // The opening of the output ("[" for json; nothing otherwise).
  void begin(std::string& out) const;
  // The packet's line, numbered from 1 in the order given.
  void append(std::string& out, const Packet& packet);
  // The closing of the output ("]" for json).
  void end(std::string& out) const;

  std::uint64_t count() const noexcept { return number_; }

 private:
  void append_summary(std::string& out, const Packet& packet);
  void append_json(std::string& out, const Packet& packet);

  Style style_;
  std::uint64_t number_ = 0;
  Timestamp first_{};
  std::string info_;
};

// `text` as a JSON string literal, quotes included: escapes quotes, backslashes and control
// characters, and replaces bytes that are not valid UTF-8 with U+FFFD (packet data is arbitrary).
void append_json_string(std::string& out, std::string_view text);

}  // namespace wirekit::capture
