#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <wirekit/net.hpp>

#include "test_support.hpp"

using namespace wirekit;
using namespace wirekit::net;

namespace {

// Writes each piece with a pause between, so the reader sees them in separate reads, then
// closes the writing side.
Task<void> trickle(Stream& out, std::vector<std::string> pieces) {
  for (const std::string& piece : pieces) {
    co_await out.write(piece);
    co_await sleep(std::chrono::milliseconds(1));
  }
  co_await out.shutdown_write();
}

std::error_code failure_of(Task<void> task) {
  try {
    test::run(std::move(task));
  } catch (const Error& e) {
    return e.code();
  }
  return {};
}

}  // namespace

TEST(BufferedStream, ReadLineJoinsPiecesAndStripsTheCrlfOnly) {
  auto scenario = []() -> Task<std::vector<std::string>> {
    auto [a, b] = make_pipe();
    BufferedStream in{a};
    std::vector<std::string> lines;
    auto reader = [&]() -> Task<void> {
      while (auto line = co_await in.read_line(100)) lines.emplace_back(*line);
    };
    std::vector<std::string> pieces{"EHLO exa", "mple.org\r", "\nbare\nlf\r\n\r\nlast\r\n"};
    co_await when_all(reader(), trickle(b, std::move(pieces)));
    co_return lines;
  };
  EXPECT_EQ(test::run(scenario()),
            (std::vector<std::string>{"EHLO example.org", "bare\nlf", "", "last"}));
}

TEST(BufferedStream, ReadUntilKeepsTheDelimiterAndLeavesTheRestBuffered) {
  auto scenario = []() -> Task<std::string> {
    auto [a, b] = make_pipe();
    BufferedStream in{a};
    co_await b.write("HEAD\r\n\r\nbody");
    const auto head = co_await in.read_until("\r\n\r\n", 100);
    co_return std::string(*head) + "|" + std::string(in.buffered());
  };
  EXPECT_EQ(test::run(scenario()), "HEAD\r\n\r\n|body");
}

TEST(BufferedStream, ALineLongerThanTheLimitIsRefused) {
  const std::error_code failure = failure_of([]() -> Task<void> {
    auto [a, b] = make_pipe();
    BufferedStream in{a, 64};
    co_await b.write(std::string(300, 'x') + "\r\n");
    co_await in.read_line(200);
  }());
  EXPECT_EQ(failure, errc::limit_exceeded);
}

TEST(BufferedStream, ALineUpToTheLimitGrowsTheBuffer) {
  auto scenario = []() -> Task<std::size_t> {
    auto [a, b] = make_pipe();
    BufferedStream in{a, 64};  // smaller than the line: the buffer grows to the limit
    std::vector<std::string> pieces{std::string(150, 'x'), std::string(150, 'y') + "\r\n"};
    auto line = co_await when_all(
        [&]() -> Task<std::optional<std::string_view>> { co_return co_await in.read_line(302); }(),
        trickle(b, std::move(pieces)));
    co_return std::get<0>(line)->size();
  };
  EXPECT_EQ(test::run(scenario()), 300u);
}

TEST(BufferedStream, TheEndOfTheStreamBetweenLinesIsNotAnError) {
  auto scenario = []() -> Task<bool> {
    auto [a, b] = make_pipe();
    BufferedStream in{a};
    co_await b.write("one\r\n");
    co_await b.shutdown_write();
    co_await in.read_line(100);
    co_return (co_await in.read_line(100)).has_value();
  };
  EXPECT_FALSE(test::run(scenario()));
}

TEST(BufferedStream, TheEndOfTheStreamInsideALineIsUnexpected) {
  const std::error_code failure = failure_of([]() -> Task<void> {
    auto [a, b] = make_pipe();
    BufferedStream in{a};
    co_await b.write("unfinished");
    co_await b.shutdown_write();
    co_await in.read_line(100);
  }());
  EXPECT_EQ(failure, errc::unexpected_eof);
}

TEST(BufferedStream, ReadExactWaitsForEveryByteAndFailsIfTheStreamEndsFirst) {
  auto scenario = []() -> Task<std::string> {
    auto [a, b] = make_pipe();
    BufferedStream in{a};
    std::vector<std::string> pieces{"0123", "456", "789tail"};
    auto [got, _] = co_await when_all(
        [&]() -> Task<std::string> { co_return std::string(co_await in.read_exact(10)); }(),
        trickle(b, std::move(pieces)));
    co_return got + "|" + std::string(in.buffered());
  };
  EXPECT_EQ(test::run(scenario()), "0123456789|tail");

  const std::error_code failure = failure_of([]() -> Task<void> {
    auto [a, b] = make_pipe();
    BufferedStream in{a};
    co_await b.write("short");
    co_await b.shutdown_write();
    co_await in.read_exact(10);
  }());
  EXPECT_EQ(failure, errc::unexpected_eof);
}

TEST(BufferedStream, UnreadBytesComeBackFirstAndReadSomeDrainsTheBufferBeforeTheStream) {
  auto scenario = []() -> Task<std::string> {
    auto [a, b] = make_pipe();
    BufferedStream in{a};
    co_await b.write("AB\r\nrest");
    co_await b.shutdown_write();
    const auto line = co_await in.read_line(100);
    in.unread(std::string(*line) + ":");
    co_return co_await in.read_to_end(100);  // read_some through the Stream interface
  };
  EXPECT_EQ(test::run(scenario()), "AB:rest");
}

TEST(BufferedStream, FillAfterKeepsTheFirstBytesInPlace) {
  auto scenario = []() -> Task<std::string> {
    auto [a, b] = make_pipe();
    BufferedStream in{a, 64};
    co_await b.write("HEAD:first-body-piece");
    co_await in.fill(64);
    const char* head = in.buffered().data();
    co_await b.write("second");
    co_await in.fill_after(5);  // "first-body-piece" is dropped, "second" lands behind HEAD:
    EXPECT_EQ(in.buffered().data(), head);
    co_return std::string(in.buffered());
  };
  EXPECT_EQ(test::run(scenario()), "HEAD:second");
}

TEST(BufferedStream, ManyLinesThroughASmallBufferCompactItInPlace) {
  auto scenario = []() -> Task<std::size_t> {
    auto [a, b] = make_pipe();
    BufferedStream in{a, 64};
    std::string many;
    for (int i = 0; i < 1000; ++i) many += "line " + std::to_string(i) + "\r\n";
    std::size_t count = 0;
    auto reader = [&]() -> Task<void> {
      while (auto line = co_await in.read_line(64)) {
        EXPECT_EQ(*line, "line " + std::to_string(count));
        ++count;
      }
    };
    std::vector<std::string> pieces{many.substr(0, 5000), many.substr(5000)};
    co_await when_all(reader(), trickle(b, std::move(pieces)));
    co_return count;
  };
  EXPECT_EQ(test::run(scenario()), 1000u);
}

TEST(BufferedStream, AReleasedBlockIsReusedByTheNextStreamOnTheLoop) {
  auto scenario = []() -> Task<bool> {
    auto [a, b] = make_pipe();
    co_await b.write("x\r\ny\r\n");
    const char* first = nullptr;
    {
      BufferedStream in{a};
      co_await in.read_line(100);
      first = in.buffered().data();  // "y\r\n" is still buffered: release() keeps the block
      in.release();
      EXPECT_EQ(in.buffered().data(), first);
      co_await in.read_line(100);
      in.release();  // empty: the block goes back to the loop's pool
    }
    BufferedStream next{a};
    co_await b.write("z\r\n");
    co_await next.read_line(100);
    co_return next.buffered().data() == first - 3;
  };
  EXPECT_TRUE(test::run(scenario()));
}
