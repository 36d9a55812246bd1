// The flow table: conversations and their totals, reassembly and its bounds, eviction, expiry,
// closing, and what it adds to packets (the TLS session's version).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <wirekit/capture/flow.hpp>

#include "capture/dissect_frames.hpp"

namespace wirekit::capture {
namespace {

using namespace test;
using namespace test::tcp_flags;
using namespace std::chrono_literals;

// Keeps the frames alive as long as the packets that point into them.
struct Capture {
  std::vector<Bytes> frames;
  Packet packet(const Bytes& frame, Timestamp time = Timestamp{}) {
    frames.push_back(frame);
    return dissect(LinkType::ethernet, time, frames.back(),
                   static_cast<std::uint32_t>(frames.back().size()));
  }
};

Bytes to_server(std::uint32_t seq, unsigned flags, std::string_view data = {},
                unsigned client_port = 40000, unsigned server_port = 80) {
  return eth(0x0800, ipv4(6, tcp(client_port, server_port, seq, flags, text(data))));
}
Bytes to_client(std::uint32_t seq, unsigned flags, std::string_view data = {},
                unsigned client_port = 40000, unsigned server_port = 80) {
  return eth(0x0800, ipv4(6, tcp(server_port, client_port, seq, flags, text(data)),
                          {.src = server4, .dst = client4}));
}

Timestamp at(std::chrono::seconds s) {
  return Timestamp(s);
}

// Collects what on_data hands over, consuming everything.
struct Collector {
  std::string stream[2];
  void attach(FlowTable& table) {
    table.on_data([this](const Flow&, int direction, std::string_view bytes) {
      stream[direction] += bytes;
      return bytes.size();
    });
  }
};

TEST(Flow, BothDirectionsAreOneConversation) {
  Capture cap;
  FlowTable table;
  Packet open = cap.packet(to_server(100, syn), at(10s));
  Packet syn_ack = cap.packet(to_client(500, syn | ack), at(11s));
  Packet ack_packet = cap.packet(to_server(101, ack), at(12s));
  const FlowRef a = table.observe(open);
  ASSERT_TRUE(a);
  EXPECT_EQ(a.direction, 0);
  const FlowRef b = table.observe(syn_ack);
  EXPECT_EQ(b.flow, a.flow);
  EXPECT_EQ(b.direction, 1);
  const FlowRef c = table.observe(ack_packet);
  EXPECT_EQ(c.direction, 0);
  EXPECT_EQ(table.size(), 1u);
  const Flow& f = *c.flow;
  EXPECT_EQ(f.protocol, 6);
  EXPECT_EQ(f.address[0].to_string(), "192.168.1.10");  // the initiator
  EXPECT_EQ(f.port[1], 80);
  EXPECT_EQ(f.packets[0], 2u);
  EXPECT_EQ(f.packets[1], 1u);
  EXPECT_EQ(f.bytes[0], open.original_length + ack_packet.original_length);
  EXPECT_EQ(f.bytes[1], syn_ack.original_length);
  EXPECT_EQ(f.first_seen, at(10s));
  EXPECT_EQ(f.last_seen, at(12s));
  EXPECT_EQ(table.counters().flows, 1u);
}

TEST(Flow, UdpCountsAndOthersAreIgnored) {
  Capture cap;
  FlowTable table;
  Packet query = cap.packet(eth(0x0800, ipv4(17, udp(5000, 53, dns_query(1, "a.example")))));
  Packet answer =
      cap.packet(eth(0x0800, ipv4(17, udp(53, 5000, text("x")), {.src = server4, .dst = client4})));
  table.observe(query);
  const FlowRef r = table.observe(answer);
  ASSERT_TRUE(r);
  EXPECT_EQ(r.flow->protocol, 17);
  EXPECT_EQ(r.direction, 1);
  Packet icmp = cap.packet(eth(0x0800, ipv4(1, icmp_echo(8, 1, 1))));
  Packet arp = cap.packet(eth(0x0806, zeros(28)));
  Packet later_fragment = cap.packet(eth(0x0800, ipv4(17, text("rest"), {.fragment = 185})));
  EXPECT_FALSE(table.observe(icmp));
  EXPECT_FALSE(table.observe(arp));
  EXPECT_FALSE(table.observe(later_fragment));
  EXPECT_EQ(table.size(), 1u);
}

TEST(Flow, ReassemblesInOrderAndKeepsWhatIsNotConsumed) {
  Capture cap;
  FlowTable table({.reassemble = true});
  std::vector<std::string> offered;
  table.on_data([&](const Flow&, int, std::string_view bytes) -> std::size_t {
    offered.emplace_back(bytes);
    const auto end = bytes.rfind('\n');  // consumes complete lines only
    return end == std::string_view::npos ? 0 : end + 1;
  });
  Packet s1 = cap.packet(to_server(1000, syn));
  Packet d1 = cap.packet(to_server(1001, ack | psh, "USER ca"));
  Packet d2 = cap.packet(to_server(1008, ack | psh, "rol\r\nPA"));
  table.observe(s1);
  table.observe(d1);
  table.observe(d2);
  ASSERT_EQ(offered.size(), 2u);
  EXPECT_EQ(offered[0], "USER ca");
  EXPECT_EQ(offered[1], "USER carol\r\nPA");  // the unconsumed part comes back with more
}

TEST(Flow, OutOfOrderSegmentsWaitForTheHole) {
  Capture cap;
  FlowTable table({.reassemble = true});
  Collector got;
  got.attach(table);
  Packet first = cap.packet(to_server(1, ack, "aaaa"));
  Packet third = cap.packet(to_server(9, ack, "cccc"));
  Packet second = cap.packet(to_server(5, ack, "bbbb"));
  Packet again = cap.packet(to_server(3, ack, "aabb"));  // retransmits bytes already delivered
  table.observe(first);
  table.observe(third);
  EXPECT_EQ(got.stream[0], "aaaa");
  table.observe(second);
  EXPECT_EQ(got.stream[0], "aaaabbbbcccc");
  table.observe(again);
  EXPECT_EQ(got.stream[0], "aaaabbbbcccc");
  EXPECT_EQ(table.counters().duplicate_bytes, 4u);
  EXPECT_EQ(table.counters().gap_bytes, 0u);
}

TEST(Flow, AHoleThatNeverFillsIsSkippedAndCounted) {
  Capture cap;
  FlowTable table({.reassemble = true, .max_out_of_order = 2});
  Collector got;
  got.attach(table);
  std::vector<Packet> packets = {
      cap.packet(to_server(1, ack, "aa")), cap.packet(to_server(13, ack, "dd")),  // hole at 3..12
      cap.packet(to_server(15, ack, "ee")), cap.packet(to_server(17, ack, "ff"))};
  for (Packet& p : packets) table.observe(p);
  EXPECT_EQ(got.stream[0], "aaddeeff");
  EXPECT_EQ(table.counters().gap_bytes, 10u);
}

TEST(Flow, BufferedBytesAreBounded) {
  Capture cap;
  FlowTable table({.reassemble = true, .max_buffered_bytes = 10});
  std::size_t largest = 0;
  table.on_data([&](const Flow&, int, std::string_view bytes) -> std::size_t {
    largest = std::max(largest, bytes.size());
    return 0;  // a consumer that never takes anything
  });
  Packet a = cap.packet(to_server(1, ack, "0123456789ab"));
  Packet b = cap.packet(to_server(13, ack, "cdef"));
  table.observe(a);
  table.observe(b);
  EXPECT_EQ(largest, 10u);
  EXPECT_EQ(table.counters().bytes_dropped, 6u);
}

TEST(Flow, SequenceNumbersWrapAround) {
  Capture cap;
  FlowTable table({.reassemble = true});
  Collector got;
  got.attach(table);
  Packet a = cap.packet(to_server(0xfffffffe, ack, "abcd"));
  Packet b = cap.packet(to_server(2, ack, "efgh"));
  table.observe(a);
  table.observe(b);
  EXPECT_EQ(got.stream[0], "abcdefgh");
}

TEST(Flow, TheLeastRecentlySeenIsEvicted) {
  Capture cap;
  FlowTable table({.max_flows = 2});
  std::vector<std::pair<std::uint16_t, FlowEnd>> ended;
  table.on_end([&](const Flow& f, FlowEnd why) { ended.emplace_back(f.port[0], why); });
  std::vector<Packet> packets = {cap.packet(to_server(1, syn, {}, 1001)),
                                 cap.packet(to_server(1, syn, {}, 1002)),
                                 cap.packet(to_server(2, ack, {}, 1001)),  // 1001 seen again
                                 cap.packet(to_server(1, syn, {}, 1003))};
  for (Packet& p : packets) table.observe(p);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].first, 1002);
  EXPECT_EQ(ended[0].second, FlowEnd::evicted);
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.counters().evicted, 1u);
  std::vector<std::uint16_t> order;
  table.for_each([&](const Flow& f) { order.push_back(f.port[0]); });
  EXPECT_EQ(order, (std::vector<std::uint16_t>{1003, 1001}));
}

TEST(Flow, IdleFlowsExpire) {
  Capture cap;
  FlowTable table({.idle_timeout = 30s});
  std::vector<FlowEnd> ended;
  table.on_end([&](const Flow&, FlowEnd why) { ended.push_back(why); });
  Packet old = cap.packet(to_server(1, syn, {}, 1001), at(100s));
  Packet fresh = cap.packet(to_server(1, syn, {}, 1002), at(120s));
  Packet later = cap.packet(to_server(1, syn, {}, 1003), at(145s));
  table.observe(old);
  table.observe(fresh);
  EXPECT_TRUE(ended.empty());
  table.observe(later);  // 1001 has been silent 45 s, 1002 only 25 s
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0], FlowEnd::expired);
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.counters().expired, 1u);
}

TEST(Flow, FinBothWaysClosesAndANewSynStartsANewFlow) {
  Capture cap;
  FlowTable table({.reassemble = true});
  std::vector<std::uint64_t> ended_ids;
  table.on_end([&](const Flow& f, FlowEnd why) {
    EXPECT_EQ(why, FlowEnd::closed);
    ended_ids.push_back(f.id);
  });
  std::vector<Packet> first = {cap.packet(to_server(1, syn)), cap.packet(to_client(1, syn | ack)),
                               cap.packet(to_server(2, fin | ack)),
                               cap.packet(to_client(2, fin | ack)),
                               cap.packet(to_server(3, ack))};  // the last ACK: same flow
  FlowRef r;
  for (Packet& p : first) r = table.observe(p);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r.flow->closed());
  EXPECT_EQ(r.flow->id, 0u);
  EXPECT_EQ(table.size(), 1u);
  Packet reuse = cap.packet(to_server(5000, syn));
  r = table.observe(reuse);
  ASSERT_TRUE(r);
  EXPECT_EQ(r.flow->id, 1u);
  EXPECT_FALSE(r.flow->closed());
  EXPECT_EQ(ended_ids, std::vector<std::uint64_t>{0});
  EXPECT_EQ(table.counters().closed, 1u);

  Packet reset = cap.packet(to_client(9, rst));
  r = table.observe(reset);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r.flow->reset);
}

TEST(Flow, FinishEndsEveryFlowOnce) {
  Capture cap;
  FlowTable table;
  std::size_t ended = 0;
  table.on_end([&](const Flow&, FlowEnd) { ++ended; });
  for (unsigned port = 1000; port < 1050; ++port) {
    Packet p = cap.packet(to_server(1, syn, {}, port));
    table.observe(p);
  }
  EXPECT_EQ(table.size(), 50u);
  table.finish();
  EXPECT_EQ(ended, 50u);
  EXPECT_EQ(table.size(), 0u);
}

// Many flows coming and going keep the table consistent (the open-addressing deletions).
TEST(Flow, ChurnKeepsLookupsRight) {
  Capture cap;
  FlowTable table({.max_flows = 64});
  for (unsigned round = 0; round < 3; ++round) {
    for (unsigned port = 1; port <= 500; ++port) {
      Packet p = cap.packet(to_server(1, ack, {}, 20000 + port, 80 + round));
      table.observe(p);
    }
  }
  EXPECT_EQ(table.size(), 64u);
  EXPECT_EQ(table.counters().flows, 1500u);
  // The last 64 flows are all findable: seeing them again creates nothing.
  for (unsigned port = 437; port <= 500; ++port) {
    Packet p = cap.packet(to_server(2, ack, {}, 20000 + port, 82));
    const FlowRef again = table.observe(p);
    ASSERT_TRUE(again);
    EXPECT_EQ(again.flow->packets[0], 2u) << port;
  }
  EXPECT_EQ(table.counters().flows, 1500u);
}

TEST(Flow, TlsSessionVersionNamesLaterRecords) {
  Capture cap;
  FlowTable table;
  // A conversation on a port TLS is not registered on: recognised by its handshake.
  const Bytes hello = Bytes{22, 3, 1} + be16(8) + Bytes{1, 0, 0, 4, 3, 3, 0, 0};
  Bytes server_hello_body = be16(0x0303) + zeros(32) + Bytes{0} + be16(0x1301) + Bytes{0};
  const Bytes versions = be16(43) + be16(2) + be16(0x0304);
  server_hello_body = server_hello_body + be16(static_cast<unsigned>(versions.size())) + versions;
  const Bytes server_hello =
      Bytes{22, 3, 3} + be16(static_cast<unsigned>(server_hello_body.size() + 4)) + Bytes{2, 0} +
      be16(static_cast<unsigned>(server_hello_body.size())) + server_hello_body;
  const Bytes change_cipher = Bytes{20, 3, 3, 0, 1, 1};
  const Bytes app_data = Bytes{23, 3, 3, 0, 2, 0xaa, 0xbb};
  const auto frame = [](bool from_client, const Bytes& payload) {
    return from_client ? eth(0x0800, ipv4(6, tcp(40000, 9443, 1, ack | psh, payload)))
                       : eth(0x0800, ipv4(6, tcp(9443, 40000, 1, ack | psh, payload),
                                          {.src = server4, .dst = client4}));
  };
  std::vector<Packet> packets = {
      cap.packet(frame(true, hello)), cap.packet(frame(false, server_hello)),
      cap.packet(frame(false, change_cipher)), cap.packet(frame(true, app_data))};
  std::vector<std::string> names;
  for (Packet& p : packets) {
    table.observe(p);
    names.emplace_back(protocol_name(p).view());
  }
  // Alone, the ChangeCipherSpec segment is TCP (no heuristic takes it) and the application
  // data TLSv1.2 (its record version); in the conversation both are TLS 1.3, as in tshark.
  EXPECT_EQ(names, (std::vector<std::string>{"TLSv1", "TLSv1.3", "TLSv1.3", "TLSv1.3"}));
  EXPECT_EQ(protocol_name(dissect_bytes(frame(false, change_cipher))).view(), "TCP");
  EXPECT_EQ(packets[1].tls.session_version, 0x0304);
}

// tshark shows an HTTP message whose body spans segments as TCP until its last segment, which
// it names HTTP; the flow table does the same with the bodies it can follow.
TEST(Flow, HttpMessagesEndInTheSegmentThatCompletesThem) {
  Capture cap;
  FlowTable table;
  const auto names = [&](const std::vector<Bytes>& frames) {
    std::string out;
    for (const Bytes& f : frames) {
      Packet p = cap.packet(f);
      table.observe(p);
      out += std::string(protocol_name(p).view()) + (p.http.reassembled ? "*" : "") + " ";
    }
    return out;
  };
  EXPECT_EQ(names({to_server(1, ack | psh, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
                   to_client(1, ack | psh, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab"),
                   to_server(30, ack),  // an ACK carries nothing
                   to_client(50, ack | psh, "cdef"), to_client(54, ack | psh, "ghij")}),
            "HTTP TCP TCP TCP HTTP* ");

  // The segment that ends the message shows its start line, as tshark's Info does.
  Packet start =
      cap.packet(to_client(1, ack | psh, "HTTP/1.0 200 OK\r\nServer: x\r\n\r\n", 40001, 8000));
  Packet body = cap.packet(to_client(30, ack | psh, "<html></html>", 40001, 8000));
  Packet fin_packet = cap.packet(to_client(43, fin | ack, {}, 40001, 8000));
  table.observe(start);
  table.observe(body);
  table.observe(fin_packet);
  EXPECT_EQ(protocol_name(start).view(), "TCP");  // runs to the end of the connection
  EXPECT_EQ(protocol_name(body).view(), "TCP");
  EXPECT_EQ(protocol_name(fin_packet).view(), "HTTP");
  EXPECT_EQ(fin_packet.http.status, 200);
  EXPECT_EQ(info(fin_packet), "HTTP/1.0 200 OK ");

  Packet chunked = cap.packet(to_client(
      1, ack | psh, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n", 40002));
  Packet last = cap.packet(to_client(60, ack | psh, "0\r\n\r\n", 40002));
  table.observe(chunked);
  table.observe(last);
  EXPECT_EQ(protocol_name(chunked).view(), "TCP");
  EXPECT_EQ(protocol_name(last).view(), "HTTP");
}

// What else a client sends in an HTTP conversation: tshark's "Continuation", unless it could be
// a request line still arriving (printable, no line end yet: TCP). A server's is TCP.
TEST(Flow, HttpContinuationData) {
  Capture cap;
  FlowTable table;
  const auto shown = [&](const Bytes& f) {
    Packet p = cap.packet(f);
    table.observe(p);
    return std::string(protocol_name(p).view()) + " " + info(p).substr(0, 12);
  };
  shown(to_server(1, ack | psh, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  EXPECT_EQ(shown(to_server(28, ack | psh, "\x99\x98\x97")), "HTTP Continuation");
  EXPECT_EQ(shown(to_server(31, ack | psh, "more text\r\n")), "HTTP Continuation");
  EXPECT_EQ(shown(to_server(42, ack | psh, "partial")), "TCP 40000 → 80");
  EXPECT_EQ(shown(to_client(1, ack | psh, "\x99\x98\x97")), "TCP 80 → 40000");
}

// With a snapshot length, tshark cannot reassemble: a cut response shows at once, and the
// segments carrying the rest of its body are HTTP "Continuation".
TEST(Flow, SnappedHttpResponseAndItsBody) {
  std::vector<Bytes> frames = {
      to_client(1, ack | psh,
                "HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n" + std::string(100, 'a')),
      to_client(200, ack | psh, std::string(200, 'b')),
      to_client(400, ack | psh, std::string(50, 'c'))};  // after the body: not continuation
  FlowTable table;
  std::vector<std::string> names;
  for (const Bytes& f : frames) {
    const Bytes cut(f.begin(), f.begin() + 100);  // the first keeps its whole head
    Packet p = dissect(LinkType::ethernet, Timestamp{}, cut, static_cast<std::uint32_t>(f.size()));
    table.observe(p);
    names.push_back(std::string(protocol_name(p).view()) + " " + info(p).substr(0, 12));
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"HTTP HTTP/1.1 200", "HTTP Continuation", "TCP 80 → 40000"}));
}

}  // namespace
}  // namespace wirekit::capture
