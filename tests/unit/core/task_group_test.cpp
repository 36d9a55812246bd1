#include <chrono>
#include <stdexcept>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace wirekit {
namespace {

using namespace std::chrono_literals;

TEST(TaskGroup, JoinWaitsForEveryChild) {
  auto scenario = []() -> Task<int> {
    int finished = 0;
    TaskGroup group;
    for (int i = 0; i < 10; ++i) {
      group.spawn([](int& n, int delay) -> Task<void> {
        co_await sleep(std::chrono::milliseconds(delay));
        ++n;
      }(finished, i));
    }
    EXPECT_EQ(group.size(), 10u);
    co_await group.join();
    EXPECT_EQ(group.size(), 0u);
    co_return finished;
  };
  EXPECT_EQ(test::run(scenario()), 10);
}

TEST(TaskGroup, DestroyingTheGroupDestroysRunningChildren) {
  auto scenario = []() -> Task<int> {
    int destroyed = 0;
    {
      TaskGroup group;
      for (int i = 0; i < 3; ++i) {
        group.spawn([](int& n) -> Task<void> {
          struct Guard {
            int& n;
            ~Guard() { ++n; }
          } guard{n};
          co_await sleep(1h);
        }(destroyed));
      }
      co_await this_task::yield();  // let the children start and suspend
    }
    co_await sleep(1ms);  // nothing may wake a destroyed child afterwards
    co_return destroyed;
  };
  EXPECT_EQ(test::run(scenario()), 3);
}

TEST(TaskGroup, CancelAllPolicyRethrowsTheFirstFailureAndCancelsSiblings) {
  auto scenario = []() -> Task<std::string> {
    TaskGroup group;
    bool sibling_cancelled = false;
    group.spawn([](bool& flag) -> Task<void> {
      try {
        co_await sleep(1h);
      } catch (const Error& e) {
        flag = e.code() == errc::cancelled;
      }
    }(sibling_cancelled));
    group.spawn([]() -> Task<void> {
      co_await sleep(2ms);
      throw std::runtime_error("child failed");
    }());
    try {
      co_await group.join();
    } catch (const std::runtime_error& e) {
      EXPECT_TRUE(sibling_cancelled);
      co_return e.what();
    }
    co_return "no failure";
  };
  EXPECT_EQ(test::run(scenario()), "child failed");
}

TEST(TaskGroup, LogPolicyKeepsOtherChildrenRunning) {
  auto scenario = []() -> Task<bool> {
    TaskGroup group{TaskGroup::OnError::log};
    bool survivor_finished = false;
    group.spawn([]() -> Task<void> {
      co_await this_task::yield();
      throw std::runtime_error("one bad connection");
    }());
    group.spawn([](bool& done) -> Task<void> {
      co_await sleep(5ms);
      done = true;
    }(survivor_finished));
    co_await group.join();
    co_return survivor_finished;
  };
  EXPECT_TRUE(test::run(scenario()));
}

TEST(TaskGroup, JoinWithTimeoutThenCancelIsAGracefulShutdown) {
  auto scenario = []() -> Task<std::pair<int, int>> {
    TaskGroup group{TaskGroup::OnError::log};
    int quick_done = 0;
    int slow_cancelled = 0;
    group.spawn([](int& n) -> Task<void> {
      co_await sleep(5ms);
      ++n;
    }(quick_done));
    group.spawn([](int& n) -> Task<void> {
      try {
        co_await sleep(1h);
      } catch (const Error&) {
        ++n;
        throw;
      }
    }(slow_cancelled));
    bool timed_out = false;
    try {
      co_await with_timeout(30ms, group.join());
    } catch (const Error& e) {
      timed_out = e.code() == errc::timed_out;
    }
    EXPECT_TRUE(timed_out);
    group.cancel();
    co_await group.join();
    co_return std::pair{quick_done, slow_cancelled};
  };
  EXPECT_EQ(test::run(scenario()), (std::pair{1, 1}));
}

TEST(Spawn, DetachedTaskRunsAndItsFailureDoesNotEscape) {
  auto scenario = []() -> Task<int> {
    int ran = 0;
    spawn([](int& n) -> Task<void> {
      ++n;
      co_await this_task::yield();
      throw std::runtime_error("logged, not lost");
    }(ran));
    co_await sleep(2ms);
    co_return ran;
  };
  EXPECT_EQ(test::run(scenario()), 1);
}

}  // namespace
}  // namespace wirekit
