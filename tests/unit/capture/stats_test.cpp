#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <wirekit/capture/source.hpp>
#include <wirekit/capture/stats.hpp>

#include "capture/capture_files.hpp"

namespace wirekit::capture {
namespace {

using test::TestFrame;

constexpr std::uint64_t t0 = 1'700'000'000'000'000;  // µs since the epoch
constexpr test::Ip4 host1{10, 0, 0, 1}, host2{10, 0, 0, 2}, host3{10, 0, 0, 3}, host4{10, 0, 0, 4};

CaptureStats stats_of(const std::vector<TestFrame>& frames, StatsOptions options = {}) {
  test::TempDir dir;
  test::write_pcap(dir.file("t.pcap"), frames);
  PcapFile file(dir.file("t.pcap"));
  StatsCollector collector;
  Frame frame;
  Packet packet;
  while (file.next(frame)) {
    dissect_into(packet, frame.link_type, frame.timestamp, frame.bytes, frame.original_length);
    collector.add(packet);
  }
  return collector.finish(options);
}

TestFrame tcp(std::uint64_t at, test::Ip4 src, test::Ip4 dst, std::uint16_t sport,
              std::uint16_t dport, std::size_t payload) {
  return {t0 + at,
          test::ipv4_frame(src, dst, test::tcp_protocol, sport, dport, std::string(payload, 'x'))};
}

// The capture behind the table below: three TCP conversations, both directions, one frame
// each 1.5 ms.
std::vector<TestFrame> three_conversations() {
  return {
      tcp(1500, host1, host2, 1000, 80, 10),  tcp(3000, host2, host1, 80, 1000, 500),
      tcp(4500, host2, host1, 80, 1000, 500), tcp(6000, host3, host1, 2000, 22, 5),
      tcp(7500, host1, host3, 22, 2000, 5),   tcp(9000, host3, host1, 2000, 22, 5),
      tcp(10500, host3, host1, 2000, 22, 5),  tcp(12000, host2, host3, 5, 6, 1400),
  };
}

// What `tshark -r FILE -q -z conv,tcp` (tshark 4.0.17) printed for that capture.
constexpr std::string_view tshark_table =
    "================================================================================\n"
    "TCP Conversations\n"
    "Filter:<No Filter>\n"
    "                                                           |       <-      | |       ->      "
    "| |     Total     |    Relative    |   Duration   |\n"
    "                                                           | Frames  Bytes | | Frames  Bytes "
    "| | Frames  Bytes |      Start     |              |\n"
    "10.0.0.3:2000              <-> 10.0.0.1:22                      1 60 bytes        3 180 bytes "
    "      4 240 bytes     0.004500000         0.0045\n"
    "10.0.0.1:1000              <-> 10.0.0.2:80                      2 1108 bytes       1 64 bytes "
    "       3 1172 bytes     0.000000000         0.0030\n"
    "10.0.0.2:5                 <-> 10.0.0.3:6                       0 0 bytes         1 1454 "
    "bytes       1 1454 bytes     0.010500000         0.0000\n"
    "================================================================================\n";

TEST(Stats, ConversationTableMatchesTshark) {
  const CaptureStats stats = stats_of(three_conversations(), {.top = 0});
  std::string table;
  append_conversation_table(table, "TCP", stats.tcp, stats.first, "");
  EXPECT_EQ(table, tshark_table);
}

TEST(Stats, ConversationsCountEachDirectionFromTheFirstSender) {
  const CaptureStats stats = stats_of(three_conversations(), {.top = 0});
  ASSERT_EQ(stats.tcp.size(), 3u);
  EXPECT_EQ(stats.tcp_count, 3u);
  const Conversation& ssh = stats.tcp[0];  // most frames first
  EXPECT_EQ(ssh.a.to_string(), "10.0.0.3");
  EXPECT_EQ(ssh.port_a, 2000);
  EXPECT_EQ(ssh.b.to_string(), "10.0.0.1");
  EXPECT_EQ(ssh.frames_a_to_b, 3u);
  EXPECT_EQ(ssh.frames_b_to_a, 1u);
  EXPECT_EQ(ssh.bytes_a_to_b, 180u);
  EXPECT_EQ(ssh.last - ssh.first, std::chrono::microseconds(4500));
  EXPECT_TRUE(stats.udp.empty());
}

TEST(Stats, TopCutsTheListsButCountsEverything) {
  const CaptureStats stats = stats_of(three_conversations(), {.top = 1});
  EXPECT_EQ(stats.tcp.size(), 1u);
  EXPECT_EQ(stats.tcp_count, 3u);
  EXPECT_EQ(stats.top_by_bytes.size(), 1u);
  EXPECT_EQ(stats.talker_count, 3u);
}

TEST(Stats, SizesSwitchToKilobytesAtTenThousandAsTsharkDoes) {
  std::vector<TestFrame> frames;
  for (std::uint64_t i = 0; i < 8; ++i) frames.push_back(tcp(1000 * i, host1, host3, 7, 8, 1400));
  const CaptureStats stats = stats_of(frames);
  std::string table;
  append_conversation_table(table, "TCP", stats.tcp, stats.first, "");
  // tshark: "10.0.0.1:7 <-> 10.0.0.3:8 ... 0 0 bytes  8 11 kB  8 11 kB ..."
  EXPECT_NE(table.find("10.0.0.1:7                 <-> 10.0.0.3:8                       0 0 "
                       "bytes         8 11 kB           8 11 kB         0.000000000         "
                       "0.0070\n"),
            std::string::npos)
      << table;
}

TEST(Stats, CountsPacketsBytesAndTime) {
  const CaptureStats stats = stats_of(three_conversations());
  EXPECT_EQ(stats.packets, 8u);
  EXPECT_EQ(stats.bytes, 64u + 554 + 554 + 60 + 60 + 60 + 60 + 1454);
  EXPECT_EQ(stats.captured_bytes, stats.bytes);
  EXPECT_EQ(stats.duration(), std::chrono::microseconds(10500));
  EXPECT_EQ(stats.truncated + stats.malformed + stats.unsupported, 0u);
}

TEST(Stats, RanksTalkersByBytesAndByPackets) {
  const CaptureStats stats = stats_of(three_conversations());
  ASSERT_EQ(stats.top_by_bytes.size(), 3u);
  // 10.0.0.2 sent 554 + 554 + 1454 and received 64: the most bytes.
  EXPECT_EQ(stats.top_by_bytes[0].address.to_string(), "10.0.0.2");
  EXPECT_EQ(stats.top_by_bytes[0].tx_bytes, 554u + 554 + 1454);
  EXPECT_EQ(stats.top_by_bytes[0].rx_bytes, 64u);
  // 10.0.0.1 is in 7 of the 8 packets.
  EXPECT_EQ(stats.top_by_packets[0].address.to_string(), "10.0.0.1");
  EXPECT_EQ(stats.top_by_packets[0].packets(), 7u);
}

TEST(Stats, CountsProtocolsDnsNamesAndUdpConversations) {
  std::vector<TestFrame> frames = {
      {t0, test::ipv4_frame(host1, host4, test::udp_protocol, 5000, 53,
                            test::dns_query(1, "example.com"))},
      {t0 + 10, test::ipv4_frame(host2, host4, test::udp_protocol, 5001, 53,
                                 test::dns_query(2, "example.com"))},
      {t0 + 20, test::ipv4_frame(host1, host4, test::udp_protocol, 5000, 53,
                                 test::dns_query(3, "wirekit.test"))},
      {t0 + 30, test::ipv4_frame(host1, host2, test::icmp_protocol, 0, 0, "ping")},
      {t0 + 40, test::ipv4_frame(host1, host2, test::tcp_protocol, 1234, 80,
                                 "GET / HTTP/1.1\r\nHost: a\r\n\r\n")},
  };
  const CaptureStats stats = stats_of(frames);
  ASSERT_EQ(stats.protocols.size(), 3u);
  EXPECT_EQ(stats.protocols[0].name, "DNS");
  EXPECT_EQ(stats.protocols[0].packets, 3u);
  EXPECT_EQ(stats.dns_name_count, 2u);
  ASSERT_EQ(stats.dns_queries.size(), 2u);
  EXPECT_EQ(stats.dns_queries[0].name, "example.com");
  EXPECT_EQ(stats.dns_queries[0].count, 2u);
  EXPECT_EQ(stats.dns_queries[1].name, "wirekit.test");
  // Two DNS conversations (5000 and 5001 to port 53), the first with two queries.
  ASSERT_EQ(stats.udp.size(), 2u);
  EXPECT_EQ(stats.udp[0].port_a, 5000);
  EXPECT_EQ(stats.udp[0].frames(), 2u);
  EXPECT_EQ(stats.tcp.size(), 1u);
}

TEST(Stats, CountsTruncatedPackets) {
  TestFrame cut = tcp(0, host1, host2, 1, 2, 100);
  cut.original_length = static_cast<std::uint32_t>(cut.bytes.size());
  cut.bytes.resize(30);  // inside the IPv4 header
  const CaptureStats stats = stats_of({cut, tcp(10, host1, host2, 1, 2, 1)});
  EXPECT_EQ(stats.packets, 2u);
  EXPECT_EQ(stats.truncated, 1u);
  EXPECT_EQ(stats.bytes, cut.original_length + 60u);
  EXPECT_EQ(stats.captured_bytes, 30u + 60);
}

TEST(Stats, TimelineBucketsWidenToSpanTheCapture) {
  std::vector<TestFrame> frames;
  for (std::uint64_t i = 0; i <= 60; ++i)
    frames.push_back(tcp(i * 60'000'000, host1, host2, 1, 2, 0));
  const CaptureStats stats = stats_of(frames);  // an hour, a packet a minute
  const Timeline& t = stats.timeline;
  EXPECT_LE(t.packets.size(), 600u);
  EXPECT_GE(t.bucket * static_cast<long>(t.packets.size()), std::chrono::hours(1));
  std::uint64_t packets = 0, bytes = 0;
  for (std::size_t i = 0; i < t.packets.size(); ++i) packets += t.packets[i], bytes += t.bytes[i];
  EXPECT_EQ(packets, 61u);
  EXPECT_EQ(bytes, stats.bytes);
}

TEST(Stats, TextHasEverySection) {
  const std::string text = format_text(stats_of(three_conversations()), {.source = "t.pcap"});
  for (const char* part :
       {"Capture:   t.pcap\n", "Packets:   8\n", "Protocols\n", "Top talkers by bytes",
        "Top talkers by packets", "TCP Conversations", "UDP Conversations", "DNS names queried"}) {
    EXPECT_NE(text.find(part), std::string::npos) << part;
  }
}

TEST(Stats, JsonHasTheSameFigures) {
  const nlohmann::json j = to_json(stats_of(three_conversations(), {.top = 0}));
  EXPECT_EQ(j["packets"], 8);
  EXPECT_EQ(j["tcp_conversations"]["count"], 3);
  const nlohmann::json& first = j["tcp_conversations"]["conversations"][0];
  EXPECT_EQ(first["a"], "10.0.0.3");
  EXPECT_EQ(first["port_b"], 22);
  EXPECT_EQ(first["frames_a_to_b"], 3);
  EXPECT_EQ(first["bytes"], 240);
  EXPECT_DOUBLE_EQ(first["relative_start"].get<double>(), 0.0045);
  EXPECT_EQ(j["talkers"]["by_bytes"][0]["address"], "10.0.0.2");
  EXPECT_EQ(j["first"], "2023-11-14T22:13:20.001500000Z");
  EXPECT_EQ(j["timeline"]["packets"].size(),
            stats_of(three_conversations()).timeline.packets.size());
}

TEST(Stats, EmptyCaptureHasZeroesAndNoTime) {
  const CaptureStats stats = stats_of({});
  EXPECT_EQ(stats.packets, 0u);
  EXPECT_TRUE(stats.protocols.empty());
  EXPECT_FALSE(to_json(stats).contains("first"));
  EXPECT_NE(format_text(stats).find("Packets:   0\n"), std::string::npos);
}

}  // namespace
}  // namespace wirekit::capture
