#include <chrono>
#include <stop_token>
#include <thread>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace wirekit {
namespace {

using namespace std::chrono_literals;

// Sleeps "forever" and reports how it ended.
Task<std::string> sleep_forever() {
  try {
    co_await sleep(1h);
  } catch (const Error& e) {
    co_return e.code() == errc::cancelled ? "cancelled" : "other error";
  }
  co_return "woke up";
}

TEST(Cancellation, StopRequestedOnTheLoopCancelsAPendingSleep) {
  auto scenario = []() -> Task<std::string> {
    std::stop_source source;
    Task<std::string> sleeper = sleep_forever();
    sleeper.set_stop_token(source.get_token());
    auto stopper = [](std::stop_source& s) -> Task<void> {
      co_await sleep(5ms);
      s.request_stop();
    };
    auto [result, _] = co_await when_all(std::move(sleeper), stopper(source));
    co_return result;
  };
  EXPECT_EQ(test::run(scenario()), "cancelled");
}

TEST(Cancellation, StopRequestedFromAnotherThreadReachesThePendingOperation) {
  std::stop_source source;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(20ms);
    source.request_stop();
  });
  Task<std::string> sleeper = sleep_forever();
  sleeper.set_stop_token(source.get_token());
  EXPECT_EQ(test::run(std::move(sleeper)), "cancelled");
}

TEST(Cancellation, AlreadyStoppedTokenCancelsBeforeSuspending) {
  std::stop_source source;
  source.request_stop();
  Task<std::string> sleeper = sleep_forever();
  sleeper.set_stop_token(source.get_token());
  EXPECT_EQ(test::run(std::move(sleeper)), "cancelled");
}

TEST(Cancellation, ReachesTasksNestedInsideTheCancelledOne) {
  auto outer = []() -> Task<std::string> { co_return co_await sleep_forever(); };
  std::stop_source source;
  Task<std::string> task = outer();
  task.set_stop_token(source.get_token());
  std::jthread stopper([&] {
    std::this_thread::sleep_for(10ms);
    source.request_stop();
  });
  EXPECT_EQ(test::run(std::move(task)), "cancelled");
}

TEST(Cancellation, EventWaitIsCancellable) {
  auto scenario = []() -> Task<bool> {
    Event never;
    std::stop_source source;
    auto waiter = [](Event& e) -> Task<void> { co_await e.wait(); };
    Task<void> w = waiter(never);
    w.set_stop_token(source.get_token());
    auto stopper = [](std::stop_source& s) -> Task<void> {
      co_await sleep(2ms);
      s.request_stop();
    };
    try {
      co_await when_all(std::move(w), stopper(source));
    } catch (const Error& e) {
      co_return e.code() == errc::cancelled;
    }
    co_return false;
  };
  EXPECT_TRUE(test::run(scenario()));
}

TEST(Cancellation, RuntimeStopCancelsMain) {
  Runtime runtime{RuntimeOptions{.threads = 1, .handle_signals = false}};
  std::jthread stopper([&] {
    std::this_thread::sleep_for(10ms);
    runtime.request_stop();
  });
  EXPECT_EQ(runtime.run(sleep_forever()), "cancelled");
}

TEST(Cancellation, SigtermRequestsAGracefulStop) {
  Runtime runtime{RuntimeOptions{.threads = 1, .handle_signals = true}};
  auto main = []() -> Task<std::string> {
    co_await sleep(5ms);
    ::kill(::getpid(), SIGTERM);
    co_return co_await sleep_forever();
  };
  EXPECT_EQ(runtime.run(main()), "cancelled");
}

}  // namespace
}  // namespace wirekit
