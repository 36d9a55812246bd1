#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace wirekit {
namespace {

using namespace std::chrono_literals;

Task<int> value_after(Duration d, int v) {
  co_await sleep(d);
  co_return v;
}

Task<void> fail_after(Duration d, const char* message) {
  co_await sleep(d);
  throw std::runtime_error(message);
}

TEST(WhenAll, ReturnsEveryResultInOrder) {
  auto scenario = []() -> Task<std::tuple<int, std::monostate, int>> {
    auto nothing = []() -> Task<void> { co_await sleep(1ms); };
    co_return co_await when_all(value_after(10ms, 1), nothing(), value_after(1ms, 3));
  };
  auto [a, _, c] = test::run(scenario());
  EXPECT_EQ(a, 1);
  EXPECT_EQ(c, 3);
}

TEST(WhenAll, RunsChildrenConcurrently) {
  auto scenario = []() -> Task<Clock::duration> {
    const auto start = Clock::now();
    std::vector<Task<int>> tasks;
    for (int i = 0; i < 50; ++i) tasks.push_back(value_after(20ms, i));
    auto values = co_await when_all(std::move(tasks));
    EXPECT_EQ(values.size(), 50u);
    EXPECT_EQ(values[49], 49);
    co_return Clock::now() - start;
  };
  EXPECT_LT(test::run(scenario()), 500ms);
}

TEST(WhenAll, FirstFailureCancelsSiblingsAndIsRethrown) {
  auto scenario = []() -> Task<std::string> {
    bool sibling_cancelled = false;
    auto sibling = [](bool& flag) -> Task<void> {
      try {
        co_await sleep(1h);
      } catch (const Error& e) {
        flag = e.code() == errc::cancelled;
        throw;
      }
    };
    try {
      co_await when_all(sibling(sibling_cancelled), fail_after(5ms, "first"),
                        fail_after(10ms, "second"));
    } catch (const std::runtime_error& e) {
      EXPECT_TRUE(sibling_cancelled);
      co_return e.what();
    }
    co_return "no failure";
  };
  EXPECT_EQ(test::run(scenario()), "first");
}

TEST(WhenAll, EmptyVectorCompletesAtOnce) {
  auto scenario = []() -> Task<std::size_t> {
    auto values = co_await when_all(std::vector<Task<int>>{});
    co_return values.size();
  };
  EXPECT_EQ(test::run(scenario()), 0u);
}

TEST(WhenAny, FirstToFinishWinsAndTheOthersAreCancelled) {
  auto scenario = []() -> Task<std::pair<std::size_t, int>> {
    std::vector<Task<int>> tasks;
    tasks.push_back(value_after(1h, 0));
    tasks.push_back(value_after(5ms, 1));
    tasks.push_back(value_after(1h, 2));
    co_return co_await when_any(std::move(tasks));
  };
  const auto start = Clock::now();
  const auto [index, value] = test::run(scenario());
  EXPECT_EQ(index, 1u);
  EXPECT_EQ(value, 1);
  EXPECT_LT(Clock::now() - start, 5s);
}

TEST(WhenAny, VariadicResultNamesTheWinner) {
  auto text = []() -> Task<std::string> {
    co_await sleep(1ms);
    co_return "text";
  };
  auto result = test::run(when_any(value_after(1h, 1), text()));
  ASSERT_EQ(result.index(), 1u);
  EXPECT_EQ(std::get<1>(result), "text");
}

TEST(WhenAny, WinnerFailureIsRethrown) {
  EXPECT_THROW(test::run(when_any(value_after(1h, 1), fail_after(1ms, "lost"))),
               std::runtime_error);
}

}  // namespace
}  // namespace wirekit
