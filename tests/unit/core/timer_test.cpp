#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace wirekit {
namespace {

using namespace std::chrono_literals;

TEST(Timer, SleepWaitsAtLeastTheDuration) {
  auto scenario = []() -> Task<Clock::duration> {
    const auto start = Clock::now();
    co_await sleep(30ms);
    co_return Clock::now() - start;
  };
  EXPECT_GE(test::run(scenario()), 30ms);
}

TEST(Timer, TimersFireInDeadlineOrderAndTiesInArmingOrder) {
  auto scenario = []() -> Task<std::vector<int>> {
    std::vector<int> order;
    auto sleeper = [](std::vector<int>& out, Duration d, int id) -> Task<void> {
      co_await sleep(d);
      out.push_back(id);
    };
    const auto deadline = Clock::now() + 20ms;
    auto at = [&](int id) -> Task<void> {
      co_await sleep_until(deadline);
      order.push_back(id);
    };
    co_await when_all(sleeper(order, 40ms, 1), sleeper(order, 5ms, 2), at(3), at(4),
                      sleeper(order, 0ms, 5));
    co_return order;
  };
  EXPECT_EQ(test::run(scenario()), (std::vector<int>{5, 2, 3, 4, 1}));
}

TEST(Timer, WithTimeoutReturnsTheResultWhenInTime) {
  auto quick = []() -> Task<int> {
    co_await sleep(1ms);
    co_return 5;
  };
  EXPECT_EQ(test::run(with_timeout(1s, quick())), 5);
}

TEST(Timer, WithTimeoutCancelsAndThrowsTimedOut) {
  auto scenario = []() -> Task<std::string> {
    bool cleaned_up = false;
    auto slow = [](bool& flag) -> Task<void> {
      struct Cleanup {
        bool& f;
        ~Cleanup() { f = true; }
      } cleanup{flag};
      co_await sleep(10s);
    };
    try {
      co_await with_timeout(20ms, slow(cleaned_up), "slow thing");
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), errc::timed_out);
      EXPECT_TRUE(cleaned_up);
      co_return e.what();
    }
    co_return "no timeout";
  };
  const auto start = Clock::now();
  EXPECT_EQ(test::run(scenario()), "slow thing: timed out after 20ms");
  EXPECT_LT(Clock::now() - start, 5s);
}

TEST(Duration, ParsesUnits) {
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("2s"), 2s);
  EXPECT_EQ(parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(parse_duration("60"), 60s);
  EXPECT_EQ(parse_duration("10m"), 10min);
  EXPECT_EQ(parse_duration("1h"), 1h);
  EXPECT_EQ(parse_duration("1d"), 24h);
}

TEST(Duration, RejectsMalformedText) {
  for (const char* bad : {"", "s", "-1s", "1x", "1 s", "abc", "1e30s", "nan"}) {
    EXPECT_THROW(parse_duration(bad), Error) << bad;
  }
  try {
    parse_duration("5y");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("'5y'"), std::string::npos);
  }
}

TEST(Duration, FormatsReadably) {
  EXPECT_EQ(format_duration(20ms), "20ms");
  EXPECT_EQ(format_duration(2s), "2s");
  EXPECT_EQ(format_duration(90s), "90s");
  EXPECT_EQ(format_duration(2min), "2m");
  EXPECT_EQ(format_duration(1h), "1h");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
}

}  // namespace
}  // namespace wirekit
