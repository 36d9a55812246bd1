// Packet dissection: one captured frame in, a `Packet` of zero-copy views out.
//
//   capture::Packet p = capture::dissect(capture::LinkType::ethernet, ts, frame, wire_length);
//   if (p.src) use(p.src->to_string(), p.dst->to_string());  // an IPv4 or IPv6 packet
//   std::cout << capture::protocol_name(p).view() << ' ' << capture::info(p) << '\n';
//
// dissect() never throws, never reads outside `frame` and allocates nothing: every string_view
// and span in a Packet points into the frame, so a Packet is valid only while the frame's bytes
// are. A frame that ends early or carries impossible lengths is dissected as far as it goes and
// marked in `problem` / `problem_layer`; the fields of the layers before it stay filled in.
//
// protocol_name() and info() follow tshark 4.0's Protocol and Info columns. What tshark takes
// from earlier packets of the conversation comes from a FlowTable (flow.hpp) when the packet
// went through one; relative sequence numbers, scaled windows and IP reassembly are not
// reproduced — see protocol_name().
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <wirekit/net/address.hpp>

namespace wirekit::capture {

// pcap link-layer header types (LINKTYPE_* in files, DLT_* from pcap_datalink()); the values
// are libpcap's. Other values may be passed: the frame is then left undissected (Problem::
// unsupported at Layer::link).
enum class LinkType : std::uint32_t {
  null = 0,          // BSD loopback: 4-byte address family in host byte order (lo on BSDs)
  ethernet = 1,      // Ethernet II / 802.3, with 802.1Q and 802.1ad VLAN tags
  raw_dlt12 = 12,    // raw IPv4/IPv6 (DLT_RAW as Linux's pcap_datalink() reports it)
  raw_dlt14 = 14,    // raw IPv4/IPv6 (DLT_RAW on OpenBSD)
  raw = 101,         // raw IPv4/IPv6 (LINKTYPE_RAW, as written in files)
  loop = 108,        // OpenBSD loopback: like null, address family in network byte order
  linux_sll = 113,   // Linux cooked capture v1 (`-i any` with older libpcap)
  ipv4 = 228,        // raw IPv4 only
  ipv6 = 229,        // raw IPv6 only
  linux_sll2 = 276,  // Linux cooked capture v2 (`-i any` with libpcap >= 1.10)
};

using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::nanoseconds>;

// The layers a packet can have, outermost first; used to say where a problem was found.
enum class Layer : std::uint8_t {
  none,
  link,  // Ethernet/VLAN, SLL, SLL2, null/loop, raw
  arp,
  ipv4,
  ipv6,  // including its extension headers
  tcp,
  udp,
  icmp,
  icmpv6,
  application,  // DNS, HTTP, TLS, ... (see Packet::app)
};

enum class Problem : std::uint8_t {
  none,
  // The snapshot length cut the frame inside something dissected (a header, a DNS message);
  // a frame cut only in payload nobody reads has no problem (frame.size() < original_length
  // still tells). As tshark's "[Packet size limited during capture]".
  truncated,
  // Impossible values: bad version, header length below the minimum, lengths beyond the frame
  // when it was not snapped, a DNS pointer loop... As tshark's "[Malformed Packet]".
  malformed,
  unsupported,  // a link type this dissector does not know
};

// What the link layer carries.
enum class Network : std::uint8_t { none, arp, ipv4, ipv6, other };

// The transport protocol, when the network layer is IPv4/IPv6 and the packet is not a non-first
// fragment.
enum class Transport : std::uint8_t { none, tcp, udp, icmp, icmpv6, other };

// The application protocol recognised in the transport payload. dns, http and tls are parsed
// (see Packet::dns, http, tls); the others are recognised by port only, as tshark does.
enum class App : std::uint8_t {
  none,
  dns,     // UDP or TCP port 53, and mDNS (5353) / LLMNR (5355): see Dns::flavor
  http,    // a request or status line on a TCP port (any port: recognised by content)
  tls,     // a TLS/SSLv3 record or an SSLv2 record on 443 and the other TLS ports
  pop,     // TCP 110
  imap,    // TCP 143
  smtp,    // TCP 25, 587
  ftp,     // TCP 21
  ssh,     // TCP 22
  telnet,  // TCP 23
};

struct MacAddress {
  std::array<std::uint8_t, 6> bytes{};
  std::string to_string() const;  // "02:00:00:00:00:01"
  friend bool operator==(const MacAddress&, const MacAddress&) = default;
};

// ARP for IPv4 over Ethernet (the only kind on real networks); other hardware/protocol types
// leave the MAC addresses zero and the IP addresses unset.
struct Arp {
  std::uint16_t operation = 0;  // 1 request, 2 reply
  MacAddress sender_mac, target_mac;
  std::optional<net::IpAddress> sender_ip, target_ip;
};

// TCP header fields. Flags are the low 9 bits of the header's flag field.
struct Tcp {
  static constexpr std::uint16_t fin = 0x001, syn = 0x002, rst = 0x004, psh = 0x008,
                                 ack_flag = 0x010, urg = 0x020, ece = 0x040, cwr = 0x080,
                                 ns = 0x100;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint16_t flags = 0;
  std::uint16_t window = 0;
  std::uint8_t header_length = 0;  // bytes, data offset * 4 (20..60)
};

struct Icmp {
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint16_t id = 0;        // echo request/reply only
  std::uint16_t sequence = 0;  // echo request/reply only
};

// A DNS name decompressed into text ("www.example.com", "<Root>" for the root as tshark prints
// it). Labels with bytes outside printable ASCII, '.' or '\\' are escaped (\\ddd). At most
// max_size characters: longer text (only possible with escapes) is cut and `cut` set.
struct DnsName {
  static constexpr std::size_t max_size = 255;
  std::array<char, max_size> text;  // not initialised beyond size
  std::uint8_t size = 0;
  bool cut = false;
  std::string_view view() const noexcept { return {text.data(), size}; }
};

struct Dns {
  enum class Flavor : std::uint8_t { dns, mdns, llmnr };
  Flavor flavor = Flavor::dns;
  std::span<const std::uint8_t> message;  // the whole DNS message (after TCP's length prefix)
  std::uint16_t id = 0;
  std::uint16_t flags = 0;
  std::uint16_t question_count = 0, answer_count = 0, authority_count = 0, additional_count = 0;
  // The first question (tshark's Info shows only it); query_type 0 when there is none.
  DnsName query_name;
  std::uint16_t query_type = 0;
  std::uint16_t query_class = 0;

  bool response() const noexcept { return (flags & 0x8000) != 0; }
  std::uint8_t opcode() const noexcept { return (flags >> 11) & 0xf; }
  std::uint8_t rcode() const noexcept { return flags & 0xf; }
};

// The first line (and Host) of an HTTP/1.x message that starts in this segment.
struct Http {
  bool request = false;
  std::string_view method;   // "GET" (requests)
  std::string_view target;   // "/index.html" (requests)
  std::string_view version;  // "HTTP/1.1"
  std::uint16_t status = 0;  // 200 (responses)
  std::string_view reason;   // "OK" (responses)
  std::string_view host;     // the Host header's value, empty without one
  // How the message continues when it does not end in this segment: the headers continue,
  // body_missing more bytes of body follow, the chunked body continues, or (a response without
  // a length) it runs to the end of the connection. app_incomplete is then set — unless the
  // snapshot length cut the segment: like tshark, the message is shown here all the same.
  enum class Rest : std::uint8_t { none, headers, body, chunks, until_close };
  Rest rest = Rest::none;
  std::uint64_t body_missing = 0;
  // Set by a FlowTable on the segment that ends a message begun in an earlier one (tshark
  // names that segment HTTP): the start-line views then point into the flow table's copy of
  // the line, valid until its next observe().
  bool reassembled = false;
  // Set by a FlowTable on client data of an HTTP conversation that starts no message and ends
  // none (tshark: HTTP "Continuation"); the start-line views are then empty.
  bool continuation = false;
};

struct Tls {
  static constexpr std::uint8_t change_cipher_spec = 20, alert = 21, handshake = 22,
                                application_data = 23, heartbeat = 24;
  bool sslv2 = false;                // an SSLv2-style record (record_version 0x0002)
  std::uint8_t content_type = 0;     // of the first record
  std::uint16_t record_version = 0;  // 0x0301 TLS 1.0 ... 0x0303 TLS 1.2
  std::uint8_t handshake_type = 0;   // first handshake message: 1 ClientHello, 2 ServerHello...
  std::uint16_t hello_version = 0;   // legacy_version of a ClientHello/ServerHello
  bool offers_tls13 = false;         // ClientHello's supported_versions lists 0x0304
  std::string_view sni;              // ClientHello server_name (host_name), empty if none
  std::uint16_t record_count = 0;    // records wholly in this segment
  // The conversation's negotiated version, which only a FlowTable knows (it sets this from
  // the conversation's ServerHello); 0 from dissect() alone.
  std::uint16_t session_version = 0;
};

// One dissected frame. Field groups are filled from the outside in; a group whose layer is
// absent keeps its defaults.
struct Packet {
  // ---- the frame
  LinkType link_type = LinkType::ethernet;
  Timestamp timestamp{};
  std::span<const std::uint8_t> frame;  // the captured bytes
  std::uint32_t original_length = 0;    // length on the wire (> frame.size() when snapped)

  // ---- link layer
  bool has_mac = false;  // Ethernet: both addresses; SLL/SLL2: link_src only (if 6 bytes)
  MacAddress link_src, link_dst;
  std::uint16_t ether_type = 0;  // what the link carries, after VLAN tags (0x0800, 0x86dd...)
  static constexpr std::size_t max_vlan_tags = 4;
  std::array<std::uint16_t, max_vlan_tags> vlan_ids{};  // outermost first
  std::uint8_t vlan_count = 0;        // tags seen (more than max_vlan_tags: the first ones kept)
  std::uint16_t sll_packet_type = 0;  // SLL/SLL2: 0 to us, 1 broadcast, ..., 4 outgoing

  // ---- network layer
  Network network = Network::none;
  Arp arp;  // network == arp
  // network == ipv4 / ipv6, unless the header was cut (or malformed) before the addresses.
  std::optional<net::IpAddress> src, dst;
  std::uint8_t ttl = 0;               // TTL or hop limit
  std::uint16_t ip_id = 0;            // IPv4 identification; IPv6 fragment header's (low 16 bits)
  std::uint8_t ip_header_length = 0;  // IPv4 header bytes (options = 20..), IPv6: 40
  std::uint8_t ipv6_extension_count = 0;
  bool fragment = false;  // part of a fragmented datagram (MF set or offset != 0)
  bool more_fragments = false;
  std::uint16_t fragment_offset = 0;    // bytes; non-zero: the transport is not dissected
  std::uint8_t ip_protocol = 0;         // the transport's protocol number (after extension headers)
  std::uint32_t ip_payload_length = 0;  // bytes the IP header announces after itself

  // ---- transport layer
  Transport transport = Transport::none;
  std::uint16_t src_port = 0, dst_port = 0;  // TCP/UDP
  Tcp tcp;                                   // transport == tcp
  Icmp icmp;                                 // transport == icmp / icmpv6
  // TCP/UDP data (ICMP: the bytes after the 8-byte header) as captured, trimmed to the IP
  // length; shorter than payload_length when the snapshot length cut it.
  std::span<const std::uint8_t> payload;
  std::uint32_t payload_length = 0;  // on the wire (tshark's tcp.len / udp.length - 8)

  // ---- application layer
  App app = App::none;
  // The application message starts here but continues in later segments (HTTP headers not yet
  // complete, a TLS record longer than the segment): tshark then shows TCP for this segment.
  bool app_incomplete = false;
  Dns dns;    // app == dns
  Http http;  // app == http
  Tls tls;    // app == tls

  // ---- problems
  Problem problem = Problem::none;
  Layer problem_layer = Layer::none;

  bool is_ip() const noexcept { return network == Network::ipv4 || network == Network::ipv6; }
  bool ok() const noexcept { return problem == Problem::none; }
};

// Dissects one frame. `original_length` is the length on the wire (pcap's len); pass
// frame.size() when unknown. Never throws, never allocates.
Packet dissect(LinkType link_type, Timestamp timestamp, std::span<const std::uint8_t> frame,
               std::uint32_t original_length) noexcept;

// Same, into an existing Packet (reset first): saves the copy in tight loops.
void dissect_into(Packet& out, LinkType link_type, Timestamp timestamp,
                  std::span<const std::uint8_t> frame, std::uint32_t original_length) noexcept;

// A protocol name held inline (no allocation): at most 15 characters.
class ProtocolName {
 public:
  ProtocolName() = default;
  explicit ProtocolName(std::string_view text) noexcept;
  std::string_view view() const noexcept { return {text_.data(), size_}; }
  operator std::string_view() const noexcept { return view(); }
  friend bool operator==(const ProtocolName& a, const ProtocolName& b) noexcept {
    return a.view() == b.view();
  }

 private:
  std::array<char, 15> text_{};
  std::uint8_t size_ = 0;
};

// The packet's protocol as tshark's Protocol column (_ws.col.Protocol) names it: the highest
// layer recognised — "ARP", "IPv4", "IPv6", "TCP", "UDP", "ICMP", "ICMPv6", "IGMPv2", "GRE",
// "DNS", "MDNS", "LLMNR", "HTTP", "TLSv1.2", "SSLv2", "SSL", "POP", "IMAP", "SMTP", "FTP", an
// unknown EtherType as "0x88b5". With a problem, the name of the layer it was found in.
// tshark also looks at the packets before this one; a FlowTable (flow.hpp) that has observe()d
// the packet supplies most of that: TLS records on a conversation recognised as TLS, the TLS
// session's version, the segment ending an HTTP message begun earlier, HTTP continuation data.
// Left different from tshark: IP fragments are "IPv4"/"IPv6" (tshark names the last fragment
// by the reassembled datagram's content).
ProtocolName protocol_name(const Packet& packet) noexcept;

// The transport as pyshark's packet.transport_layer: "TCP", "UDP", or "" (ICMP, ARP, none).
std::string_view transport_name(const Packet& packet) noexcept;

// tshark's Info column for this packet alone, e.g.
//   "30000 → 80 [SYN] Seq=0 Win=65535 Len=0"   (sequence numbers as sent, not relative)
//   "Standard query 0x1234 A host.example.net"
//   "Standard query response 0x1234 A host.example.net A 192.0.2.7"
//   "GET /index.html HTTP/1.1", "Client Hello", "Echo (ping) request  id=0x0007, seq=7/1792,
//   ttl=64", "Who has 10.0.0.2? Tell 10.0.0.1", "C: USER carol"
// with "[Malformed Packet]" / "[Packet size limited during capture]" appended for problems.
std::string info(const Packet& packet);
// Same, appended to `out` (reuse one string across packets to avoid allocating).
void append_info(const Packet& packet, std::string& out);

std::string_view to_string(Layer layer) noexcept;      // "link", "ipv4", ...
std::string_view to_string(Problem problem) noexcept;  // "none", "truncated", ...

// ---- DNS records beyond the first question (decoded on demand, allocating)

// A DNS type as tshark names it: "A", "AAAA", "CNAME", "MX", ... or "Unknown (65280)".
std::string dns_type_name(std::uint16_t type);

struct DnsRecord {
  enum class Section : std::uint8_t { question, answer, authority, additional };
  Section section = Section::question;
  std::string name;
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
  std::uint32_t ttl = 0;                // not in questions
  std::span<const std::uint8_t> rdata;  // into the message
  // The data as tshark's Info shows it: an address for A/AAAA, a name for CNAME/NS/PTR, "10
  // mail.example.com" for MX, the text for TXT; empty for other types and questions.
  std::string data_text;
};

// Every record of a DNS message, in order. Stops at the first record that does not decode
// (truncated, pointer loop, name longer than 255) and sets `complete` false. Bounded: at most
// max_records records are returned.
struct DnsRecords {
  static constexpr std::size_t max_records = 256;
  std::vector<DnsRecord> records;
  bool complete = true;
};
DnsRecords dns_records(std::span<const std::uint8_t> message);

// Decodes the name at `offset` of a DNS message (compression pointers followed anywhere in the
// message, at most 128 jumps so a pointer loop ends; at most 255 bytes of name). Returns the offset
// just after the name's encoding at `offset`, or 0 when the name is malformed or truncated.
std::size_t dns_read_name(std::span<const std::uint8_t> message, std::size_t offset,
                          DnsName& name) noexcept;

}  // namespace wirekit::capture
