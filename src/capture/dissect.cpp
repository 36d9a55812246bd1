// Link, network and transport layers. Every read is preceded by a length check against the
// bytes that remain; a header that does not fit marks the packet and stops the dissection.
#include <cstring>
#include <new>
#include <type_traits>

#include "dissect_detail.hpp"

namespace wirekit::capture {

using detail::Bytes;
using detail::load16;
using detail::load32;
using detail::set_problem;

namespace {

constexpr std::uint16_t ethertype_ipv4 = 0x0800;
constexpr std::uint16_t ethertype_arp = 0x0806;
constexpr std::uint16_t ethertype_ipv6 = 0x86dd;
constexpr std::uint16_t ethertype_vlan = 0x8100;      // 802.1Q
constexpr std::uint16_t ethertype_qinq = 0x88a8;      // 802.1ad service tag
constexpr std::uint16_t ethertype_qinq_old = 0x9100;  // pre-standard QinQ

// A frame that ends early was either cut by the snapshot length (truncated) or is shorter than
// its own headers say (malformed); tshark tells the two apart the same way.
Problem shortage(const Packet& p) noexcept {
  return p.frame.size() < p.original_length ? Problem::truncated : Problem::malformed;
}

void copy_mac(MacAddress& mac, const std::uint8_t* p) noexcept {
  std::memcpy(mac.bytes.data(), p, 6);
}

void dissect_tcp(Packet& p, Bytes seg) noexcept {
  p.transport = Transport::tcp;
  if (seg.size() >= 4) {
    p.src_port = load16(seg.data());
    p.dst_port = load16(seg.data() + 2);
  }
  if (seg.size() < 20) return set_problem(p, shortage(p), Layer::tcp);
  p.tcp.seq = load32(seg.data() + 4);
  p.tcp.ack = load32(seg.data() + 8);
  p.tcp.header_length = static_cast<std::uint8_t>((seg[12] >> 4) * 4);
  p.tcp.flags = static_cast<std::uint16_t>(((seg[12] & 1) << 8) | seg[13]);
  p.tcp.window = load16(seg.data() + 14);
  if (p.tcp.header_length < 20) return set_problem(p, Problem::malformed, Layer::tcp);
  if (seg.size() < p.tcp.header_length) return set_problem(p, shortage(p), Layer::tcp);
  p.payload = seg.subspan(p.tcp.header_length);
  p.payload_length = static_cast<std::uint32_t>(p.payload.size());
  if (!p.fragment && p.ip_payload_length > p.tcp.header_length) {
    p.payload_length = std::max(p.payload_length, p.ip_payload_length - p.tcp.header_length);
  }
  if (!p.fragment) detail::dissect_application(p);
}

void dissect_udp(Packet& p, Bytes seg) noexcept {
  p.transport = Transport::udp;
  if (seg.size() >= 4) {
    p.src_port = load16(seg.data());
    p.dst_port = load16(seg.data() + 2);
  }
  if (seg.size() < 8) return set_problem(p, shortage(p), Layer::udp);
  const std::uint16_t length = load16(seg.data() + 4);
  if (length < 8 || (!p.fragment && length > p.ip_payload_length)) {
    // tshark: "Bad length value" — the datagram is not dissected further.
    return set_problem(p, Problem::malformed, Layer::udp);
  }
  // A snapped datagram's application is dissected as far as it was captured, as tshark does.
  p.payload = seg.subspan(8, std::min<std::size_t>(length - 8u, seg.size() - 8));
  p.payload_length = length - 8u;
  if (!p.fragment) detail::dissect_application(p);
}

void dissect_icmp(Packet& p, Bytes seg, Transport kind) noexcept {
  p.transport = kind;
  const Layer layer = kind == Transport::icmp ? Layer::icmp : Layer::icmpv6;
  if (seg.size() < 4) return set_problem(p, shortage(p), layer);
  p.icmp.type = seg[0];
  p.icmp.code = seg[1];
  const bool echo = kind == Transport::icmp ? (p.icmp.type == 0 || p.icmp.type == 8)
                                            : (p.icmp.type == 128 || p.icmp.type == 129);
  if (seg.size() < 8) {
    if (echo) set_problem(p, shortage(p), layer);
    p.payload = seg.subspan(seg.size());
    return;
  }
  if (echo) {
    p.icmp.id = load16(seg.data() + 4);
    p.icmp.sequence = load16(seg.data() + 6);
  }
  p.payload = seg.subspan(8);
}

void dissect_transport(Packet& p, Bytes seg) noexcept {
  if (p.fragment_offset != 0) return;  // the transport header is in the first fragment
  switch (p.ip_protocol) {
    case 6:
      return dissect_tcp(p, seg);
    case 17:
      return dissect_udp(p, seg);
    case 1:
      if (p.network == Network::ipv4) return dissect_icmp(p, seg, Transport::icmp);
      break;
    case 58:
      if (p.network == Network::ipv6) return dissect_icmp(p, seg, Transport::icmpv6);
      break;
    default:
      break;
  }
  p.transport = Transport::other;
  p.payload = seg;
}

// The datagram after the IP headers. A frame shorter than its IP length says is malformed
// unless the snapshot length cut it; a snapped one is dissected as far as it goes — except when
// not one byte of the transport was captured: tshark then stops at the IP layer.
void dissect_ip_body(Packet& p, Bytes body, Layer ip_layer) noexcept {
  if (body.size() < p.ip_payload_length) {
    if (shortage(p) == Problem::malformed) {
      set_problem(p, Problem::malformed, ip_layer);
    } else if (body.empty()) {
      return set_problem(p, Problem::truncated, ip_layer);
    }
  }
  dissect_transport(p, body);
}

void dissect_ipv4(Packet& p, Bytes data) noexcept {
  p.network = Network::ipv4;
  if (data.size() < 20) return set_problem(p, shortage(p), Layer::ipv4);
  const std::uint8_t header_length = static_cast<std::uint8_t>((data[0] & 0x0f) * 4);
  if ((data[0] >> 4) != 4 || header_length < 20) {
    return set_problem(p, Problem::malformed, Layer::ipv4);
  }
  const std::uint16_t total_length = load16(data.data() + 2);
  p.ip_header_length = header_length;
  p.ip_id = load16(data.data() + 4);
  const std::uint16_t fragment_field = load16(data.data() + 6);
  p.more_fragments = (fragment_field & 0x2000) != 0;
  p.fragment_offset = static_cast<std::uint16_t>((fragment_field & 0x1fff) * 8);
  p.fragment = p.more_fragments || p.fragment_offset != 0;
  p.ttl = data[8];
  p.ip_protocol = data[9];
  p.src = net::IpAddress::from_v4_bytes(data.data() + 12);
  p.dst = net::IpAddress::from_v4_bytes(data.data() + 16);
  if (total_length < header_length) return set_problem(p, Problem::malformed, Layer::ipv4);
  if (data.size() < header_length) return set_problem(p, shortage(p), Layer::ipv4);
  p.ip_payload_length = total_length - header_length;
  // Ethernet pads short frames: the IP length, not the frame, says where the datagram ends.
  Bytes body = data.subspan(header_length);
  if (body.size() > p.ip_payload_length) body = body.first(p.ip_payload_length);
  dissect_ip_body(p, body, Layer::ipv4);
}

bool is_ipv6_extension(std::uint8_t next) noexcept {
  return next == 0 || next == 43 || next == 44 || next == 51 || next == 60;
}

void dissect_ipv6(Packet& p, Bytes data) noexcept {
  p.network = Network::ipv6;
  if (data.size() < 40) return set_problem(p, shortage(p), Layer::ipv6);
  if ((data[0] >> 4) != 6) return set_problem(p, Problem::malformed, Layer::ipv6);
  p.ip_header_length = 40;
  p.ttl = data[7];
  p.src = net::IpAddress::from_v6_bytes(data.data() + 8);
  p.dst = net::IpAddress::from_v6_bytes(data.data() + 24);
  std::uint32_t payload_length = load16(data.data() + 4);
  std::uint8_t next = data[6];
  Bytes body = data.subspan(40);
  if (payload_length == 0 && next == 0) payload_length = static_cast<std::uint32_t>(body.size());
  if (body.size() > payload_length) body = body.first(payload_length);
  const bool short_body = body.size() < payload_length;

  // Extension headers; each is at least 8 bytes, so the loop ends with the frame.
  while (is_ipv6_extension(next)) {
    if (body.size() < 8) {
      p.ip_protocol = next;
      return set_problem(p, short_body ? shortage(p) : Problem::malformed, Layer::ipv6);
    }
    std::size_t length = 0;
    if (next == 44) {
      length = 8;
      const std::uint16_t field = load16(body.data() + 2);
      p.fragment_offset = static_cast<std::uint16_t>(field & 0xfff8);
      p.more_fragments = (field & 1) != 0;
      // An "atomic fragment" (offset 0, no more) is a whole datagram.
      p.fragment = p.more_fragments || p.fragment_offset != 0;
      p.ip_id = static_cast<std::uint16_t>(load32(body.data() + 4));
    } else if (next == 51) {
      length = (std::size_t{body[1]} + 2) * 4;  // AH counts 4-byte units
    } else {
      length = (std::size_t{body[1]} + 1) * 8;
    }
    if (body.size() < length) {
      p.ip_protocol = next;
      return set_problem(p, short_body ? shortage(p) : Problem::malformed, Layer::ipv6);
    }
    ++p.ipv6_extension_count;
    p.ip_header_length = static_cast<std::uint8_t>(
        std::min<std::size_t>(255, std::size_t{p.ip_header_length} + length));
    next = body[0];
    body = body.subspan(length);
  }
  p.ip_protocol = next;
  p.ip_payload_length = static_cast<std::uint32_t>(body.size());
  if (short_body) {
    p.ip_payload_length += payload_length - static_cast<std::uint32_t>(data.size() - 40);
  }
  if (next == 59) return;  // no next header
  dissect_ip_body(p, body, Layer::ipv6);
}

void dissect_arp(Packet& p, Bytes data) noexcept {
  p.network = Network::arp;
  if (data.size() < 8) return set_problem(p, shortage(p), Layer::arp);
  const std::uint16_t hardware = load16(data.data());
  const std::uint16_t protocol = load16(data.data() + 2);
  const std::uint8_t hardware_length = data[4];
  const std::uint8_t protocol_length = data[5];
  p.arp.operation = load16(data.data() + 6);
  const std::size_t needed = 8 + 2 * (std::size_t{hardware_length} + protocol_length);
  if (data.size() < needed) return set_problem(p, shortage(p), Layer::arp);
  if (hardware == 1 && protocol == ethertype_ipv4 && hardware_length == 6 && protocol_length == 4) {
    copy_mac(p.arp.sender_mac, data.data() + 8);
    p.arp.sender_ip = net::IpAddress::from_v4_bytes(data.data() + 14);
    copy_mac(p.arp.target_mac, data.data() + 18);
    p.arp.target_ip = net::IpAddress::from_v4_bytes(data.data() + 24);
  }
}

void dissect_network(Packet& p, std::uint16_t ether_type, Bytes data) noexcept {
  p.ether_type = ether_type;
  switch (ether_type) {
    case ethertype_ipv4:
      return dissect_ipv4(p, data);
    case ethertype_ipv6:
      return dissect_ipv6(p, data);
    case ethertype_arp:
      return dissect_arp(p, data);
    default:
      p.network = Network::other;
  }
}

// After the link header: VLAN tags (any depth), then the network layer.
void dissect_ether_type(Packet& p, std::uint16_t ether_type, Bytes data) noexcept {
  while (ether_type == ethertype_vlan || ether_type == ethertype_qinq ||
         ether_type == ethertype_qinq_old) {
    if (data.size() < 4) {
      p.ether_type = ether_type;
      return set_problem(p, shortage(p), Layer::link);
    }
    if (p.vlan_count < Packet::max_vlan_tags) {
      p.vlan_ids[p.vlan_count] = load16(data.data()) & 0x0fff;
    }
    if (p.vlan_count < 255) ++p.vlan_count;
    ether_type = load16(data.data() + 2);
    data = data.subspan(4);
  }
  // Values up to 1500 are an 802.3 length: LLC follows, no EtherType. (SLL's small protocol
  // values — 802.3 without a type, 802.2 LLC, CAN — land here too.)
  if (ether_type <= 1500) {
    p.ether_type = ether_type;
    p.network = Network::other;
    return;
  }
  dissect_network(p, ether_type, data);
}

void dissect_ethernet(Packet& p, Bytes data) noexcept {
  if (data.size() < 14) return set_problem(p, shortage(p), Layer::link);
  p.has_mac = true;
  copy_mac(p.link_dst, data.data());
  copy_mac(p.link_src, data.data() + 6);
  dissect_ether_type(p, load16(data.data() + 12), data.subspan(14));
}

void dissect_sll(Packet& p, Bytes data) noexcept {
  if (data.size() < 16) return set_problem(p, shortage(p), Layer::link);
  p.sll_packet_type = load16(data.data());
  const std::uint16_t address_length = load16(data.data() + 4);
  if (address_length == 6) {
    p.has_mac = true;
    copy_mac(p.link_src, data.data() + 6);
  }
  dissect_ether_type(p, load16(data.data() + 14), data.subspan(16));
}

void dissect_sll2(Packet& p, Bytes data) noexcept {
  if (data.size() < 20) return set_problem(p, shortage(p), Layer::link);
  p.sll_packet_type = data[10];
  if (data[11] == 6) {
    p.has_mac = true;
    copy_mac(p.link_src, data.data() + 12);
  }
  dissect_ether_type(p, load16(data.data()), data.subspan(20));
}

// Raw IP: the version nibble says which.
void dissect_raw(Packet& p, Bytes data) noexcept {
  if (data.empty()) return set_problem(p, shortage(p), Layer::link);
  switch (data[0] >> 4) {
    case 4:
      return dissect_network(p, ethertype_ipv4, data);
    case 6:
      return dissect_network(p, ethertype_ipv6, data);
    default:
      return set_problem(p, Problem::malformed, Layer::link);
  }
}

// BSD loopback: a 4-byte address family. AF_INET is 2 everywhere; AF_INET6 differs between
// systems (Linux 10, the BSDs 24, 28 or 30).
void dissect_loopback(Packet& p, Bytes data, bool network_order) noexcept {
  if (data.size() < 4) return set_problem(p, shortage(p), Layer::link);
  std::uint32_t family = network_order
                             ? load32(data.data())
                             : (std::uint32_t{data[3]} << 24) | (std::uint32_t{data[2]} << 16) |
                                   (std::uint32_t{data[1]} << 8) | data[0];
  // A capture written on a host of the other byte order: the family sits in the high half.
  if (!network_order && (family & 0xffff) == 0) family >>= 24;
  Bytes rest = data.subspan(4);
  switch (family) {
    case 2:
      return dissect_network(p, ethertype_ipv4, rest);
    case 10:
    case 24:
    case 28:
    case 30:
      return dissect_network(p, ethertype_ipv6, rest);
    default:
      p.network = Network::other;
  }
}

}  // namespace

void dissect_into(Packet& p, LinkType link_type, Timestamp timestamp, Bytes frame,
                  std::uint32_t original_length) noexcept {
  // Default-initialised in place: every field gets its default, and the DNS name's text
  // buffer (a quarter of the struct) is left alone rather than zeroed.
  static_assert(std::is_trivially_destructible_v<Packet>);
  new (&p) Packet;
  p.link_type = link_type;
  p.timestamp = timestamp;
  p.frame = frame;
  p.original_length = std::max<std::uint32_t>(
      original_length,
      static_cast<std::uint32_t>(std::min<std::size_t>(frame.size(), 0xffffffffu)));
  switch (link_type) {
    case LinkType::ethernet:
      return dissect_ethernet(p, frame);
    case LinkType::linux_sll:
      return dissect_sll(p, frame);
    case LinkType::linux_sll2:
      return dissect_sll2(p, frame);
    case LinkType::raw:
    case LinkType::raw_dlt12:
    case LinkType::raw_dlt14:
      return dissect_raw(p, frame);
    case LinkType::ipv4:
      return dissect_network(p, ethertype_ipv4, frame);
    case LinkType::ipv6:
      return dissect_network(p, ethertype_ipv6, frame);
    case LinkType::null:
      return dissect_loopback(p, frame, false);
    case LinkType::loop:
      return dissect_loopback(p, frame, true);
  }
  set_problem(p, Problem::unsupported, Layer::link);
}

Packet dissect(LinkType link_type, Timestamp timestamp, Bytes frame,
               std::uint32_t original_length) noexcept {
  Packet p;
  dissect_into(p, link_type, timestamp, frame, original_length);
  return p;
}

std::string MacAddress::to_string() const {
  static constexpr char hex[] = "0123456789abcdef";
  std::string s(17, ':');
  for (std::size_t i = 0; i < 6; ++i) {
    s[i * 3] = hex[bytes[i] >> 4];
    s[i * 3 + 1] = hex[bytes[i] & 0xf];
  }
  return s;
}

}  // namespace wirekit::capture
