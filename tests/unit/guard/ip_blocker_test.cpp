#include <array>
#include <chrono>

#include <gtest/gtest.h>

#include <wirekit/guard.hpp>

namespace wirekit::guard {
namespace {

using namespace std::chrono_literals;

net::IpAddress ip(const char* text) {
  return *net::IpAddress::try_parse(text);
}

TEST(IpBlocker, BlocksAfterMaxAttemptsLikeTheTutorial) {
  IpBlocker blocker{IpBlockerOptions{.max_attempts = 5}};
  const auto t = Clock::now();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(blocker.check(ip("10.0.0.1"), t), Verdict::allowed) << i;
  EXPECT_EQ(blocker.check(ip("10.0.0.1"), t), Verdict::blocked);
  EXPECT_EQ(blocker.check(ip("10.0.0.1"), t), Verdict::blocked);
  EXPECT_EQ(blocker.check(ip("10.0.0.2"), t), Verdict::allowed) << "other addresses unaffected";
}

TEST(IpBlocker, BlockLiftsOnceTheAttemptsLeaveTheWindow) {
  IpBlocker blocker{IpBlockerOptions{.max_attempts = 2, .window = 80s}};
  const auto t0 = Clock::time_point{} + 1000h;
  EXPECT_TRUE(admitted(blocker.check(ip("192.0.2.9"), t0)));
  EXPECT_TRUE(admitted(blocker.check(ip("192.0.2.9"), t0 + 1s)));
  EXPECT_EQ(blocker.check(ip("192.0.2.9"), t0 + 40s), Verdict::blocked);
  EXPECT_EQ(blocker.check(ip("192.0.2.9"), t0 + 79s), Verdict::blocked);
  // After a window (plus at most one slot of 10s) the old attempts no longer count.
  EXPECT_EQ(blocker.check(ip("192.0.2.9"), t0 + 91s), Verdict::allowed);
}

TEST(IpBlocker, SlidingNotFixedWindow) {
  // 2 per 80s: attempts at 70s and 75s still count at 100s, though a fixed 80s window would
  // have reset at 80s.
  IpBlocker blocker{IpBlockerOptions{.max_attempts = 2, .window = 80s}};
  const auto t0 = Clock::time_point{} + 1000h;
  EXPECT_TRUE(admitted(blocker.check(ip("192.0.2.5"), t0 + 70s)));
  EXPECT_TRUE(admitted(blocker.check(ip("192.0.2.5"), t0 + 75s)));
  EXPECT_EQ(blocker.check(ip("192.0.2.5"), t0 + 100s), Verdict::blocked);
}

TEST(IpBlocker, MemoryStaysBoundedUnderAFloodOfAddresses) {
  IpBlocker blocker{IpBlockerOptions{.max_attempts = 3, .max_tracked = 1600}};
  const auto t = Clock::now();
  for (std::uint32_t i = 0; i < 200'000; ++i) blocker.check(net::IpAddress::v4(0x0a000000 + i), t);
  EXPECT_LE(blocker.tracked(), 1600u);
  EXPECT_GT(blocker.tracked(), 1000u);
}

TEST(IpBlocker, BlockedAddressesSurviveAFloodOfNewOnes) {
  // Issue 12 item 9: more distinct sources than max_tracked evicted the least recently seen
  // entries, blocked ones among them, and a blocked address was let back in.
  IpBlocker blocker{IpBlockerOptions{.max_attempts = 3, .max_tracked = 1600}};
  const auto t = Clock::now();
  const std::array blocked = {ip("192.0.2.1"), ip("192.0.2.2"), ip("2001:db8:7::1")};
  for (const auto& address : blocked) {
    for (int i = 0; i < 3; ++i) ASSERT_EQ(blocker.check(address, t), Verdict::allowed);
    ASSERT_EQ(blocker.check(address, t), Verdict::blocked);
  }
  for (std::uint32_t i = 0; i < 200'000; ++i) blocker.check(net::IpAddress::v4(0x0a000000 + i), t);
  EXPECT_LE(blocker.tracked(), 1600u);
  for (const auto& address : blocked) {
    EXPECT_EQ(blocker.check(address, t), Verdict::blocked) << address.to_string();
  }
  // Once their window has passed they are no longer kept: the block lifts as before.
  const auto later = t + 2 * IpBlockerOptions{}.window;
  for (std::uint32_t i = 0; i < 200'000; ++i) {
    blocker.check(net::IpAddress::v4(0x0b000000 + i), later);
  }
  EXPECT_EQ(blocker.check(blocked[0], later), Verdict::allowed);
}

TEST(IpBlocker, Ipv6ClientsAreCountedPerPrefix) {
  IpBlocker blocker{IpBlockerOptions{.max_attempts = 2, .ipv6_prefix = 64}};
  const auto t = Clock::now();
  EXPECT_TRUE(admitted(blocker.check(ip("2001:db8:1:2::1"), t)));
  EXPECT_TRUE(admitted(blocker.check(ip("2001:db8:1:2::ffff"), t)));
  EXPECT_EQ(blocker.check(ip("2001:db8:1:2:aaaa::7"), t), Verdict::blocked)
      << "a new address in the same /64 is the same client";
  EXPECT_TRUE(admitted(blocker.check(ip("2001:db8:1:3::1"), t)));
}

TEST(IpBlocker, MappedIpv4CountsAsTheIpv4Address) {
  IpBlocker blocker{IpBlockerOptions{.max_attempts = 1}};
  const auto t = Clock::now();
  EXPECT_TRUE(admitted(blocker.check(ip("192.0.2.1"), t)));
  EXPECT_EQ(blocker.check(ip("::ffff:192.0.2.1"), t), Verdict::blocked);
}

TEST(IpBlocker, AllowAndDenyNetworks) {
  IpBlocker blocker{IpBlockerOptions{.max_attempts = 1,
                                     .allow = {net::IpNetwork::parse("127.0.0.0/8")},
                                     .deny = {net::IpNetwork::parse("203.0.113.0/24")}}};
  const auto t = Clock::now();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(blocker.check(ip("127.0.0.1"), t), Verdict::trusted);
  EXPECT_EQ(blocker.check(ip("203.0.113.50"), t), Verdict::denied);
  EXPECT_EQ(blocker.tracked(), 0u) << "allowed and denied addresses take no table space";
}

TEST(IpBlocker, RejectsNonsenseOptions) {
  EXPECT_THROW(IpBlocker(IpBlockerOptions{.window = Duration::zero()}), Error);
  EXPECT_THROW(IpBlocker(IpBlockerOptions{.ipv6_prefix = 129}), Error);
}

}  // namespace
}  // namespace wirekit::guard
