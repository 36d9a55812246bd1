#include <string>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <wirekit/core.hpp>

#include "test_support.hpp"

using namespace wirekit;

namespace {

std::string read_all(int fd) {
  std::string out;
  char buffer[65536];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
    out.append(buffer, static_cast<std::size_t>(n));
  return out;
}

}  // namespace

TEST(LogSink, LinesFromALoopArriveWholeAndInOrder) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  {
    LogSink sink{fds[1]};
    test::run([&]() -> Task<void> {
      for (int i = 0; i < 1000; ++i) sink.write("line " + std::to_string(i));
      co_await sink.flush();
    }());
    EXPECT_EQ(sink.dropped(), 0u);
  }
  ::close(fds[1]);
  const std::string got = read_all(fds[0]);
  ::close(fds[0]);
  std::string expected;
  for (int i = 0; i < 1000; ++i) expected += "line " + std::to_string(i) + "\n";
  EXPECT_EQ(got, expected);
}

// The case the sink exists for: a reader that stopped reading. The loop goes on; what does not
// fit is counted, and the next batch that gets through says so.
TEST(LogSink, AStalledReaderCostsLinesNeverTheLoop) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const int pipe_size = ::fcntl(fds[1], F_GETPIPE_SZ);
  LogSink sink{fds[1], {.max_queued_bytes = 64 * 1024}};
  const std::string line(1000, 'x');
  const auto started = Clock::now();
  test::run([&]() -> Task<void> {
    // Several times what the pipe and the queue hold, with nobody reading.
    for (int i = 0; i < 20 * (pipe_size / 1000 + 64); ++i) sink.write(line);
    co_return;
  }());
  EXPECT_LT(Clock::now() - started, std::chrono::seconds(2));  // never waited for the reader
  EXPECT_GT(sink.dropped(), 0u);
  // Drain the pipe: the writer thread finishes, and a later line reports the drops.
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  std::string seen;
  test::run([&]() -> Task<void> {
    sink.write("after");
    for (int i = 0; i < 200 && seen.find("after\n") == std::string::npos; ++i) {
      char buffer[65536];
      const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
      if (n > 0) seen.append(buffer, static_cast<std::size_t>(n));
      co_await sleep(std::chrono::milliseconds(10));
    }
  }());
  EXPECT_NE(seen.find("log lines dropped: the output could not keep up\n"), std::string::npos);
  EXPECT_NE(seen.find("after\n"), std::string::npos);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(LogSink, LinesWrittenOffALoopAreWrittenAtOnce) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  LogSink sink{fds[1]};
  sink.write("no loop here");
  ::close(fds[1]);
  EXPECT_EQ(read_all(fds[0]), "no loop here\n");
  ::close(fds[0]);
}
