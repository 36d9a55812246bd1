// The dissectors against hand-built frames of every layer, their problem cases, and the frame
// kinds of pcapgen.py with the names tshark 4.0 gives them.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <wirekit/capture/packet.hpp>

#include "capture/dissect_frames.hpp"

namespace wirekit::capture {
namespace {

using namespace test;
using namespace test::tcp_flags;

std::string proto(const Packet& p) {
  return std::string(protocol_name(p).view());
}

// A TLS ClientHello record offering TLS 1.3 and 1.2, naming `host`.
Bytes client_hello(std::string_view host, unsigned record_version = 0x0301) {
  const Bytes sni_entry = Bytes{0} + be16(static_cast<unsigned>(host.size())) + text(host);
  const Bytes sni = be16(0) + be16(static_cast<unsigned>(sni_entry.size() + 2)) +
                    be16(static_cast<unsigned>(sni_entry.size())) + sni_entry;
  const Bytes versions = be16(43) + be16(5) + Bytes{4, 3, 4, 3, 3};
  const Bytes extensions = sni + versions;
  const Bytes body = be16(0x0303) + zeros(32) + Bytes{0} + be16(2) + be16(0x1301) + Bytes{1, 0} +
                     be16(static_cast<unsigned>(extensions.size())) + extensions;
  const Bytes handshake = Bytes{1, 0} + be16(static_cast<unsigned>(body.size())) + body;
  return Bytes{22} + be16(record_version) + be16(static_cast<unsigned>(handshake.size())) +
         handshake;
}

TEST(Dissect, TcpSynOverEthernet) {
  const Bytes mss = {2, 4, 0x05, 0xb4};
  const Packet p = dissect_bytes(eth(0x0800, ipv4(6, tcp(43210, 80, 1000, syn, {}, mss))));
  ASSERT_TRUE(p.ok()) << to_string(p.problem);
  EXPECT_TRUE(p.has_mac);
  EXPECT_EQ(p.link_src.to_string(), "02:00:00:00:00:02");
  EXPECT_EQ(p.network, Network::ipv4);
  ASSERT_TRUE(p.src && p.dst);
  EXPECT_EQ(p.src->to_string(), "192.168.1.10");
  EXPECT_EQ(p.dst->to_string(), "10.0.0.1");
  EXPECT_EQ(p.ttl, 64);
  EXPECT_EQ(p.transport, Transport::tcp);
  EXPECT_EQ(p.src_port, 43210);
  EXPECT_EQ(p.dst_port, 80);
  EXPECT_EQ(p.tcp.seq, 1000u);
  EXPECT_EQ(p.tcp.flags, Tcp::syn);
  EXPECT_EQ(p.tcp.header_length, 24);
  EXPECT_TRUE(p.payload.empty());
  EXPECT_EQ(proto(p), "TCP");
  EXPECT_EQ(transport_name(p), "TCP");
  EXPECT_EQ(info(p), "43210 → 80 [SYN] Seq=1000 Win=65535 Len=0 MSS=1460");
}

TEST(Dissect, EthernetPaddingIsNotPayload) {
  const Packet p = dissect_bytes(padded(eth(0x0800, ipv4(17, udp(5000, 6000, text("hi"))))));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.frame.size(), 60u);
  EXPECT_EQ(p.payload.size(), 2u);
  EXPECT_EQ(proto(p), "UDP");
  EXPECT_EQ(info(p), "5000 → 6000 Len=2");
}

TEST(Dissect, VlanTagsAreReadAtAnyDepth) {
  const Bytes inner = ipv4(17, udp(1, 2, {}));
  Packet one = dissect_bytes(eth(0x8100, be16(100) + be16(0x0800) + inner));
  EXPECT_EQ(one.vlan_count, 1);
  EXPECT_EQ(one.vlan_ids[0], 100);
  EXPECT_EQ(one.transport, Transport::udp);

  // 802.1ad service tag outside an 802.1Q customer tag; priority bits are not part of the id.
  Packet qinq = dissect_bytes(eth(
      0x88a8, be16(0xe000 | 7) + vlan_tag(0x8100, 42) + be16(0x86dd) + ipv6(17, udp(1, 2, {}))));
  ASSERT_TRUE(qinq.ok());
  EXPECT_EQ(qinq.vlan_count, 2);
  EXPECT_EQ(qinq.vlan_ids[0], 7);
  EXPECT_EQ(qinq.vlan_ids[1], 42);
  EXPECT_EQ(qinq.network, Network::ipv6);

  Bytes stack = be16(1);
  for (unsigned id = 2; id <= 6; ++id) stack = stack + vlan_tag(0x8100, id);
  const Packet deep = dissect_bytes(eth(0x8100, stack + be16(0x0800) + inner));
  ASSERT_TRUE(deep.ok());
  EXPECT_EQ(deep.vlan_count, 6);
  EXPECT_EQ(deep.vlan_ids[3], 4);  // the first max_vlan_tags are kept
  EXPECT_EQ(deep.transport, Transport::udp);

  const Packet cut = dissect_bytes(eth(0x8100, be16(5)));
  EXPECT_EQ(cut.problem, Problem::malformed);
  EXPECT_EQ(cut.problem_layer, Layer::link);
}

TEST(Dissect, LinuxCookedCaptures) {
  const Bytes datagram = ipv4(17, udp(40000, 53, dns_query(0x1234, "host.example.net")));
  const Bytes sll = be16(4) + be16(1) + be16(6) + Bytes{2, 0, 0, 0, 0, 9, 0, 0} + be16(0x0800);
  const Packet p1 = dissect_bytes(sll + datagram, LinkType::linux_sll);
  ASSERT_TRUE(p1.ok()) << to_string(p1.problem_layer);
  EXPECT_EQ(p1.sll_packet_type, 4);
  EXPECT_EQ(p1.link_src.to_string(), "02:00:00:00:00:09");
  EXPECT_EQ(proto(p1), "DNS");

  const Bytes sll2 =
      be16(0x0800) + be16(0) + be32(3) + be16(772) + Bytes{0, 6} + Bytes{2, 0, 0, 0, 0, 7, 0, 0};
  const Packet p2 = dissect_bytes(sll2 + datagram, LinkType::linux_sll2);
  ASSERT_TRUE(p2.ok());
  EXPECT_EQ(p2.link_src.to_string(), "02:00:00:00:00:07");
  EXPECT_EQ(p2.dns.query_name.view(), "host.example.net");

  EXPECT_EQ(dissect_bytes(Bytes(15, 0), LinkType::linux_sll).problem_layer, Layer::link);
  EXPECT_EQ(dissect_bytes(Bytes(19, 0), LinkType::linux_sll2).problem_layer, Layer::link);
}

TEST(Dissect, RawAndLoopbackLinks) {
  const Bytes v4 = ipv4(1, icmp_echo(8, 7, 1));
  const Bytes v6 = ipv6(58, icmp_echo(128, 7, 1));
  for (LinkType link : {LinkType::raw, LinkType::raw_dlt12, LinkType::raw_dlt14}) {
    EXPECT_EQ(proto(dissect_bytes(v4, link)), "ICMP");
    EXPECT_EQ(proto(dissect_bytes(v6, link)), "ICMPv6");
  }
  EXPECT_EQ(proto(dissect_bytes(v4, LinkType::ipv4)), "ICMP");
  EXPECT_EQ(proto(dissect_bytes(v6, LinkType::ipv6)), "ICMPv6");
  EXPECT_EQ(dissect_bytes(Bytes{0x50, 0, 0}, LinkType::raw).problem, Problem::malformed);

  // BSD loopback: the family in the writer's byte order (2 = AF_INET; 30 = AF_INET6 on macOS,
  // 10 on Linux); OpenBSD's "loop" in network order.
  EXPECT_EQ(dissect_bytes(Bytes{2, 0, 0, 0} + v4, LinkType::null).network, Network::ipv4);
  EXPECT_EQ(dissect_bytes(Bytes{0, 0, 0, 2} + v4, LinkType::null).network, Network::ipv4);
  EXPECT_EQ(dissect_bytes(Bytes{30, 0, 0, 0} + v6, LinkType::null).network, Network::ipv6);
  EXPECT_EQ(dissect_bytes(Bytes{10, 0, 0, 0} + v6, LinkType::null).network, Network::ipv6);
  EXPECT_EQ(dissect_bytes(Bytes{0, 0, 0, 2} + v4, LinkType::loop).network, Network::ipv4);
  EXPECT_EQ(dissect_bytes(Bytes{7, 0, 0, 0} + v4, LinkType::null).network, Network::other);

  const Packet unknown = dissect_bytes(v4, static_cast<LinkType>(147));
  EXPECT_EQ(unknown.problem, Problem::unsupported);
  EXPECT_EQ(unknown.network, Network::none);
}

TEST(Dissect, Arp) {
  const Bytes mac_a = {2, 0, 0, 0, 0, 1}, mac_b = {0, 0, 0, 0, 0, 0};
  const Bytes request = be16(1) + be16(0x0800) + Bytes{6, 4} + be16(1) + mac_a +
                        Bytes{10, 0, 0, 1} + mac_b + Bytes{10, 0, 0, 2};
  const Packet p = dissect_bytes(padded(eth(0x0806, request)));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(proto(p), "ARP");
  EXPECT_FALSE(p.is_ip());
  EXPECT_FALSE(p.src);  // ARP's addresses are in p.arp, not src/dst
  EXPECT_EQ(info(p), "Who has 10.0.0.2? Tell 10.0.0.1");
  const Bytes reply = be16(1) + be16(0x0800) + Bytes{6, 4} + be16(2) + mac_a + Bytes{10, 0, 0, 1} +
                      mac_b + Bytes{10, 0, 0, 2};
  EXPECT_EQ(info(dissect_bytes(eth(0x0806, reply))), "10.0.0.1 is at 02:00:00:00:00:01");
  const Packet cut = dissect_bytes(eth(0x0806, Bytes(request.begin(), request.begin() + 20)));
  EXPECT_EQ(cut.problem, Problem::malformed);
  EXPECT_EQ(cut.problem_layer, Layer::arp);
}

TEST(Dissect, Ipv4OptionsAndUnknownProtocols) {
  const Packet p = dissect_bytes(
      eth(0x0800, ipv4(17, udp(1000, 2000, text("abcd")), {.options = {0x94, 4, 0, 0}})));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.ip_header_length, 24);
  EXPECT_EQ(p.dst_port, 2000);
  EXPECT_EQ(p.payload.size(), 4u);

  const Packet unknown = dissect_bytes(eth(0x0800, ipv4(253, text("xxxx"))));
  EXPECT_EQ(unknown.transport, Transport::other);
  EXPECT_EQ(proto(unknown), "IPv4");
  EXPECT_EQ(info(unknown), "Unknown (253)");
  EXPECT_EQ(proto(dissect_bytes(eth(0x0800, ipv4(47, zeros(4))))), "GRE");
  const Packet igmp = dissect_bytes(eth(0x0800, ipv4(2, Bytes{0x16, 0, 0, 0, 224, 0, 0, 1})));
  EXPECT_EQ(proto(igmp), "IGMPv2");
  EXPECT_EQ(info(igmp), "Membership Report group 224.0.0.1");
  EXPECT_EQ(proto(dissect_bytes(eth(0x88b5, zeros(46)))), "0x88b5");
  EXPECT_EQ(proto(dissect_bytes(eth(0x88cc, zeros(46)))), "LLDP");
  EXPECT_EQ(proto(dissect_bytes(eth(100, zeros(46)))), "LLC");
}

TEST(Dissect, Ipv4FragmentsAreFlagged) {
  const Bytes datagram = udp(1000, 53, dns_query(1, "a.example"));
  const Packet first = dissect_bytes(eth(0x0800, ipv4(17, datagram, {.fragment = 0x2000})));
  EXPECT_TRUE(first.fragment);
  EXPECT_TRUE(first.more_fragments);
  EXPECT_EQ(first.fragment_offset, 0);
  EXPECT_EQ(first.transport, Transport::udp);  // the first fragment's header is there
  EXPECT_EQ(first.dst_port, 53);
  EXPECT_EQ(first.app, App::none);  // but not the whole datagram
  EXPECT_EQ(proto(first), "IPv4");
  EXPECT_EQ(info(first), "Fragmented IP protocol (proto=UDP 17, off=0, ID=1234)");

  const Packet later = dissect_bytes(eth(0x0800, ipv4(17, text("rest"), {.fragment = 185})));
  EXPECT_TRUE(later.fragment);
  EXPECT_FALSE(later.more_fragments);
  EXPECT_EQ(later.fragment_offset, 1480);
  EXPECT_EQ(later.transport, Transport::none);
  EXPECT_EQ(later.dst_port, 0);
  EXPECT_EQ(info(later), "Fragmented IP protocol (proto=UDP 17, off=1480, ID=1234)");
}

TEST(Dissect, Ipv6ExtensionHeaderChains) {
  const Bytes segment = tcp(40000, 443, 1, ack | psh, text("x"));
  // hop-by-hop → routing → destination options → atomic fragment → AH → TCP
  const Bytes ah = Bytes{6, 4, 0, 0} + be32(0x100) + be32(1) + zeros(12);  // (4+2)*4 = 24 bytes
  const Bytes chain = ipv6_option_header(
      43,
      ipv6_option_header(60, ipv6_option_header(44, ipv6_fragment(51, 0, false, ah + segment))));
  const Packet p = dissect_bytes(eth(0x86dd, ipv6(0, chain)));
  ASSERT_TRUE(p.ok()) << to_string(p.problem) << " at " << to_string(p.problem_layer);
  EXPECT_EQ(p.ipv6_extension_count, 5);
  EXPECT_FALSE(p.fragment);  // offset 0 without "more": a whole datagram
  EXPECT_EQ(p.ip_protocol, 6);
  EXPECT_EQ(p.dst_port, 443);
  EXPECT_EQ(p.ip_header_length, 40 + 8 * 4 + 24);
  ASSERT_TRUE(p.src);
  EXPECT_EQ(p.src->to_string(), "2001:db8::10");

  const Packet frag = dissect_bytes(eth(0x86dd, ipv6(44, ipv6_fragment(17, 1448, true, zeros(8)))));
  EXPECT_TRUE(frag.fragment);
  EXPECT_EQ(frag.fragment_offset, 1448);
  EXPECT_EQ(frag.transport, Transport::none);
  EXPECT_EQ(proto(frag), "IPv6");

  // An extension header that claims more bytes than the datagram has.
  const Packet bad = dissect_bytes(eth(0x86dd, ipv6(0, Bytes{6, 9} + zeros(6))));
  EXPECT_EQ(bad.problem, Problem::malformed);
  EXPECT_EQ(bad.problem_layer, Layer::ipv6);

  const Packet none = dissect_bytes(eth(0x86dd, ipv6(59, {})));
  EXPECT_TRUE(none.ok());
  EXPECT_EQ(proto(none), "IPv6");
}

TEST(Dissect, IcmpEcho) {
  const Packet v4 = dissect_bytes(eth(0x0800, ipv4(1, icmp_echo(8, 7, 5, zeros(40)))));
  EXPECT_EQ(proto(v4), "ICMP");
  EXPECT_EQ(v4.icmp.type, 8);
  EXPECT_EQ(v4.icmp.id, 7);
  EXPECT_EQ(info(v4), "Echo (ping) request  id=0x0007, seq=5/1280, ttl=64");
  const Packet reply = dissect_bytes(eth(0x0800, ipv4(1, icmp_echo(0, 7, 5))));
  EXPECT_EQ(info(reply).substr(0, 24), "Echo (ping) reply    id=");
  const Packet v6 = dissect_bytes(eth(0x86dd, ipv6(58, icmp_echo(129, 0x10, 2))));
  EXPECT_EQ(proto(v6), "ICMPv6");
  EXPECT_EQ(info(v6), "Echo (ping) reply id=0x0010, seq=2, hop limit=64");
  EXPECT_EQ(transport_name(v6), "");
}

// ---- DNS

Bytes dns_response() {
  // www.example.com A → CNAME web.example.com (compressed), A 93.184.216.34
  return be16(0xabcd) + be16(0x8180) + be16(1) + be16(2) + be16(0) + be16(0) +
         dns_name("www.example.com") + be16(1) + be16(1) +  // question at offset 12
         Bytes{0xc0, 12} + be16(5) + be16(1) + be32(60) + be16(6) +
         Bytes{3, 'w', 'e', 'b', 0xc0, 16} + Bytes{0xc0, 45} + be16(1) + be16(1) + be32(60) +
         be16(4) + Bytes{93, 184, 216, 34};
}

TEST(Dissect, DnsQueryAndAnswers) {
  const Packet q =
      dissect_bytes(eth(0x0800, ipv4(17, udp(50000, 53, dns_query(0x1234, "host.example.net")))));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q.app, App::dns);
  EXPECT_FALSE(q.dns.response());
  EXPECT_EQ(q.dns.query_name.view(), "host.example.net");
  EXPECT_EQ(q.dns.query_type, 1);
  EXPECT_EQ(proto(q), "DNS");
  EXPECT_EQ(info(q), "Standard query 0x1234 A host.example.net");

  const Packet r = dissect_bytes(eth(0x0800, ipv4(17, udp(53, 50000, dns_response()))));
  ASSERT_TRUE(r.ok()) << to_string(r.problem);
  EXPECT_TRUE(r.dns.response());
  EXPECT_EQ(r.dns.answer_count, 2);
  EXPECT_EQ(info(r),
            "Standard query response 0xabcd A www.example.com CNAME web.example.com A "
            "93.184.216.34");
  const DnsRecords records = dns_records(r.dns.message);
  ASSERT_TRUE(records.complete);
  ASSERT_EQ(records.records.size(), 3u);
  EXPECT_EQ(records.records[1].name, "www.example.com");
  EXPECT_EQ(records.records[1].ttl, 60u);
  EXPECT_EQ(records.records[2].name, "web.example.com");
  EXPECT_EQ(records.records[2].data_text, "93.184.216.34");
  EXPECT_EQ(dns_type_name(28), "AAAA");

  const Packet mdns =
      dissect_bytes(eth(0x0800, ipv4(17, udp(5353, 5353, dns_query(0, "x.local")))));
  EXPECT_EQ(proto(mdns), "MDNS");
  // Over TCP, behind a 2-byte length; a message that continues in the next segment is TCP.
  const Bytes message = dns_query(7, "a.example.org");
  const auto over_tcp = [](const Bytes& payload) {
    return dissect_bytes(eth(0x0800, ipv4(6, tcp(40000, 53, 1, ack | psh, payload))));
  };
  const Packet tcp_dns = over_tcp(be16(static_cast<unsigned>(message.size())) + message);
  EXPECT_EQ(proto(tcp_dns), "DNS");
  EXPECT_EQ(tcp_dns.dns.query_name.view(), "a.example.org");
  const Packet tcp_partial = over_tcp(be16(static_cast<unsigned>(message.size() + 10)) + message);
  EXPECT_TRUE(tcp_partial.app_incomplete);
  EXPECT_EQ(proto(tcp_partial), "TCP");
}

TEST(Dissect, DnsPointerLoopsAndLongNamesAreMalformed) {
  // The question's name is a pointer to itself.
  const Bytes self_loop =
      be16(1) + be16(0x0100) + be16(1) + zeros(6) + Bytes{0xc0, 12} + be16(1) + be16(1);
  Packet p = dissect_bytes(eth(0x0800, ipv4(17, udp(1000, 53, self_loop))));
  EXPECT_EQ(p.problem, Problem::malformed);
  EXPECT_EQ(p.problem_layer, Layer::application);
  EXPECT_EQ(proto(p), "DNS");
  EXPECT_NE(info(p).find("[Malformed Packet]"), std::string::npos);

  // Two pointers pointing at each other, behind a valid label.
  const Bytes ping_pong = be16(1) + be16(0x0100) + be16(1) + zeros(6) + Bytes{1, 'a', 0xc0, 16} +
                          Bytes{0xc0, 14} + be16(1) + be16(1);
  EXPECT_EQ(dissect_bytes(eth(0x0800, ipv4(17, udp(1000, 53, ping_pong)))).problem,
            Problem::malformed);
  EXPECT_FALSE(dns_records(ping_pong).complete);

  // A name of more than 255 bytes (five labels of 63).
  Bytes long_name;
  for (int i = 0; i < 5; ++i) long_name = long_name + Bytes{63} + Bytes(63, 'a');
  const Bytes too_long =
      be16(1) + be16(0x0100) + be16(1) + zeros(6) + long_name + Bytes{0} + be16(1) + be16(1);
  EXPECT_EQ(dissect_bytes(eth(0x0800, ipv4(17, udp(1000, 53, too_long)))).problem,
            Problem::malformed);

  // A pointer past the end, and answers announced but absent.
  const Bytes outside = be16(1) + be16(0x0100) + be16(1) + zeros(6) + Bytes{0xc0, 200} + zeros(4);
  EXPECT_EQ(dissect_bytes(eth(0x0800, ipv4(17, udp(1000, 53, outside)))).problem,
            Problem::malformed);
  Bytes missing = dns_query(1, "a.b");
  missing[7] = 3;  // three answers
  EXPECT_EQ(dissect_bytes(eth(0x0800, ipv4(17, udp(1000, 53, missing)))).problem,
            Problem::malformed);

  DnsName name;
  const Bytes root = {0};
  EXPECT_EQ(dns_read_name(root, 0, name), 1u);
  EXPECT_EQ(name.view(), "<Root>");
  const Bytes odd = Bytes{3, 'a', '.', 0x01, 0};
  EXPECT_EQ(dns_read_name(odd, 0, name), 5u);
  EXPECT_EQ(name.view(), "a\\.\\001");
}

// ---- HTTP and TLS

TEST(Dissect, HttpRequestsAndResponses) {
  const Packet get = dissect_bytes(eth(0x0800, ipv4(6, tcp(30000, 80, 1, ack | psh,
                                                           text("GET /index.html HTTP/1.1\r\nHost: "
                                                                "www.example\r\n\r\n")))));
  ASSERT_EQ(get.app, App::http);
  EXPECT_TRUE(get.http.request);
  EXPECT_EQ(get.http.method, "GET");
  EXPECT_EQ(get.http.target, "/index.html");
  EXPECT_EQ(get.http.version, "HTTP/1.1");
  EXPECT_EQ(get.http.host, "www.example");
  EXPECT_EQ(proto(get), "HTTP");
  EXPECT_EQ(info(get), "GET /index.html HTTP/1.1 ");

  // Headers not complete in this segment: tshark waits for the rest and shows TCP.
  const Packet partial = dissect_bytes(
      eth(0x0800, ipv4(6, tcp(30000, 80, 1, ack | psh, text("GET / HTTP/1.1\r\nHost: a\r\n")))));
  EXPECT_EQ(partial.app, App::http);
  EXPECT_TRUE(partial.app_incomplete);
  EXPECT_EQ(proto(partial), "TCP");

  const Packet ok = dissect_bytes(
      eth(0x0800, ipv4(6, tcp(8080, 40000, 1, ack | psh,
                              text("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")))));
  EXPECT_EQ(ok.http.status, 200);
  EXPECT_EQ(proto(ok), "HTTP");
  const Packet body_follows = dissect_bytes(
      eth(0x0800, ipv4(6, tcp(8080, 40000, 1, ack | psh,
                              text("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\nhi")))));
  EXPECT_EQ(proto(body_follows), "TCP");

  // Any port: recognised by content. Not HTTP on port 80: TCP.
  EXPECT_EQ(proto(dissect_bytes(
                eth(0x0800, ipv4(6, tcp(40000, 12345, 1, psh, text("GET / HTTP/1.1\r\n\r\n")))))),
            "HTTP");
  EXPECT_EQ(proto(dissect_bytes(eth(0x0800, ipv4(6, tcp(40000, 80, 1, psh, zeros(40)))))), "TCP");
}

TEST(Dissect, TlsClientHelloAndRecords) {
  const Packet hello = dissect_bytes(
      eth(0x0800, ipv4(6, tcp(40000, 443, 1, ack | psh, client_hello("www.example.com")))));
  ASSERT_EQ(hello.app, App::tls);
  EXPECT_EQ(hello.tls.handshake_type, 1);
  EXPECT_EQ(hello.tls.record_version, 0x0301);
  EXPECT_EQ(hello.tls.hello_version, 0x0303);
  EXPECT_TRUE(hello.tls.offers_tls13);
  EXPECT_EQ(hello.tls.sni, "www.example.com");
  EXPECT_EQ(proto(hello), "TLSv1");  // the record layer's version, as tshark 4.0 names it
  EXPECT_EQ(info(hello), "Client Hello");

  // On a port TLS is not registered on, tshark's heuristic still finds the handshake.
  EXPECT_EQ(proto(dissect_bytes(
                eth(0x0800, ipv4(6, tcp(40000, 9999, 1, psh, client_hello("a", 0x0303)))))),
            "TLSv1.2");

  // Split across segments: this one alone is "TCP".
  const Bytes whole = client_hello("www.example.com");
  const Packet split = dissect_bytes(
      eth(0x0800, ipv4(6, tcp(40000, 443, 1, psh, Bytes(whole.begin(), whole.begin() + 40)))));
  EXPECT_TRUE(split.app_incomplete);
  EXPECT_EQ(proto(split), "TCP");

  const Bytes app_data = Bytes{23, 3, 3} + be16(4) + text("abcd");
  const Packet two =
      dissect_bytes(eth(0x0800, ipv4(6, tcp(443, 40000, 1, psh, app_data + app_data))));
  EXPECT_EQ(two.tls.record_count, 2);
  EXPECT_EQ(info(two), "Application Data, Application Data");

  // Data that is no record on a TLS port is continuation data; plain text is not TLS at all.
  const auto on_443 = [](const Bytes& payload) {
    return proto(dissect_bytes(eth(0x0800, ipv4(6, tcp(1, 443, 1, psh, payload)))));
  };
  EXPECT_EQ(on_443(Bytes(40, 0x99)), "SSL");
  EXPECT_EQ(on_443(text("hello world")), "TCP");
  EXPECT_EQ(on_443(Bytes{0x80, 5, 1, 0, 0, 0, 0}), "SSLv2");
}

TEST(Dissect, MailAndFtpByPort) {
  const auto named = [](unsigned port, std::string_view line) {
    const Packet p = dissect_bytes(eth(0x0800, ipv4(6, tcp(20000, port, 1, psh, text(line)))));
    return proto(p) + " | " + info(p);
  };
  EXPECT_EQ(named(110, "USER carol\r\n"), "POP | C: USER carol");
  EXPECT_EQ(named(143, "A1 LOGIN dave imappass\r\n"), "IMAP | Request: A1 LOGIN dave imappass");
  EXPECT_EQ(named(21, "USER anonymous\r\n"), "FTP | Request: USER anonymous");
  EXPECT_EQ(named(25, "AUTH LOGIN\r\n"), "SMTP | C: AUTH LOGIN");
  EXPECT_EQ(named(25, "EHLO x").substr(0, 3), "TCP");  // a command waits for its line end
  EXPECT_EQ(named(22, "SSH-2.0-OpenSSH_9.2\r\n"), "SSH | Client: Protocol (SSH-2.0-OpenSSH_9.2)");
}

// ---- problems

TEST(Dissect, BadLengthsAreMalformed) {
  const auto problem_at = [](const Bytes& frame) {
    const Packet p = dissect_bytes(frame);
    return std::string(to_string(p.problem)) + "@" + std::string(to_string(p.problem_layer));
  };
  Bytes bad_ihl = eth(0x0800, ipv4(17, udp(1, 2, {})));
  bad_ihl[14] = 0x44;
  EXPECT_EQ(problem_at(bad_ihl), "malformed@ipv4");
  Bytes bad_version = eth(0x0800, ipv4(17, udp(1, 2, {})));
  bad_version[14] = 0x65;
  EXPECT_EQ(problem_at(bad_version), "malformed@ipv4");
  Bytes short_total = eth(0x0800, ipv4(17, udp(1, 2, {})));
  short_total[17] = 10;  // total length 10 < header length 20
  EXPECT_EQ(problem_at(short_total), "malformed@ipv4");
  Bytes long_total = eth(0x0800, ipv4(17, udp(1, 2, {})));
  long_total[17] = 200;  // says 200 bytes, has 28, not snapped
  EXPECT_EQ(problem_at(long_total), "malformed@ipv4");
  Bytes bad_offset = eth(0x0800, ipv4(6, tcp(1, 2, 0, syn)));
  bad_offset[14 + 20 + 12] = 0x40;  // data offset 4
  EXPECT_EQ(problem_at(bad_offset), "malformed@tcp");
  Bytes long_offset = eth(0x0800, ipv4(6, tcp(1, 2, 0, syn)));
  long_offset[14 + 20 + 12] = 0xf0;  // 60-byte header in a 20-byte segment
  EXPECT_EQ(problem_at(long_offset), "malformed@tcp");
  Bytes udp_short = eth(0x0800, ipv4(17, udp(1, 2, text("abcd"))));
  udp_short[14 + 20 + 5] = 4;  // UDP length 4 < 8
  EXPECT_EQ(problem_at(udp_short), "malformed@udp");
  Bytes udp_long = eth(0x0800, ipv4(17, udp(1, 2, text("abcd"))));
  udp_long[14 + 20 + 5] = 40;  // beyond the IP datagram
  EXPECT_EQ(problem_at(udp_long), "malformed@udp");
  Bytes v6_version = eth(0x86dd, ipv6(17, udp(1, 2, {})));
  v6_version[14] = 0x40;
  EXPECT_EQ(problem_at(v6_version), "malformed@ipv6");
  const Packet malformed = dissect_bytes(udp_short);
  EXPECT_EQ(proto(malformed), "UDP");
  EXPECT_NE(info(malformed).find("[Malformed Packet]"), std::string::npos);
}

// Every prefix of every kind of frame. Cut by the snapshot length: "truncated" when the cut
// falls inside a header (or a DNS message), never "malformed", and Info says so exactly when
// the packet is truncated; the same bytes as a whole frame: "malformed". Nothing reads past the
// end (the sanitizer builds check that).
TEST(Dissect, TruncatedAtEveryByte) {
  const std::vector<std::pair<Bytes, LinkType>> frames = {
      {eth(0x0800,
           ipv4(6, tcp(30000, 80, 1, ack | psh, text("GET /x HTTP/1.1\r\nHost: h\r\n\r\n")))),
       LinkType::ethernet},
      {eth(0x8100, be16(5) + be16(0x86dd) +
                       ipv6(0, ipv6_option_header(17, udp(5353, 5353, dns_query(9, "a.local"))))),
       LinkType::ethernet},
      {eth(0x0800, ipv4(17, udp(53, 40000, dns_response()))), LinkType::ethernet},
      {eth(0x0800, ipv4(6, tcp(40000, 443, 1, psh, client_hello("example.org")))),
       LinkType::ethernet},
      {eth(0x0800, ipv4(1, icmp_echo(8, 1, 1, zeros(8)), {.options = {1, 1, 1, 0}})),
       LinkType::ethernet},
      {be16(0) + be16(1) + be16(6) + zeros(8) + be16(0x0806) +
           (be16(1) + be16(0x0800) + Bytes{6, 4} + be16(1) + zeros(20)),
       LinkType::linux_sll},
      {be16(0x86dd) + zeros(18) + ipv6(58, icmp_echo(128, 1, 1)), LinkType::linux_sll2},
      {Bytes{2, 0, 0, 0} + ipv4(17, udp(1, 2, text("x"))), LinkType::null},
  };
  for (const auto& [frame, link] : frames) {
    const Packet whole =
        dissect(link, Timestamp{}, frame, static_cast<std::uint32_t>(frame.size()));
    ASSERT_TRUE(whole.ok()) << proto(whole) << ": " << to_string(whole.problem) << " at "
                            << to_string(whole.problem_layer);
    const std::size_t headers_end =
        whole.payload.data() ? static_cast<std::size_t>(whole.payload.data() - frame.data())
                             : frame.size();
    for (std::size_t n = 0; n < frame.size(); ++n) {
      const Bytes cut(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(n));
      const Packet snapped =
          dissect(link, Timestamp{}, cut, static_cast<std::uint32_t>(frame.size()));
      if (n < headers_end) {
        EXPECT_EQ(snapped.problem, Problem::truncated) << proto(whole) << " cut at " << n;
      }
      EXPECT_NE(snapped.problem, Problem::malformed) << proto(whole) << " cut at " << n;
      EXPECT_EQ(snapped.problem == Problem::truncated,
                info(snapped).find("[Packet size limited during capture]") != std::string::npos);
      const Packet short_frame = dissect_bytes(cut, link);
      EXPECT_EQ(short_frame.problem, Problem::malformed) << proto(whole) << " cut at " << n;
      EXPECT_FALSE(protocol_name(short_frame).view().empty());
    }
  }
}

// A 54-byte snapshot length of pcapgen's frames, as tshark 4.0 shows them.
TEST(Dissect, SnappedFramesAsTsharkShowsThem) {
  const auto snap = [](const Bytes& frame) {
    return dissect_bytes(Bytes(frame.begin(), frame.begin() + 54), LinkType::ethernet,
                         frame.size());
  };
  const Packet tcp_data = snap(eth(0x0800, ipv4(6, tcp(30001, 443, 1, ack | psh, zeros(40)))));
  EXPECT_TRUE(tcp_data.ok());  // only payload nobody reads was cut
  EXPECT_EQ(proto(tcp_data), "TCP");
  EXPECT_EQ(info(tcp_data), "30001 → 443 [PSH, ACK] Seq=1 Ack=0 Win=65535 Len=40");
  const Packet v6 = snap(eth(0x86dd, ipv6(6, tcp(40000, 443, 1, ack | psh, zeros(40)))));
  EXPECT_EQ(proto(v6), "IPv6");  // not one byte of TCP
  EXPECT_EQ(info(v6), "[Packet size limited during capture]");
  const Packet dns = snap(eth(0x0800, ipv4(17, udp(50008, 53, dns_query(8, "host8.example.net")))));
  EXPECT_EQ(proto(dns), "DNS");
  EXPECT_EQ(dns.problem, Problem::truncated);
  EXPECT_EQ(dns.problem_layer, Layer::application);
  EXPECT_EQ(info(dns), "Standard query 0x0008[Packet size limited during capture]");
}

// The frames of pcapgen.py (the capture of the benchmarks and the differential tests), built
// the way it builds them, with the Protocol column tshark 4.0 shows for each.
TEST(Dissect, PcapgenMixMatchesTshark) {
  const Ip4 a = {192, 168, 3, 4}, b = {192, 168, 7, 9};
  const auto v4 = [&](std::uint8_t protocol, const Bytes& payload) {
    return padded(eth(0x0800, ipv4(protocol, payload, {.src = a, .dst = b, .id = 0})));
  };
  const auto blob = [](std::size_t n) {
    Bytes out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(0x32 + i * 37);
    return out;
  };
  struct Case {
    Bytes frame;
    std::string protocol;
  };
  const std::vector<Case> cases = {
      {v4(6,
          tcp(30001, 80, 7, 0x18, text("GET /index7.html HTTP/1.1\r\nHost: www7.example\r\n\r\n"))),
       "HTTP"},
      {v4(6, tcp(30002, 80, 8, 0x18, blob(512))), "TCP"},
      {v4(6, tcp(30003, 443, 9, 0x18, {})), "TCP"},
      {v4(6, tcp(30003, 443, 9, 0x18, blob(40))), "SSL"},
      {v4(6, tcp(30003, 443, 9, 0x18, Bytes{0xf8, 0x34, 0x04} + blob(197))), "TCP"},  // SSLv2-like
      {padded(eth(0x86dd, ipv6(6, tcp(40001, 443, 10, 0x18, blob(1000))))), "SSL"},
      {v4(17, udp(50001, 53, dns_query(1, "host1.example.net"))), "DNS"},
      {v4(1, icmp_echo(8, 7, 11, blob(40))), "ICMP"},
      {v4(6, tcp(20001, 110, 12, 0x18, text("USER carol\r\n"))), "POP"},
      {v4(6, tcp(20002, 110, 13, 0x18, text("PASS pop3pass\r\n"))), "POP"},
      {v4(6, tcp(20003, 25, 14, 0x18, text("AUTH LOGIN\r\n"))), "SMTP"},
      {v4(6, tcp(20004, 143, 15, 0x18, text("A1 LOGIN dave imappass\r\n"))), "IMAP"},
      {v4(6, tcp(20005, 21, 16, 0x18, text("USER anonymous\r\n"))), "FTP"},
  };
  for (const Case& c : cases) {
    const Packet p = dissect_bytes(c.frame);
    EXPECT_TRUE(p.ok()) << c.protocol;
    EXPECT_EQ(proto(p), c.protocol) << info(p);
  }
}

TEST(Dissect, DissectIntoResetsEverything) {
  Packet p;
  const Bytes dns = eth(0x0800, ipv4(17, udp(1, 53, dns_query(1, "a.example"))));
  dissect_into(p, LinkType::ethernet, Timestamp{}, dns, static_cast<std::uint32_t>(dns.size()));
  EXPECT_EQ(p.app, App::dns);
  const Bytes arp = eth(0x0806, zeros(28));
  dissect_into(p, LinkType::ethernet, Timestamp{}, arp, static_cast<std::uint32_t>(arp.size()));
  EXPECT_EQ(p.app, App::none);
  EXPECT_EQ(p.dns.query_name.size, 0);
  EXPECT_EQ(p.transport, Transport::none);
  EXPECT_EQ(p.network, Network::arp);
}

}  // namespace
}  // namespace wirekit::capture
