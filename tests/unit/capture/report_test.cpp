#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include <wirekit/capture/report.hpp>
#include <wirekit/core/error.hpp>

namespace wirekit::capture {
namespace {

net::IpAddress ipv4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  const std::uint8_t bytes[4] = {a, b, c, d};
  return net::IpAddress::from_v4_bytes(bytes);
}

CaptureStats sample() {
  CaptureStats s;
  s.packets = 3;
  s.bytes = 1800;
  s.captured_bytes = 1800;
  s.first = Timestamp(std::chrono::seconds(1'700'000'000));
  s.last = s.first + std::chrono::seconds(2);
  s.protocols = {{"TCP", 2, 1600}, {"DNS", 1, 200}};
  Talker talker{ipv4(10, 0, 0, 1), 2, 1600, 1, 200};
  s.top_by_bytes = {talker};
  s.top_by_packets = {talker};
  s.talker_count = 2;
  Conversation c{ipv4(10, 0, 0, 1), ipv4(10, 0, 0, 2), 1000, 80, 2, 1600, 0, 0, s.first, s.last};
  s.tcp = {c};
  s.tcp_count = 1;
  s.dns_queries = {{"<img src=x>.example", 1}};
  s.dns_name_count = 1;
  s.timeline = {std::chrono::seconds(1), {2, 0, 1}, {1600, 0, 200}};
  return s;
}

TEST(Report, IsOneCompletePageWithItsCharts) {
  const std::string page = render_html_report(sample(), {.source = "trace.pcap"});
  EXPECT_EQ(page.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(page.substr(page.size() - 15), "</body></html>\n");
  EXPECT_NE(page.find("<title>Capture report: trace.pcap</title>"), std::string::npos);
  for (const char* section : {"Traffic over time", "Protocol share", "Top talkers",
                              "TCP conversations", "UDP conversations", "DNS names queried"}) {
    EXPECT_NE(page.find(section), std::string::npos) << section;
  }
  // Traffic (two charts), the protocol donut and the talker bars.
  const std::regex svg("<svg ");
  EXPECT_EQ(
      std::distance(std::sregex_iterator(page.begin(), page.end(), svg), std::sregex_iterator()),
      4);
  EXPECT_NE(page.find("<td>10.0.0.1</td><td class=\"num\">1000</td><td>10.0.0.2</td>"),
            std::string::npos);
}

TEST(Report, FetchesNothing) {
  const std::string page = render_html_report(sample());
  EXPECT_EQ(page.find("http://"), std::string::npos);
  EXPECT_EQ(page.find("https://"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
  EXPECT_EQ(page.find("<script src"), std::string::npos);
  EXPECT_EQ(page.find("url("), std::string::npos);
  EXPECT_EQ(page.find("@import"), std::string::npos);
}

TEST(Report, EscapesNamesFromTheCapture) {
  const std::string page = render_html_report(sample());
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_NE(page.find("&lt;img src=x&gt;.example"), std::string::npos);
}

TEST(Report, SaysSoForAnEmptyCapture) {
  const std::string page = render_html_report(CaptureStats{});
  EXPECT_NE(page.find("The capture holds no packets."), std::string::npos);
  EXPECT_EQ(page.find("<svg "), std::string::npos);
}

TEST(Report, IsWrittenWholeOrNotAtAll) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("wirekit-report-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "report.html").string();
  write_html_report(sample(), path, {.source = "trace.pcap"});
  std::stringstream written;
  written << std::ifstream(path).rdbuf();
  EXPECT_EQ(written.str(), render_html_report(sample(), {.source = "trace.pcap"}));
  EXPECT_FALSE(std::filesystem::exists(path + ".part"));

  const std::string unwritable = (dir / "missing" / "report.html").string();
  EXPECT_THROW(write_html_report(sample(), unwritable), Error);
  EXPECT_FALSE(std::filesystem::exists(unwritable));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wirekit::capture
