// LineInput: lines of a blocking descriptor, awaited on a loop.
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include <wirekit/core.hpp>

#include "test_support.hpp"

namespace {

using namespace wirekit;
using namespace std::chrono_literals;

struct Pipe {
  int read_end = -1;
  int write_end = -1;
  Pipe() {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    read_end = fds[0];
    write_end = fds[1];
  }
  ~Pipe() {
    ::close(read_end);
    if (write_end >= 0) ::close(write_end);
  }
  void write(const std::string& text) const {
    EXPECT_EQ(::write(write_end, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  void end() { ::close(std::exchange(write_end, -1)); }
};

TEST(LineInput, LinesComeWithoutTheirEndingsAndTheEndIsNullopt) {
  Pipe pipe;
  pipe.write("one\ntwo\r\n\nlast without newline");
  pipe.end();
  LineInput input(pipe.read_end);
  test::run([](LineInput& in) -> Task<void> {
    EXPECT_EQ(co_await in.next(), "one");
    EXPECT_EQ(co_await in.next(), "two");
    EXPECT_EQ(co_await in.next(), "");
    EXPECT_EQ(co_await in.next(), "last without newline");
    EXPECT_EQ(co_await in.next(), std::nullopt);
    EXPECT_EQ(co_await in.next(), std::nullopt);  // the end stays the end
  }(input));
}

TEST(LineInput, TheLoopKeepsRunningWhileALineIsAwaited) {
  Pipe pipe;
  LineInput input(pipe.read_end);
  std::thread typist([&pipe] {
    std::this_thread::sleep_for(100ms);
    pipe.write("typed later\n");
  });
  int ticks = 0;
  test::run([](LineInput& in, int& count) -> Task<void> {
    auto ticking = [](int& n) -> Task<void> {
      for (; n < 1000; ++n) co_await sleep(1ms);
    };
    Task<void> ticker = ticking(count);
    Task<std::optional<std::string>> reading = in.next();
    auto outcome = co_await when_any(std::move(reading), std::move(ticker));
    EXPECT_EQ(outcome.index(), 0u);
    EXPECT_EQ(std::get<0>(outcome), "typed later");
  }(input, ticks));
  typist.join();
  EXPECT_GT(ticks, 10);  // the loop ran timers while the line was awaited
}

TEST(LineInput, ALineTypedAfterACancelledWaitGoesToTheNextCall) {
  Pipe pipe;
  LineInput input(pipe.read_end);
  test::run([](LineInput& in, Pipe& p) -> Task<void> {
    Task<std::optional<std::string>> reading = in.next();
    std::string what = "line";  // named: g++ 12 destroys temporaries of a co_await twice
    bool timed_out = false;
    try {
      co_await with_timeout(20ms, std::move(reading), std::move(what));
    } catch (const Error& e) {
      timed_out = e.code() == errc::timed_out;
    }
    EXPECT_TRUE(timed_out);
    p.write("kept\n");
    EXPECT_EQ(co_await in.next(), "kept");
  }(input, pipe));
}

}  // namespace
