#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace wirekit {
namespace {

using namespace std::chrono_literals;

TEST(Runtime, OnEachRunsOnEveryLoopInItsOwnThread) {
  Runtime runtime{RuntimeOptions{.threads = 3, .handle_signals = false}};
  std::mutex mutex;
  std::set<std::thread::id> threads;
  auto main = [&]() -> Task<void> {
    co_await runtime.on_each([&](std::size_t i) -> Task<void> {
      co_await sleep(std::chrono::milliseconds(i));
      EXPECT_EQ(&EventLoop::current(), &runtime.loop(i));
      std::lock_guard lock(mutex);
      threads.insert(std::this_thread::get_id());
    });
  };
  runtime.run(main());
  EXPECT_EQ(threads.size(), 3u);
}

TEST(Runtime, RunOnComesBackToTheCallersLoop) {
  Runtime runtime{RuntimeOptions{.threads = 2, .handle_signals = false}};
  auto main = [&]() -> Task<bool> {
    EventLoop* home = &EventLoop::current();
    const int v = co_await run_on(runtime.loop(1), []() -> Task<int> {
      co_await sleep(1ms);
      co_return 9;
    }());
    co_return v == 9 && &EventLoop::current() == home;
  };
  EXPECT_TRUE(runtime.run(main()));
}

TEST(Runtime, BlockingCallsRunOffTheLoopThread) {
  auto main = []() -> Task<bool> {
    const auto loop_thread = std::this_thread::get_id();
    const auto worker = co_await blocking([] {
      std::this_thread::sleep_for(5ms);
      return std::this_thread::get_id();
    });
    co_return worker != loop_thread&& std::this_thread::get_id() == loop_thread;
  };
  EXPECT_TRUE(test::run(main()));
}

TEST(Runtime, ABlockingRunOnALoopThreadIsMisuseNotANestedLoop) {
  auto scenario = []() -> Task<std::error_code> {
    try {
      wirekit::run([]() -> Task<int> { co_return 1; }());
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("co_await"), std::string::npos) << e.what();
      co_return e.code();
    }
    co_return std::error_code{};
  };
  EXPECT_EQ(test::run(scenario()), errc::misuse);
}

TEST(Runtime, SignalsAreLeftToTheProgramUnlessAsked) {
  EXPECT_FALSE(RuntimeOptions{}.handle_signals);
}

TEST(Runtime, BlockingCallFailureIsRethrown) {
  auto main = []() -> Task<void> {
    co_await blocking([] { throw std::runtime_error("disk on fire"); });
  };
  EXPECT_THROW(test::run(main()), std::runtime_error);
}

TEST(EventLoop, PostFromAnotherThreadRunsOnTheLoop) {
  auto main = []() -> Task<bool> {
    EventLoop& loop = EventLoop::current();
    Event done;
    std::atomic<bool> on_loop{false};
    std::jthread other([&] {
      loop.post([&] {
        on_loop = loop.in_loop_thread();
        done.set();
      });
    });
    co_await done.wait();
    co_return on_loop.load();
  };
  EXPECT_TRUE(test::run(main()));
}

}  // namespace
}  // namespace wirekit
