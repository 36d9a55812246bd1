// The Protocol and Info columns, as tshark 4.0 writes them for a packet seen on its own.
#include <algorithm>
#include <cstdio>
#include <optional>

#include "dissect_detail.hpp"

namespace wirekit::capture {

using detail::as_text;
using detail::Bytes;
using detail::load16;
using detail::load32;

namespace {

std::string_view link_name(LinkType link) noexcept {
  switch (link) {
    case LinkType::ethernet:
      return "Ethernet";
    case LinkType::linux_sll:
      return "SLL";
    case LinkType::linux_sll2:
      return "SLL2";
    case LinkType::null:
    case LinkType::loop:
      return "NULL";
    case LinkType::raw:
    case LinkType::raw_dlt12:
    case LinkType::raw_dlt14:
    case LinkType::ipv4:
    case LinkType::ipv6:
      return "Raw";
  }
  return "Frame";
}

std::string_view ether_type_name(std::uint16_t type) noexcept {
  switch (type) {
    case 0x8035:
      return "RARP";
    case 0x8847:
    case 0x8848:
      return "MPLS";
    case 0x8863:
      return "PPPoED";
    case 0x8864:
      return "PPPoES";
    case 0x888e:
      return "EAPOL";
    case 0x88cc:
      return "LLDP";
    case 0x88f7:
      return "PTPv2";
    case 0x9000:
      return "LOOP";
    default:
      return {};
  }
}

// IGMP's name carries its version, which the message type and length tell.
std::string_view igmp_name(const Packet& p) noexcept {
  if (p.payload.empty()) return "IGMP";
  switch (p.payload[0]) {
    case 0x11:
      if (p.payload.size() >= 12) return "IGMPv3";
      return p.payload.size() >= 2 && p.payload[1] == 0 ? "IGMPv1" : "IGMPv2";
    case 0x12:
      return "IGMPv1";
    case 0x16:
    case 0x17:
      return "IGMPv2";
    case 0x22:
      return "IGMPv3";
    default:
      return "IGMP";
  }
}

std::string_view other_transport_name(const Packet& p) noexcept {
  switch (p.ip_protocol) {
    case 2:
      return igmp_name(p);
    case 47:
      return "GRE";
    case 50:
      return "ESP";
    case 51:
      return "AH";
    case 89:
      return "OSPF";
    case 103:
      return "PIMv2";
    case 112:
      return "VRRP";
    case 132:
      return "SCTP";
    default:
      return p.network == Network::ipv4 ? "IPv4" : "IPv6";
  }
}

std::string_view tls_version_name(std::uint16_t version) noexcept {
  switch (version) {
    case 0x0002:
      return "SSLv2";
    case 0x0300:
      return "SSLv3";
    case 0x0301:
      return "TLSv1";
    case 0x0302:
      return "TLSv1.1";
    case 0x0303:
      return "TLSv1.2";
    case 0x0304:
      return "TLSv1.3";
    default:
      return "SSL";
  }
}

std::string_view tls_name(const Tls& tls) noexcept {
  if (tls.session_version != 0) return tls_version_name(tls.session_version);
  if (tls.record_count == 0 && !tls.sslv2) return "SSL";  // continuation data
  // A ServerHello choosing TLS 1.3 fixes the session's version, and tshark names it so.
  if (tls.handshake_type == 2 && tls.hello_version == 0x0304) return "TLSv1.3";
  return tls_version_name(tls.record_version);
}

std::string_view app_name(const Packet& p) noexcept {
  switch (p.app) {
    case App::dns:
      switch (p.dns.flavor) {
        case Dns::Flavor::mdns:
          return "MDNS";
        case Dns::Flavor::llmnr:
          return "LLMNR";
        case Dns::Flavor::dns:
          return "DNS";
      }
      return "DNS";
    case App::http:
      return "HTTP";
    case App::tls:
      return tls_name(p.tls);
    case App::pop:
      return "POP";
    case App::imap:
      return "IMAP";
    case App::smtp:
      return "SMTP";
    case App::ftp:
      return "FTP";
    case App::ssh:
      return "SSH";
    case App::telnet:
      return "TELNET";
    case App::none:
      break;
  }
  return {};
}

void append_hex16(std::string& out, std::uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", v);
  out += buf;
}

void append_number(std::string& out, std::uint64_t v) {
  out += std::to_string(v);
}

void append_address(std::string& out, const net::IpAddress& a) {
  char text[net::IpAddress::max_text];
  out.append(text, a.format(text));
}

// Nothing for an address the packet does not have (ARP of other protocols than IPv4).
void append_address(std::string& out, const std::optional<net::IpAddress>& a) {
  if (a) append_address(out, *a);
}

// A payload's first line, as tshark prints text.
void append_line(std::string& out, Bytes payload) {
  const std::string_view text = as_text(payload);
  std::string_view line = text.substr(0, text.find('\n'));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  detail::append_escaped(out, line);
}

void append_tcp_options(std::string& out, Bytes options) {
  std::size_t i = 0;
  while (i < options.size()) {
    const std::uint8_t kind = options[i];
    if (kind == 0) break;
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= options.size()) break;
    const std::size_t length = options[i + 1];
    if (length < 2 || i + length > options.size()) break;
    const Bytes value = options.subspan(i + 2, length - 2);
    if (kind == 2 && value.size() == 2) {
      out += " MSS=";
      append_number(out, load16(value.data()));
    } else if (kind == 3 && value.size() == 1) {
      out += " WS=";
      append_number(out, std::uint64_t{1} << std::min<unsigned>(value[0], 14));
    } else if (kind == 4) {
      out += " SACK_PERM";
    } else if (kind == 8 && value.size() == 8) {
      out += " TSval=";
      append_number(out, load32(value.data()));
      out += " TSecr=";
      append_number(out, load32(value.data() + 4));
    }
    i += length;
  }
}

void append_tcp(std::string& out, const Packet& p) {
  append_number(out, p.src_port);
  out += " → ";
  append_number(out, p.dst_port);
  if (p.problem_layer == Layer::tcp && p.tcp.header_length == 0) return;
  static constexpr std::array<std::string_view, 9> names = {"FIN", "SYN", "RST", "PSH", "ACK",
                                                            "URG", "ECE", "CWR", "AE"};
  out += " [";
  bool first = true;
  for (std::size_t bit = 0; bit < names.size(); ++bit) {
    if ((p.tcp.flags & (1u << bit)) == 0) continue;
    if (!first) out += ", ";
    out += names[bit];
    first = false;
  }
  if (first) out += "<None>";
  out += "] Seq=";
  append_number(out, p.tcp.seq);
  if (p.tcp.flags & Tcp::ack_flag) {
    out += " Ack=";
    append_number(out, p.tcp.ack);
  }
  out += " Win=";
  append_number(out, p.tcp.window);
  out += " Len=";
  append_number(out, p.payload_length);
  // The payload span starts right after the header once the header was read whole.
  if (p.tcp.header_length > 20 && p.payload.data() != nullptr) {
    const auto* header = p.payload.data() - p.tcp.header_length;
    append_tcp_options(out, Bytes(header + 20, p.tcp.header_length - 20u));
  }
}

std::string_view icmp_unreachable(std::uint8_t code) noexcept {
  switch (code) {
    case 0:
      return "Network unreachable";
    case 1:
      return "Host unreachable";
    case 2:
      return "Protocol unreachable";
    case 3:
      return "Port unreachable";
    case 4:
      return "Fragmentation needed";
    case 13:
      return "Communication administratively filtered";
    default:
      return {};
  }
}

void append_icmp(std::string& out, const Packet& p) {
  const Icmp& icmp = p.icmp;
  switch (icmp.type) {
    case 0:
    case 8: {
      char buf[96];
      std::snprintf(
          buf, sizeof buf, "%-20s id=0x%04x, seq=%u/%u, ttl=%u",
          icmp.type == 8 ? "Echo (ping) request" : "Echo (ping) reply", icmp.id, icmp.sequence,
          static_cast<unsigned>(((icmp.sequence & 0xff) << 8) | (icmp.sequence >> 8)), p.ttl);
      out += buf;
      return;
    }
    case 3: {
      out += "Destination unreachable";
      const std::string_view why = icmp_unreachable(icmp.code);
      if (!why.empty()) (out += " (") += why, out += ')';
      return;
    }
    case 5:
      out += "Redirect";
      return;
    case 11:
      out += icmp.code == 0 ? "Time-to-live exceeded (Time to live exceeded in transit)"
                            : "Time-to-live exceeded (Fragment reassembly time exceeded)";
      return;
    case 13:
      out += "Timestamp request";
      return;
    case 14:
      out += "Timestamp reply";
      return;
    default:
      out += "Unknown ICMP (obsolete or malformed?)";
  }
}

void append_icmpv6(std::string& out, const Packet& p) {
  const Icmp& icmp = p.icmp;
  switch (icmp.type) {
    case 128:
    case 129:
      out += icmp.type == 128 ? "Echo (ping) request id=" : "Echo (ping) reply id=";
      append_hex16(out, icmp.id);
      out += ", seq=";
      append_number(out, icmp.sequence);
      out += ", hop limit=";
      append_number(out, p.ttl);
      return;
    case 1:
      out += "Destination Unreachable";
      return;
    case 2:
      out += "Packet Too Big";
      return;
    case 3:
      out += "Time Exceeded";
      return;
    case 133:
      out += "Router Solicitation";
      return;
    case 134:
      out += "Router Advertisement";
      return;
    case 135:
    case 136: {
      out += icmp.type == 135 ? "Neighbor Solicitation" : "Neighbor Advertisement";
      if (p.payload.size() >= 16) {
        out += icmp.type == 135 ? " for " : " ";
        append_address(out, net::IpAddress::from_v6_bytes(p.payload.data()));
      }
      return;
    }
    case 143:
      out += "Multicast Listener Report Message v2";
      return;
    default:
      out += "Unknown ICMPv6 type";
  }
}

void append_arp(std::string& out, const Packet& p) {
  const Arp& arp = p.arp;
  if (arp.operation == 1) {
    out += "Who has ";
    append_address(out, arp.target_ip);
    out += "? Tell ";
    append_address(out, arp.sender_ip);
  } else if (arp.operation == 2) {
    append_address(out, arp.sender_ip);
    out += " is at ";
    out += arp.sender_mac.to_string();
  } else {
    out += "Unknown ARP opcode 0x";
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04x", arp.operation);
    out += buf;
  }
}

std::string_view dns_opcode_name(std::uint8_t opcode) noexcept {
  switch (opcode) {
    case 0:
      return "Standard query";
    case 1:
      return "Inverse query";
    case 2:
      return "Server status request";
    case 4:
      return "Zone change notification";
    case 5:
      return "Dynamic update";
    default:
      return "Unknown operation";
  }
}

std::string_view dns_rcode_name(std::uint8_t rcode) noexcept {
  switch (rcode) {
    case 1:
      return "Format error";
    case 2:
      return "Server failure";
    case 3:
      return "No such name";
    case 4:
      return "Not implemented";
    case 5:
      return "Refused";
    default:
      return {};
  }
}

void append_dns(std::string& out, const Dns& dns) {
  out += dns_opcode_name(dns.opcode());
  if (dns.response()) out += " response";
  out += ' ';
  append_hex16(out, dns.id);
  if (dns.response()) {
    const std::string_view rcode = dns_rcode_name(dns.rcode());
    if (!rcode.empty()) (out += ' ') += rcode;
  }
  const DnsRecords records = dns_records(dns.message);
  for (const DnsRecord& r : records.records) {
    if (r.section != DnsRecord::Section::question && r.section != DnsRecord::Section::answer) {
      break;
    }
    (out += ' ') += dns_type_name(r.type);
    if (r.section == DnsRecord::Section::question) {
      (out += ' ') += r.name;
    } else if (!r.data_text.empty()) {
      (out += ' ') += r.data_text;
    }
  }
}

std::string_view handshake_name(std::uint8_t type) noexcept {
  switch (type) {
    case 0:
      return "Hello Request";
    case 1:
      return "Client Hello";
    case 2:
      return "Server Hello";
    case 4:
      return "New Session Ticket";
    case 8:
      return "Encrypted Extensions";
    case 11:
      return "Certificate";
    case 12:
      return "Server Key Exchange";
    case 13:
      return "Certificate Request";
    case 14:
      return "Server Hello Done";
    case 15:
      return "Certificate Verify";
    case 16:
      return "Client Key Exchange";
    case 20:
      return "Finished";
    default:
      return {};
  }
}

// The handshake messages of one record; a record whose content does not parse as messages is
// encrypted (after ChangeCipherSpec).
void append_handshake(std::string& out, Bytes record, bool& first) {
  std::size_t pos = 0;
  const auto sep = [&] {
    if (!first) out += ", ";
    first = false;
  };
  while (pos + 4 <= record.size()) {
    const std::size_t length = detail::load24(record.data() + pos + 1);
    const std::string_view name = handshake_name(record[pos]);
    if (name.empty() || pos + 4 + length > record.size()) break;
    sep();
    out += name;
    pos += 4 + length;
  }
  if (pos != record.size()) {
    sep();
    out += "Encrypted Handshake Message";
  }
}

void append_tls(std::string& out, const Packet& p) {
  const Bytes d = p.payload;
  if (p.tls.sslv2) {
    out += p.tls.handshake_type == 1 ? "Client Hello" : "Encrypted Data";
    return;
  }
  if (p.tls.record_count == 0) {
    out += "Continuation Data";
    return;
  }
  bool first = true;
  std::size_t pos = 0;
  // The records counted, as far as they were captured.
  for (std::uint16_t i = 0; i < p.tls.record_count && pos + 5 <= d.size(); ++i) {
    const std::size_t length = load16(d.data() + pos + 3);
    const Bytes record = d.subspan(pos + 5, std::min(length, d.size() - pos - 5));
    switch (d[pos]) {
      case Tls::handshake:
        append_handshake(out, record, first);
        break;
      case Tls::change_cipher_spec:
        out += first ? "" : ", ";
        out += "Change Cipher Spec";
        first = false;
        break;
      case Tls::alert:
        out += first ? "" : ", ";
        out += record.size() == 2 ? "Alert" : "Encrypted Alert";
        first = false;
        break;
      case Tls::application_data:
        out += first ? "" : ", ";
        out += "Application Data";
        first = false;
        break;
      default:
        out += first ? "" : ", ";
        out += "Heartbeat";
        first = false;
    }
    pos += 5 + length;
  }
}

void append_ssh(std::string& out, const Packet& p) {
  const bool client = p.dst_port == 22;
  out += client ? "Client: " : "Server: ";
  if (as_text(p.payload).starts_with("SSH-")) {
    out += "Protocol (";
    append_line(out, p.payload);
    out += ')';
  } else {
    out += "Encrypted packet (len=";
    append_number(out, p.payload_length);
    out += ')';
  }
}

// "C: USER carol" / "Request: A1 LOGIN ..." — the text protocols name the client's and the
// server's lines differently.
void append_text_line(std::string& out, const Packet& p, std::uint16_t port,
                      std::string_view client, std::string_view server) {
  out += p.dst_port == port ? client : server;
  append_line(out, p.payload);
}

void append_app(std::string& out, const Packet& p) {
  switch (p.app) {
    case App::dns:
      return append_dns(out, p.dns);
    case App::http:
      if (p.http.continuation) {
        out += "Continuation";
        return;
      }
      if (p.http.request) {
        ((out += p.http.method) += ' ') += p.http.target;
        (out += ' ') += p.http.version;
      } else {
        (out += p.http.version) += ' ';
        append_number(out, p.http.status);
        if (!p.http.reason.empty()) (out += ' ') += p.http.reason;
      }
      out += ' ';
      return;
    case App::tls:
      return append_tls(out, p);
    case App::pop:
      return append_text_line(out, p, 110, "C: ", "S: ");
    case App::imap:
      return append_text_line(out, p, 143, "Request: ", "Response: ");
    case App::smtp:
      return append_text_line(out, p, p.dst_port == 587 ? 587 : 25, "C: ", "S: ");
    case App::ftp:
      return append_text_line(out, p, 21, "Request: ", "Response: ");
    case App::ssh:
      return append_ssh(out, p);
    case App::telnet:
      out += "Telnet Data ...";
      return;
    case App::none:
      return;
  }
}

// "UDP " in "Fragmented IP protocol (proto=UDP 17, ...)".
const char* ip_protocol_prefix(std::uint8_t protocol) noexcept {
  switch (protocol) {
    case 1:
      return "ICMP ";
    case 2:
      return "IGMP ";
    case 6:
      return "TCP ";
    case 17:
      return "UDP ";
    case 47:
      return "GRE ";
    case 50:
      return "ESP ";
    case 58:
      return "ICMPv6 ";
    case 132:
      return "SCTP ";
    default:
      return "";
  }
}

void append_igmp(std::string& out, Bytes igmp) {
  if (igmp.size() < 8) return;
  const net::IpAddress group = net::IpAddress::from_v4_bytes(igmp.data() + 4);
  switch (igmp[0]) {
    case 0x11:
      out += "Membership Query, ";
      if (load32(igmp.data() + 4) == 0) {
        out += "general";
      } else {
        out += "specific for group ";
        append_address(out, group);
      }
      return;
    case 0x12:
    case 0x16:
      out += "Membership Report group ";
      break;
    case 0x17:
      out += "Leave Group ";
      break;
    case 0x22:
      out += "Membership Report / Join group";
      return;
    default:
      return;
  }
  append_address(out, group);
}

bool app_shown(const Packet& p) noexcept {
  return p.app != App::none && !p.app_incomplete &&
         !(p.problem != Problem::none &&
           (p.problem_layer == Layer::tcp || p.problem_layer == Layer::udp));
}

bool ip_fragment_shown(const Packet& p) noexcept {
  return p.is_ip() && p.fragment;
}

}  // namespace

void detail::append_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f) {
      out += c;
      continue;
    }
    switch (c) {
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\%03o", b);
        out += buf;
      }
    }
  }
}

ProtocolName::ProtocolName(std::string_view text) noexcept
    : size_(static_cast<std::uint8_t>(std::min(text.size(), text_.size()))) {
  std::copy_n(text.begin(), size_, text_.begin());
}

ProtocolName protocol_name(const Packet& p) noexcept {
  switch (p.network) {
    case Network::none:
      return ProtocolName(link_name(p.link_type));
    case Network::arp:
      return ProtocolName("ARP");
    case Network::other: {
      if (p.ether_type <= 1500) return ProtocolName("LLC");
      const std::string_view known = ether_type_name(p.ether_type);
      if (!known.empty()) return ProtocolName(known);
      static constexpr char hex[] = "0123456789abcdef";
      const char text[6] = {'0',
                            'x',
                            hex[p.ether_type >> 12],
                            hex[(p.ether_type >> 8) & 0xf],
                            hex[(p.ether_type >> 4) & 0xf],
                            hex[p.ether_type & 0xf]};
      return ProtocolName(std::string_view(text, 6));
    }
    case Network::ipv4:
    case Network::ipv6:
      break;
  }
  const std::string_view ip = p.network == Network::ipv4 ? "IPv4" : "IPv6";
  if (ip_fragment_shown(p)) return ProtocolName(ip);
  switch (p.transport) {
    case Transport::none:
      return ProtocolName(ip);
    case Transport::other:
      return ProtocolName(other_transport_name(p));
    case Transport::icmp:
      return ProtocolName("ICMP");
    case Transport::icmpv6:
      return ProtocolName("ICMPv6");
    case Transport::tcp:
    case Transport::udp:
      break;
  }
  if (app_shown(p)) return ProtocolName(app_name(p));
  return ProtocolName(p.transport == Transport::tcp ? "TCP" : "UDP");
}

std::string_view transport_name(const Packet& p) noexcept {
  switch (p.transport) {
    case Transport::tcp:
      return "TCP";
    case Transport::udp:
      return "UDP";
    default:
      return {};
  }
}

void append_info(const Packet& p, std::string& out) {
  switch (p.network) {
    case Network::none:
      break;
    case Network::arp:
      append_arp(out, p);
      break;
    case Network::other:
      break;
    case Network::ipv4:
    case Network::ipv6:
      if (ip_fragment_shown(p)) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "Fragmented IP protocol (proto=%s%u, off=%u, ID=%04x)",
                      ip_protocol_prefix(p.ip_protocol), p.ip_protocol, p.fragment_offset, p.ip_id);
        out += buf;
        break;
      }
      switch (p.transport) {
        case Transport::none:
          break;  // a network-layer problem, or IPv6's "no next header"
        case Transport::other:
          if (p.ip_protocol == 2) {
            append_igmp(out, p.payload);
          } else if (other_transport_name(p) == "IPv4" || other_transport_name(p) == "IPv6") {
            char buf[32];
            std::snprintf(buf, sizeof buf, "Unknown (%u)", p.ip_protocol);
            out += buf;
          }
          break;
        case Transport::icmp:
          append_icmp(out, p);
          break;
        case Transport::icmpv6:
          append_icmpv6(out, p);
          break;
        case Transport::tcp:
          if (app_shown(p)) {
            append_app(out, p);
          } else {
            append_tcp(out, p);
            if (p.app_incomplete) out += " [TCP segment of a reassembled PDU]";
          }
          break;
        case Transport::udp:
          if (app_shown(p)) {
            append_app(out, p);
          } else {
            append_number(out, p.src_port);
            out += " → ";
            append_number(out, p.dst_port);
            out += " Len=";
            append_number(out, p.payload_length);
          }
          break;
      }
  }
  if (p.problem == Problem::truncated) out += "[Packet size limited during capture]";
  if (p.problem == Problem::malformed) out += "[Malformed Packet]";
  if (p.problem == Problem::unsupported) out += "Unsupported link type";
}

std::string info(const Packet& p) {
  std::string out;
  append_info(p, out);
  return out;
}

std::string_view to_string(Layer layer) noexcept {
  switch (layer) {
    case Layer::none:
      return "none";
    case Layer::link:
      return "link";
    case Layer::arp:
      return "arp";
    case Layer::ipv4:
      return "ipv4";
    case Layer::ipv6:
      return "ipv6";
    case Layer::tcp:
      return "tcp";
    case Layer::udp:
      return "udp";
    case Layer::icmp:
      return "icmp";
    case Layer::icmpv6:
      return "icmpv6";
    case Layer::application:
      return "application";
  }
  return "none";
}

std::string_view to_string(Problem problem) noexcept {
  switch (problem) {
    case Problem::none:
      return "none";
    case Problem::truncated:
      return "truncated";
    case Problem::malformed:
      return "malformed";
    case Problem::unsupported:
      return "unsupported";
  }
  return "none";
}

}  // namespace wirekit::capture
