#include <gtest/gtest.h>

#include <wirekit/net/address.hpp>

namespace wirekit::net {
namespace {

TEST(Address, ParsesHostPortForms) {
  EXPECT_EQ(parse_host_port("localhost:80").host, "localhost");
  EXPECT_EQ(parse_host_port("localhost:80").port, 80);
  EXPECT_EQ(parse_host_port("10.1.2.3:65535").port, 65535);
  EXPECT_EQ(parse_host_port("[::1]:8080").host, "::1");
  EXPECT_EQ(parse_host_port("[::1]:8080").port, 8080);
  EXPECT_EQ(parse_host_port("example.com", 443).port, 443);
  EXPECT_EQ(parse_host_port("[2001:db8::1]", 53).host, "2001:db8::1");
}

TEST(Address, RejectsMalformedHostPortWithTheReason) {
  const auto reason = [](const char* text) {
    try {
      parse_host_port(text);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), errc::invalid_argument);
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(reason("localhost:99999"),
            "invalid address 'localhost:99999': port must be a number from 0 to 65535");
  EXPECT_NE(reason("localhost").find("missing port"), std::string::npos);
  EXPECT_NE(reason(":80").find("missing host"), std::string::npos);
  EXPECT_NE(reason("::1:80").find("brackets"), std::string::npos);
  EXPECT_NE(reason("[::1:80").find("missing ']'"), std::string::npos);
  EXPECT_NE(reason("[1.2.3.4]:80").find("IPv6"), std::string::npos);
  EXPECT_NE(reason("host:8x").find("port"), std::string::npos);
  EXPECT_NE(reason("host:-1").find("port"), std::string::npos);
}

TEST(Address, ParsePortBounds) {
  EXPECT_EQ(parse_port("0"), 0);
  EXPECT_EQ(parse_port("65535"), 65535);
  EXPECT_THROW(parse_port("65536"), Error);
  EXPECT_THROW(parse_port(""), Error);
  EXPECT_THROW(parse_port("12 "), Error);
}

TEST(Address, FormatsLikePythonSocketAddresses) {
  EXPECT_EQ(SocketAddress::try_parse("127.0.0.1:54321")->python_repr(), "('127.0.0.1', 54321)");
  EXPECT_EQ(SocketAddress::try_parse("[::1]:80")->python_repr(), "('::1', 80, 0, 0)");
  EXPECT_EQ(SocketAddress::try_parse("[::1]:80")->to_string(), "[::1]:80");
  EXPECT_FALSE(SocketAddress::try_parse("localhost:80").has_value());
}

TEST(Address, UnmapsIpv4MappedIpv6) {
  const auto mapped = IpAddress::try_parse("::ffff:192.0.2.7");
  ASSERT_TRUE(mapped);
  EXPECT_TRUE(mapped->is_v6());
  EXPECT_EQ(mapped->unmapped().to_string(), "192.0.2.7");
  EXPECT_TRUE(IpAddress::try_parse("::ffff:127.0.0.1")->is_loopback());
  EXPECT_TRUE(IpAddress::try_parse("::1")->is_loopback());
  EXPECT_FALSE(IpAddress::try_parse("::2")->is_loopback());
}

TEST(Network, ContainsChecksThePrefix) {
  const IpNetwork ten = IpNetwork::parse("10.0.0.0/8");
  EXPECT_TRUE(ten.contains(*IpAddress::try_parse("10.200.3.4")));
  EXPECT_FALSE(ten.contains(*IpAddress::try_parse("11.0.0.1")));
  EXPECT_TRUE(ten.contains(*IpAddress::try_parse("::ffff:10.1.1.1")));
  const IpNetwork doc6 = IpNetwork::parse("2001:db8::/32");
  EXPECT_TRUE(doc6.contains(*IpAddress::try_parse("2001:db8:ffff::1")));
  EXPECT_FALSE(doc6.contains(*IpAddress::try_parse("2001:db9::1")));
  EXPECT_FALSE(doc6.contains(*IpAddress::try_parse("10.0.0.1")));
  EXPECT_EQ(IpNetwork::parse("192.168.1.77/24").to_string(), "192.168.1.0/24");
  EXPECT_TRUE(IpNetwork::parse("192.0.2.1").contains(*IpAddress::try_parse("192.0.2.1")));
  EXPECT_TRUE(IpNetwork::parse("0.0.0.0/0").contains(*IpAddress::try_parse("8.8.8.8")));
}

TEST(Network, RejectsBadPrefixes) {
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "nope/8", ""}) {
    EXPECT_THROW(IpNetwork::parse(bad), Error) << bad;
  }
}

}  // namespace
}  // namespace wirekit::net
