#include <chrono>

#include <gtest/gtest.h>

#include <wirekit/guard.hpp>

namespace wirekit::guard {
namespace {

using namespace std::chrono_literals;

net::IpAddress ip(const char* text) {
  return *net::IpAddress::try_parse(text);
}

TEST(RateLimiter, AllowsABurstThenRefusesWithRetryAfter) {
  RateLimiter limiter{{.rate = 2, .burst = 3}};
  const auto t = Clock::time_point{} + 100h;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.take(ip("10.0.0.1"), t).allowed) << i;
  const auto refused = limiter.take(ip("10.0.0.1"), t);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(std::chrono::round<std::chrono::milliseconds>(refused.retry_after), 500ms)
      << "one token comes back every 1/rate seconds";
  EXPECT_TRUE(limiter.take(ip("10.0.0.2"), t).allowed) << "other clients have their own bucket";
}

TEST(RateLimiter, TokensComeBackAtTheRate) {
  RateLimiter limiter{{.rate = 10, .burst = 1}};
  const auto t = Clock::time_point{} + 100h;
  EXPECT_TRUE(limiter.take(ip("192.0.2.1"), t).allowed);
  EXPECT_FALSE(limiter.take(ip("192.0.2.1"), t + 50ms).allowed);
  EXPECT_TRUE(limiter.take(ip("192.0.2.1"), t + 101ms).allowed);
}

TEST(RateLimiter, BucketNeverHoldsMoreThanTheBurst) {
  RateLimiter limiter{{.rate = 100, .burst = 2}};
  const auto t = Clock::time_point{} + 100h;
  EXPECT_TRUE(limiter.take(ip("192.0.2.1"), t).allowed);
  const auto later = t + 1h;  // a long pause refills to the burst, not beyond
  EXPECT_TRUE(limiter.take(ip("192.0.2.1"), later).allowed);
  EXPECT_TRUE(limiter.take(ip("192.0.2.1"), later).allowed);
  EXPECT_FALSE(limiter.take(ip("192.0.2.1"), later).allowed);
}

TEST(RateLimiter, ExemptNetworksAndBoundedMemory) {
  RateLimiter limiter{{.rate = 1,
                       .burst = 1,
                       .max_tracked = 320,
                       .exempt = {net::IpNetwork::parse("127.0.0.0/8")}}};
  const auto t = Clock::now();
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.take(ip("127.0.0.1"), t).allowed);
  for (std::uint32_t i = 0; i < 50'000; ++i) limiter.take(net::IpAddress::v4(0x0b000000 + i), t);
  EXPECT_LE(limiter.tracked(), 320u);
}

TEST(RateLimiter, RejectsNonsenseOptions) {
  EXPECT_THROW(RateLimiter({.rate = 0}), Error);
  EXPECT_THROW(RateLimiter({.rate = 1, .burst = 0.5}), Error);
}

}  // namespace
}  // namespace wirekit::guard
