// Builders of hand-made frames for the dissector, flow and credential tests: each returns the
// bytes of one header with its payload, so a frame reads as eth(ipv4(tcp(...))).
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include <wirekit/capture/packet.hpp>

namespace wirekit::capture::test {

using Bytes = std::vector<std::uint8_t>;
using Ip4 = std::array<std::uint8_t, 4>;
using Ip6 = std::array<std::uint8_t, 16>;

inline Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
inline Bytes be16(unsigned v) {
  return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}
inline Bytes be32(std::uint32_t v) {
  return be16(v >> 16) + be16(v & 0xffff);
}
inline Bytes text(std::string_view s) {
  return Bytes(s.begin(), s.end());
}
inline Bytes zeros(std::size_t n) {
  return Bytes(n, 0);
}

constexpr Ip4 client4 = {192, 168, 1, 10};
constexpr Ip4 server4 = {10, 0, 0, 1};
constexpr Ip6 client6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
constexpr Ip6 server6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};

inline Bytes eth(unsigned ether_type, const Bytes& payload) {
  return Bytes{0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02} + be16(ether_type) + payload;
}
// One VLAN tag (TPID, TCI) in front of the next EtherType.
inline Bytes vlan_tag(unsigned tpid, unsigned id) {
  return be16(tpid) + be16(id);
}

struct Ip4Options {
  Ip4 src = client4;
  Ip4 dst = server4;
  unsigned fragment = 0x4000;  // flags and offset field: DF
  std::uint8_t ttl = 64;
  Bytes options = {};  // a multiple of 4 bytes
  unsigned id = 0x1234;
};
inline Bytes ipv4(std::uint8_t protocol, const Bytes& payload, const Ip4Options& o = {}) {
  const auto header_length = 20 + o.options.size();
  Bytes h = Bytes{static_cast<std::uint8_t>(0x40 | header_length / 4), 0} +
            be16(static_cast<unsigned>(header_length + payload.size())) + be16(o.id) +
            be16(o.fragment) + Bytes{o.ttl, protocol, 0, 0};
  h.insert(h.end(), o.src.begin(), o.src.end());
  h.insert(h.end(), o.dst.begin(), o.dst.end());
  return h + o.options + payload;
}

inline Bytes ipv6(std::uint8_t next, const Bytes& payload, Ip6 src = client6, Ip6 dst = server6) {
  Bytes h = Bytes{0x60, 0, 0, 0} + be16(static_cast<unsigned>(payload.size())) + Bytes{next, 64};
  h.insert(h.end(), src.begin(), src.end());
  h.insert(h.end(), dst.begin(), dst.end());
  return h + payload;
}
// An IPv6 extension header of 8 bytes (hop-by-hop, routing, destination options: padding).
inline Bytes ipv6_option_header(std::uint8_t next, const Bytes& rest) {
  return Bytes{next, 0, 1, 4, 0, 0, 0, 0} + rest;
}
inline Bytes ipv6_fragment(std::uint8_t next, unsigned offset, bool more, const Bytes& rest) {
  return Bytes{next, 0} + be16(offset | (more ? 1u : 0u)) + be32(0xabcd) + rest;
}

namespace tcp_flags {
constexpr unsigned fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10;
}
inline Bytes tcp(unsigned src_port, unsigned dst_port, std::uint32_t seq, unsigned flags,
                 const Bytes& payload = {}, const Bytes& options = {}, std::uint32_t ack = 0) {
  const auto offset = static_cast<std::uint8_t>((20 + options.size()) / 4 << 4);
  return be16(src_port) + be16(dst_port) + be32(seq) + be32(ack) +
         Bytes{offset, static_cast<std::uint8_t>(flags)} + be16(65535) + be16(0) + be16(0) +
         options + payload;
}
inline Bytes udp(unsigned src_port, unsigned dst_port, const Bytes& payload) {
  return be16(src_port) + be16(dst_port) + be16(static_cast<unsigned>(8 + payload.size())) +
         be16(0) + payload;
}
inline Bytes icmp_echo(std::uint8_t type, unsigned id, unsigned seq, const Bytes& data = {}) {
  return Bytes{type, 0, 0, 0} + be16(id) + be16(seq) + data;
}

// A DNS name in wire form ("host.example.net" → 4host7example3net0).
inline Bytes dns_name(std::string_view name) {
  Bytes out;
  while (!name.empty()) {
    const auto dot = name.find('.');
    const auto label = name.substr(0, dot);
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out = out + text(label);
    name = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  }
  out.push_back(0);
  return out;
}
inline Bytes dns_query(unsigned id, std::string_view name, unsigned type = 1) {
  return be16(id) + be16(0x0100) + be16(1) + be16(0) + be16(0) + be16(0) + dns_name(name) +
         be16(type) + be16(1);
}

// Ethernet frames are padded to 60 bytes, as pcapgen.py and real NICs do.
inline Bytes padded(Bytes frame) {
  if (frame.size() < 60) frame.resize(60, 0);
  return frame;
}

// A Packet views its frame's bytes: the frame is kept here for the rest of the test program,
// so that a test may dissect a temporary and still read the packet afterwards (info(), names).
// `original_length` is the frame's length on the wire (default: all of it was captured).
inline Packet dissect_bytes(Bytes frame, LinkType link = LinkType::ethernet,
                            std::size_t original_length = 0) {
  static std::deque<Bytes> kept;
  const Bytes& stored = kept.emplace_back(std::move(frame));
  const std::size_t on_wire = original_length != 0 ? original_length : stored.size();
  return dissect(link, Timestamp{}, stored, static_cast<std::uint32_t>(on_wire));
}

}  // namespace wirekit::capture::test
