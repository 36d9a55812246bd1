#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <tuple>
#include <variant>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wirekit/capture/source.hpp>

#include "capture/capture_files.hpp"
#include "test_support.hpp"

namespace wirekit::capture {
namespace {

using test::Bytes;
using test::TestFrame;

constexpr std::uint64_t t0 = 1'700'000'000'000'000;  // µs since the epoch

std::vector<TestFrame> sample_frames() {
  return {
      {t0, test::ipv4_frame({10, 0, 0, 1}, {10, 0, 0, 2}, test::tcp_protocol, 1000, 80, "GET /")},
      {t0 + 1500, test::ipv4_frame({10, 0, 0, 3}, {10, 0, 0, 4}, test::udp_protocol, 5353, 53,
                                   test::dns_query(1, "example.com"))},
      {t0 + 2'000'001, test::ipv6_frame({0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
                                        {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2},
                                        test::tcp_protocol, 40000, 443, "x")},
  };
}

Timestamp at_us(std::uint64_t us) {
  return Timestamp(std::chrono::microseconds(us));
}

std::vector<Frame> read_all(PcapFile& file, std::vector<Bytes>& copies) {
  std::vector<Frame> frames;
  Frame frame;
  while (file.next(frame)) {
    copies.emplace_back(frame.bytes.begin(), frame.bytes.end());
    frames.push_back(frame);
  }
  return frames;
}

void expect_sample(PcapFile& file) {
  const std::vector<TestFrame> expected = sample_frames();
  std::vector<Bytes> copies;
  const std::vector<Frame> frames = read_all(file, copies);
  ASSERT_EQ(frames.size(), expected.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].link_type, LinkType::ethernet);
    EXPECT_EQ(frames[i].timestamp, at_us(expected[i].time_us)) << i;
    EXPECT_EQ(copies[i], expected[i].bytes) << i;
    EXPECT_EQ(frames[i].original_length, expected[i].bytes.size());
  }
  EXPECT_EQ(file.damage(), "");
}

TEST(PcapFile, ReadsClassicPcap) {
  test::TempDir dir;
  test::write_pcap(dir.file("a.pcap"), sample_frames());
  PcapFile file(dir.file("a.pcap"));
  EXPECT_EQ(file.link_type(), LinkType::ethernet);
  EXPECT_EQ(file.snapshot_length(), 262144u);
  expect_sample(file);
}

TEST(PcapFile, ReadsPcapng) {
  test::TempDir dir;
  test::write_pcapng(dir.file("a.pcapng"), sample_frames());
  PcapFile file(dir.file("a.pcapng"));
  expect_sample(file);
}

TEST(PcapFile, KeepsTheOriginalLengthOfSnappedFrames) {
  test::TempDir dir;
  TestFrame snapped{t0, test::ipv4_frame({10, 0, 0, 1}, {10, 0, 0, 2}, test::udp_protocol, 1, 2),
                    1514};
  test::write_pcap(dir.file("s.pcap"), {snapped});
  PcapFile file(dir.file("s.pcap"));
  Frame frame;
  ASSERT_TRUE(file.next(frame));
  EXPECT_EQ(frame.bytes.size(), 60u);
  EXPECT_EQ(frame.original_length, 1514u);
}

TEST(PcapFile, AppliesABpfFilter) {
  test::TempDir dir;
  test::write_pcap(dir.file("a.pcap"), sample_frames());
  PcapFile udp(dir.file("a.pcap"), "udp port 53");
  std::vector<Bytes> copies;
  ASSERT_EQ(read_all(udp, copies).size(), 1u);
  EXPECT_EQ(copies[0], sample_frames()[1].bytes);

  PcapFile ip6(dir.file("a.pcap"), "ip6 and tcp port 443");
  copies.clear();
  ASSERT_EQ(read_all(ip6, copies).size(), 1u);
  EXPECT_EQ(copies[0], sample_frames()[2].bytes);
}

TEST(PcapFile, RefusesABadFilterWithLibpcapsReason) {
  test::TempDir dir;
  test::write_pcap(dir.file("a.pcap"), sample_frames());
  try {
    PcapFile file(dir.file("a.pcap"), "tcp prot 80");
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("invalid filter 'tcp prot 80': "), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("syntax error"), std::string::npos) << e.what();
  }
}

TEST(PcapFile, NamesAMissingFile) {
  try {
    PcapFile file("/nonexistent/trace.pcap");
    FAIL() << "opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
    EXPECT_STREQ(e.what(), "cannot open /nonexistent/trace.pcap: No such file or directory");
  }
}

TEST(PcapFile, RefusesAFileThatIsNotACapture) {
  test::TempDir dir;
  std::ofstream(dir.file("notes.txt")) << "these are not packets\n";
  try {
    PcapFile file(dir.file("notes.txt"));
    FAIL() << "opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument);
    EXPECT_EQ(
        std::string(e.what()),
        dir.file("notes.txt") + " is not a capture file libpcap can read: unknown file format");
  }
}

TEST(PcapFile, StopsAtAFileCutShortAndSaysWhy) {
  test::TempDir dir;
  test::write_pcap(dir.file("a.pcap"), sample_frames());
  const auto size = std::filesystem::file_size(dir.file("a.pcap"));
  std::filesystem::resize_file(dir.file("a.pcap"), size - 10);
  PcapFile file(dir.file("a.pcap"));
  std::vector<Bytes> copies;
  EXPECT_EQ(read_all(file, copies).size(), 2u);
  EXPECT_NE(file.damage().find("truncated"), std::string::npos) << file.damage();
}

TEST(PcapWriter, WritesAPcapThatReadsBack) {
  test::TempDir dir;
  const std::string path = dir.file("out.pcap");
  {
    PcapWriter writer(path, LinkType::ethernet, 262144);
    for (const TestFrame& f : sample_frames()) {
      writer.write({.link_type = LinkType::ethernet,
                    .timestamp = at_us(f.time_us),
                    .bytes = f.bytes,
                    .original_length = static_cast<std::uint32_t>(f.bytes.size())});
    }
    EXPECT_FALSE(std::filesystem::exists(path)) << "visible before it is complete";
    EXPECT_TRUE(std::filesystem::exists(path + ".part"));
    writer.finish();
    EXPECT_EQ(writer.frames_written(), 3u);
  }
  EXPECT_FALSE(std::filesystem::exists(path + ".part"));
  PcapFile file(path);
  expect_sample(file);
}

TEST(PcapWriter, LeavesNothingWhenNotFinished) {
  test::TempDir dir;
  const std::string path = dir.file("out.pcap");
  {
    PcapWriter writer(path, LinkType::ethernet, 65535);
    const Bytes bytes = sample_frames()[0].bytes;
    writer.write({.link_type = LinkType::ethernet,
                  .timestamp = at_us(t0),
                  .bytes = bytes,
                  .original_length = 60});
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".part"));
}

TEST(PcapWriter, NamesADirectoryItCannotWriteTo) {
  try {
    PcapWriter writer("/nonexistent/out.pcap", LinkType::ethernet, 65535);
    FAIL() << "opened";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "cannot write /nonexistent/out.pcap.part: No such file or directory");
  }
}

// ---- live capture on loopback (needs CAP_NET_RAW; skipped without it)

std::optional<LiveCapture> open_loopback(const std::string& filter) {
  try {
    return LiveCapture::open({.interface = "lo", .filter = filter});
  } catch (const Error& e) {
    if (e.code() == std::errc::operation_not_permitted) return std::nullopt;
    throw;
  }
}

void send_udp(std::uint16_t port, std::string_view text) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::sendto(fd, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
            static_cast<ssize_t>(text.size()));
  ::close(fd);
}

TEST(LiveCapture, CapturesLoopbackTrafficUpToACount) {
  auto live = open_loopback("udp port 47811");
  if (!live) GTEST_SKIP() << "no CAP_NET_RAW: live capture on lo is not permitted";
  EXPECT_EQ(live->link_type(), LinkType::ethernet);  // Linux's lo has an Ethernet header
  for (int i = 0; i < 5; ++i) send_udp(47811, "ping " + std::to_string(i));
  std::vector<std::string> payloads;
  // Ethernet 14 + IPv4 20 + UDP 8 bytes before the payload.
  std::function<void(const Frame&)> keep_payload = [&](const Frame& f) {
    payloads.emplace_back(reinterpret_cast<const char*>(f.bytes.data()) + 42, f.bytes.size() - 42);
  };
  const CaptureEnd end = test::run(
      live->run({.count = 3, .duration = std::chrono::seconds(10)}, std::move(keep_payload)));
  EXPECT_EQ(end, CaptureEnd::count_reached);
  EXPECT_EQ(payloads, (std::vector<std::string>{"ping 0", "ping 1", "ping 2"}));
}

TEST(LiveCapture, WaitsInTheLoopForLaterTraffic) {
  auto live = open_loopback("udp port 47812");
  if (!live) GTEST_SKIP() << "no CAP_NET_RAW: live capture on lo is not permitted";
  std::size_t frames = 0;
  const CaptureEnd end = test::run([&]() -> Task<CaptureEnd> {
    auto sender = [&]() -> Task<void> {
      co_await sleep(std::chrono::milliseconds(50));
      send_udp(47812, "late");
    };
    std::function<void(const Frame&)> count = [&](const Frame&) { ++frames; };
    Task<void> sending = sender();
    Task<CaptureEnd> capturing =
        live->run({.count = 1, .duration = std::chrono::seconds(10)}, std::move(count));
    Task<std::tuple<std::monostate, CaptureEnd>> both =
        when_all(std::move(sending), std::move(capturing));
    const auto results = co_await both;
    co_return std::get<1>(results);
  }());
  EXPECT_EQ(end, CaptureEnd::count_reached);
  EXPECT_EQ(frames, 1u);
}

TEST(LiveCapture, EndsAfterItsDuration) {
  auto live = open_loopback("udp port 47813");
  if (!live) GTEST_SKIP() << "no CAP_NET_RAW: live capture on lo is not permitted";
  const auto start = std::chrono::steady_clock::now();
  const CaptureEnd end =
      test::run(live->run({.duration = std::chrono::milliseconds(100)}, [](const Frame&) {}));
  EXPECT_EQ(end, CaptureEnd::duration_elapsed);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
}

TEST(LiveCapture, StopsCleanlyWhenItsTaskIsCancelled) {
  auto live = open_loopback("udp port 47814");
  if (!live) GTEST_SKIP() << "no CAP_NET_RAW: live capture on lo is not permitted";
  const CaptureEnd end = test::run([&]() -> Task<CaptureEnd> {
    std::stop_source stop;
    auto stopper = [&]() -> Task<void> {
      co_await sleep(std::chrono::milliseconds(30));
      stop.request_stop();
    };
    Task<void> stopping = stopper();
    Task<CaptureEnd> capturing = live->run({}, [](const Frame&) {});
    capturing.add_stop_token(stop.get_token());
    Task<std::tuple<std::monostate, CaptureEnd>> both =
        when_all(std::move(stopping), std::move(capturing));
    const auto results = co_await both;
    co_return std::get<1>(results);
  }());
  EXPECT_EQ(end, CaptureEnd::stopped);
}

TEST(LiveCapture, NamesAnUnknownInterface) {
  try {
    LiveCapture::open({.interface = "nosuch0"});
    FAIL() << "opened";
  } catch (const Error& e) {
    if (e.code() == std::errc::operation_not_permitted) GTEST_SKIP() << e.what();
    EXPECT_EQ(e.code(), errc::invalid_argument);
    EXPECT_STREQ(e.what(), "no interface named 'nosuch0' to capture on (see ip link)");
  }
}

TEST(LiveCapture, SaysCapNetRawIsNeededWithoutIt) {
  EXPECT_EXIT(
      {
        // As root, become nobody first: then the capture has no permission.
        if (::geteuid() == 0 && ::setuid(65534) != 0) std::_Exit(5);
        try {
          LiveCapture::open({.interface = "lo"});
        } catch (const Error& e) {
          std::fputs(e.what(), stderr);
          std::_Exit(e.code() == std::errc::operation_not_permitted ? 3 : 4);
        }
        std::_Exit(6);
      },
      testing::ExitedWithCode(3),
      "capturing on lo needs CAP_NET_RAW \\(run as root or grant it: setcap "
      "cap_net_raw,cap_net_admin=eip wirekit\\)");
}

}  // namespace
}  // namespace wirekit::capture
