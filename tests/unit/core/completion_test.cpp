#include <atomic>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include <wirekit/core.hpp>
#include <wirekit/core/completion.hpp>

#include "test_support.hpp"

using namespace wirekit;

TEST(Completion, AResultFromAnotherThreadResumesTheTaskOnItsOwnLoop) {
  auto scenario = []() -> Task<bool> {
    Completion<std::string> done;
    const std::thread::id loop_thread = std::this_thread::get_id();
    std::thread library([done]() mutable {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      done.set_value("from the library");
    });
    const std::string got = co_await done;
    const bool on_loop = std::this_thread::get_id() == loop_thread;
    library.join();
    co_return got == "from the library" && on_loop;
  };
  EXPECT_TRUE(test::run(scenario()));
}

TEST(Completion, AResultDeliveredBeforeTheAwaitIsTakenAtOnce) {
  auto scenario = []() -> Task<int> {
    Completion<int> done;
    EXPECT_TRUE(done.set_value(7));
    EXPECT_FALSE(done.set_value(8));  // the first result wins
    co_return co_await done;
  };
  EXPECT_EQ(test::run(scenario()), 7);
}

TEST(Completion, AnErrorIsRethrownInTheAwaitingTask) {
  auto scenario = []() -> Task<void> {
    Completion<void> done;
    std::thread library([done]() mutable {
      done.set_error(std::make_exception_ptr(Error(errc::protocol_error, "peer said no")));
    });
    library.join();
    co_await done;
  };
  try {
    test::run(scenario());
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::protocol_error);
    EXPECT_STREQ(e.what(), "peer said no");
  }
}

TEST(Completion, CancellingTheTaskEndsTheAwaitAndDropsALateResult) {
  Completion<int> done;
  auto scenario = [done]() -> Task<std::error_code> {
    // Named, not a temporary in the co_await expression: g++ 12 destroys such temporaries
    // twice (include/wirekit/http/client.hpp has the note).
    Task<int> waiting = [](Completion<int> c) -> Task<int> { co_return co_await c; }(done);
    try {
      co_await with_timeout(std::chrono::milliseconds(20), std::move(waiting));
    } catch (const Error& e) {
      co_return e.code();
    }
    co_return std::error_code{};
  };
  EXPECT_EQ(test::run(scenario()), errc::timed_out);
  std::thread late([done]() mutable { EXPECT_FALSE(done.set_value(1)); });
  late.join();
}

TEST(Completion, WithACancelHookTheAwaitWaitsForTheResultTheLibraryDeliversAfterIt) {
  auto scenario = []() -> Task<std::string> {
    Completion<std::string> done;
    std::atomic<bool> asked_to_cancel = false;
    std::thread library;
    done.on_cancel([&] {
      asked_to_cancel = true;
      library = std::thread([done]() mutable { done.set_value("cancelled by the library"); });
    });
    std::stop_source stop;
    Task<std::string> waiting = [](Completion<std::string> c) -> Task<std::string> {
      co_return co_await c;
    }(done);
    waiting.set_stop_token(stop.get_token());
    auto [result, _] = co_await when_all(std::move(waiting), [&]() -> Task<void> {
      co_await sleep(std::chrono::milliseconds(10));
      stop.request_stop();
    }());
    library.join();
    co_return asked_to_cancel ? result : "no hook call";
  };
  EXPECT_EQ(test::run(scenario()), "cancelled by the library");
}
