#include <algorithm>
#include <compare>
#include <cstring>
#include <iterator>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include <arpa/inet.h>
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

IpAddress ip(const char* text) {
  return IpAddress::parse(text);
}

std::string formatted(const IpAddress& address) {
  char text[IpAddress::max_text];
  const std::size_t size = address.format(text);
  EXPECT_EQ(std::strlen(text), size);  // NUL-terminated
  return std::string(text, size);
}

TEST(IpAddress, FromNetworkOrderBytes) {
  const std::uint8_t v4[] = {192, 0, 2, 1};
  const IpAddress a = IpAddress::from_v4_bytes(v4);
  EXPECT_TRUE(a.is_v4());
  EXPECT_EQ(a, ip("192.0.2.1"));
  EXPECT_EQ(a, IpAddress::v4(0xc0000201));
  const std::uint8_t v6[] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const IpAddress b = IpAddress::from_v6_bytes(v6);
  EXPECT_TRUE(b.is_v6());
  EXPECT_EQ(b, ip("2001:db8::1"));
  EXPECT_TRUE(std::equal(std::begin(v6), std::end(v6), b.bytes().begin()));
  static_assert(std::is_trivially_copyable_v<IpAddress>);
}

TEST(IpAddress, FormatsAsInetNtop) {
  const std::uint8_t v4[] = {255, 0, 0, 7};
  char buffer[IpAddress::max_text];
  EXPECT_EQ(IpAddress::from_v4_bytes(v4).format(buffer), 9u);
  EXPECT_STREQ(buffer, "255.0.0.7");
  EXPECT_EQ(formatted(IpAddress{}), "0.0.0.0");
  EXPECT_EQ(formatted(ip("255.255.255.255")), "255.255.255.255");
  EXPECT_EQ(formatted(ip("10.20.100.9")), "10.20.100.9");
  // RFC 5952: lower case, leading zeros dropped, the longest run of zero groups as "::" (the
  // first of equal runs; a single zero group stays), IPv4-mapped with its IPv4 tail.
  for (const char* text :
       {"2001:db8::1", "::", "::1", "fe80::1", "::ffff:1.2.3.4", "2001:db8:0:1:1:1:1:1",
        "2001:0:0:1::1", "2001:db8::1:0:0:1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}) {
    EXPECT_EQ(formatted(ip(text)), text);
  }
  EXPECT_EQ(formatted(ip("2001:0DB8:0000:0000:0000:0000:0000:0001")), "2001:db8::1");
  const IpAddress longest = ip("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
  EXPECT_EQ(formatted(longest), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  const IpAddress mapped = ip("::ffff:255.255.255.255");
  EXPECT_EQ(formatted(mapped), "::ffff:255.255.255.255");
  // The same text from to_string(), and the same as inet_ntop for every shape.
  for (const char* text : {"192.0.2.1", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8", "::2:3:4:5:6:7:8"}) {
    const IpAddress address = ip(text);
    char expected[INET6_ADDRSTRLEN];
    ASSERT_NE(inet_ntop(address.is_v4() ? AF_INET : AF_INET6, address.bytes().data(), expected,
                        sizeof expected),
              nullptr);
    EXPECT_EQ(address.to_string(), expected);
    EXPECT_EQ(formatted(address), expected);
  }
}

TEST(IpAddress, OrdersIpv4BeforeIpv6ThenByValue) {
  EXPECT_LT(ip("9.255.255.255"), ip("10.0.0.0"));
  EXPECT_LT(ip("10.0.0.1"), ip("10.0.0.2"));
  EXPECT_LT(ip("10.0.0.255"), ip("10.0.1.0"));
  EXPECT_LT(ip("255.255.255.255"), ip("::"));  // every IPv4 before every IPv6
  EXPECT_LT(ip("0.0.0.1"), ip("::1"));
  EXPECT_LT(ip("::1"), ip("2001:db8::1"));
  EXPECT_LT(ip("2001:db8::1"), ip("2001:db8::1:0"));
  EXPECT_EQ(ip("2001:db8::1") <=> ip("2001:db8::1"), std::strong_ordering::equal);
  EXPECT_GT(ip("::ffff:1.2.3.4"), ip("1.2.3.4"));
  std::vector<IpAddress> sorted = {ip("fe80::1"), ip("10.0.0.2"), ip("::"), ip("10.0.0.1")};
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted,
            (std::vector<IpAddress>{ip("10.0.0.1"), ip("10.0.0.2"), ip("::"), ip("fe80::1")}));
}

TEST(IpAddress, EqualityAndHashCoverFamilyAndBytes) {
  const std::hash<IpAddress> hash;
  EXPECT_EQ(ip("192.0.2.1"), IpAddress::v4(0xc0000201));
  EXPECT_EQ(hash(ip("192.0.2.1")), hash(IpAddress::v4(0xc0000201)));
  EXPECT_EQ(hash(ip("2001:db8::1")), hash(ip("2001:0db8:0:0::1")));
  // 0.0.0.0 and :: have the same bytes; an IPv4 address and its mapped form differ too.
  EXPECT_NE(IpAddress{}, ip("::"));
  EXPECT_NE(hash(IpAddress{}), hash(ip("::")));
  EXPECT_NE(ip("1.2.3.4"), ip("::ffff:1.2.3.4"));
  EXPECT_NE(ip("10.0.0.1"), ip("10.0.0.2"));
  EXPECT_NE(ip("2001:db8::1"), ip("2001:db8::2"));

  std::unordered_set<IpAddress> set;
  for (std::uint32_t i = 0; i < 1000; ++i) set.insert(IpAddress::v4(0x0a000000 + i));
  for (std::uint32_t i = 0; i < 1000; ++i) set.insert(IpAddress::v4(0x0a000000 + i));
  EXPECT_EQ(set.size(), 1000u);
  EXPECT_TRUE(set.contains(ip("10.0.3.231")));
  EXPECT_FALSE(set.contains(ip("::ffff:10.0.0.1")));
  std::unordered_set<std::size_t> hashes;
  for (const IpAddress& a : set) hashes.insert(hash(a));
  EXPECT_EQ(hashes.size(), set.size());  // no collisions among neighbours
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
