#include <array>
#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <wirekit/net.hpp>

#include "test_support.hpp"

namespace wirekit::net {
namespace {

using namespace std::chrono_literals;

const SocketAddress loopback_any_port = *SocketAddress::try_parse("127.0.0.1:0");

std::string text(std::span<const std::byte> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

TEST(Tcp, EchoRoundTripOverLoopback) {
  auto scenario = []() -> Task<std::string> {
    TcpListener listener = TcpListener::bind(loopback_any_port);
    auto server = [&]() -> Task<void> {
      TcpStream s = co_await listener.accept();
      std::byte buf[64];
      const std::size_t n = co_await s.read_some(buf);
      co_await s.write(std::span(buf, n));
    };
    auto client = [&]() -> Task<std::string> {
      TcpStream c = co_await TcpStream::connect(listener.local_address());
      co_await c.write("ping");
      std::byte buf[4];
      co_await c.read_exact(buf);
      co_return text(buf);
    };
    auto [_, reply] = co_await when_all(server(), client());
    co_return reply;
  };
  EXPECT_EQ(test::run(scenario()), "ping");
}

TEST(Tcp, HalfCloseLetsThePeerReadToEndAndStillReply) {
  auto scenario = []() -> Task<std::string> {
    TcpListener listener = TcpListener::bind(loopback_any_port);
    auto server = [&]() -> Task<void> {
      TcpStream s = co_await listener.accept();
      const std::string request = co_await s.read_to_end(1024);
      co_await s.write("got " + std::to_string(request.size()) + " bytes");
    };
    auto client = [&]() -> Task<std::string> {
      TcpStream c = co_await TcpStream::connect(listener.local_address());
      co_await c.write("hello world");
      co_await c.shutdown_write();
      co_return co_await c.read_to_end(1024);
    };
    auto [_, reply] = co_await when_all(server(), client());
    co_return reply;
  };
  EXPECT_EQ(test::run(scenario()), "got 11 bytes");
}

TEST(Tcp, LargeTransfersSurvivePartialWrites) {
  // 16 MiB through socket buffers of a few hundred KiB: writes block and resume many times.
  auto scenario = []() -> Task<std::size_t> {
    TcpListener listener = TcpListener::bind(loopback_any_port);
    const std::string payload(16 << 20, 'x');
    auto sender = [&]() -> Task<void> {
      TcpStream s = co_await listener.accept();
      co_await s.write(payload);
    };
    auto receiver = [&]() -> Task<std::size_t> {
      TcpStream c = co_await TcpStream::connect(listener.local_address());
      const std::string got = co_await c.read_to_end(32 << 20);
      co_return got == payload ? got.size() : 0;
    };
    auto [_, size] = co_await when_all(sender(), receiver());
    co_return size;
  };
  EXPECT_EQ(test::run(scenario()), 16u << 20);
}

TEST(Tcp, WritevSendsEveryChunkInOrder) {
  auto scenario = []() -> Task<std::string> {
    TcpListener listener = TcpListener::bind(loopback_any_port);
    auto sender = [&]() -> Task<void> {
      TcpStream s = co_await listener.accept();
      std::string big(1 << 20, 'b');
      char a[] = "head:";
      char c[] = ":tail";
      iovec chunks[] = {{a, 5}, {nullptr, 0}, {big.data(), big.size()}, {c, 5}};
      co_await s.writev(chunks);
    };
    auto receiver = [&]() -> Task<std::string> {
      TcpStream c = co_await TcpStream::connect(listener.local_address());
      co_return co_await c.read_to_end(2 << 20);
    };
    auto [_, got] = co_await when_all(sender(), receiver());
    co_return got.substr(0, 6) + "|" + std::to_string(got.size()) + "|" +
        got.substr(got.size() - 6);
  };
  EXPECT_EQ(test::run(scenario()), "head:b|1048586|b:tail");
}

TEST(Tcp, SendFileSendsTheRequestedRange) {
  char path[] = "/tmp/wirekit-sendfile-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string content = "0123456789abcdefghij";
  ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  auto scenario = [fd]() -> Task<std::string> {
    TcpListener listener = TcpListener::bind(loopback_any_port);
    auto sender = [&]() -> Task<void> {
      TcpStream s = co_await listener.accept();
      co_await s.send_file(fd, 5, 10);
    };
    auto receiver = [&]() -> Task<std::string> {
      TcpStream c = co_await TcpStream::connect(listener.local_address());
      co_return co_await c.read_to_end(100);
    };
    auto [_, got] = co_await when_all(sender(), receiver());
    co_return got;
  };
  EXPECT_EQ(test::run(scenario()), "56789abcde");
  ::close(fd);
  ::unlink(path);
}

// Each test runs in a process of its own (gtest_discover_tests), so SIGPIPE starts with its
// default action here: were it not ignored, the sendfile() below would kill the test.
TEST(Tcp, SendFileToAPeerThatHungUpFailsWithoutSigpipe) {
  char path[] = "/tmp/wirekit-sendfile-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::unlink(path);
  const std::string content(8 << 20, 'x');
  ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  auto scenario = [fd, &content]() -> Task<std::error_code> {
    TcpListener listener = TcpListener::bind(loopback_any_port);
    std::error_code failure;
    auto sender = [&]() -> Task<void> {
      TcpStream s = co_await listener.accept();
      try {
        co_await s.send_file(fd, 0, content.size());
      } catch (const Error& e) {
        failure = e.code();
      }
    };
    auto reader = [&]() -> Task<void> {
      TcpStream c = co_await TcpStream::connect(listener.local_address());
      std::array<std::byte, 1000> some;
      co_await c.read_exact(some);  // as `curl ... | head -c 1000` does
      // Hang up while the sender is still at it: a FIN first, then a close with bytes unread.
      // The reset then meets a connection in CLOSE_WAIT, whose next write is EPIPE.
      co_await c.shutdown_write();
      co_await sleep(std::chrono::milliseconds(100));
    };
    co_await when_all(sender(), reader());
    co_return failure;
  };
  const std::error_code failure = test::run(scenario());
  ::close(fd);
  EXPECT_TRUE(failure == std::errc::broken_pipe || failure == std::errc::connection_reset)
      << failure.message();
}

TEST(Tcp, WritesToAClosedPipeFailWithEpipeOnceALoopExists) {
  test::run([]() -> Task<void> { co_return; }());
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::close(fds[0]);
  EXPECT_EQ(::write(fds[1], "x", 1), -1);
  EXPECT_EQ(errno, EPIPE);
  ::close(fds[1]);
}

TEST(Tcp, ConnectionRefusedNamesTheAddress) {
  // Bind and close to learn a port nobody listens on.
  SocketAddress free_port = TcpListener::bind(loopback_any_port).local_address();
  try {
    test::run(TcpStream::connect(free_port));
    FAIL() << "connected to a closed port";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), std::errc::connection_refused);
    EXPECT_EQ(std::string(e.what()),
              "connect to " + free_port.to_string() + ": Connection refused");
  }
}

TEST(Tcp, ReadTimeoutFiresWhenThePeerIsSilent) {
  auto scenario = []() -> Task<std::string> {
    TcpListener listener = TcpListener::bind(loopback_any_port);
    TcpStream c = co_await TcpStream::connect(listener.local_address());
    TcpStream s = co_await listener.accept();
    std::byte buf[16];
    try {
      co_await c.read_some(buf).timeout(30ms);
    } catch (const Error& e) {
      co_return e.code() == errc::timed_out ? "timed out" : e.what();
    }
    co_return "read returned";
  };
  EXPECT_EQ(test::run(scenario()), "timed out");
}

TEST(Tcp, StreamDefaultTimeoutAppliesToEveryRead) {
  auto scenario = []() -> Task<bool> {
    TcpListener listener = TcpListener::bind(loopback_any_port);
    TcpStream c = co_await TcpStream::connect(listener.local_address());
    TcpStream s = co_await listener.accept();
    c.set_read_timeout(20ms);
    std::byte buf[16];
    try {
      co_await c.read_some(buf);
    } catch (const Error& e) {
      co_return e.code() == errc::timed_out;
    }
    co_return false;
  };
  EXPECT_TRUE(test::run(scenario()));
}

TEST(Tcp, CancellationReachesAPendingRead) {
  auto scenario = []() -> Task<std::string> {
    TcpListener listener = TcpListener::bind(loopback_any_port);
    TcpStream c = co_await TcpStream::connect(listener.local_address());
    TcpStream s = co_await listener.accept();
    auto reader = [&]() -> Task<std::string> {
      std::byte buf[16];
      try {
        co_await c.read_some(buf);
      } catch (const Error& e) {
        co_return e.code() == errc::cancelled ? "cancelled" : e.what();
      }
      co_return "read returned";
    };
    try {
      co_return co_await with_timeout(20ms, reader());
    } catch (const Error& e) {
      co_return e.what();
    }
  };
  // The reader sees the cancellation; with_timeout returns its result since it finished.
  EXPECT_EQ(test::run(scenario()), "cancelled");
}

TEST(Tcp, ClosingAStreamFailsItsPendingReadWithClosed) {
  auto scenario = []() -> Task<bool> {
    TcpListener listener = TcpListener::bind(loopback_any_port);
    TcpStream c = co_await TcpStream::connect(listener.local_address());
    TcpStream s = co_await listener.accept();
    auto reader = [&]() -> Task<bool> {
      std::byte buf[16];
      try {
        co_await c.read_some(buf);
      } catch (const Error& e) {
        co_return e.code() == errc::closed;
      }
      co_return false;
    };
    auto closer = [&]() -> Task<void> {
      co_await sleep(5ms);
      c.close();
    };
    auto [closed, _] = co_await when_all(reader(), closer());
    co_return closed;
  };
  EXPECT_TRUE(test::run(scenario()));
}

TEST(Tcp, PortInUseIsAClearError) {
  TcpListener first = TcpListener::bind(loopback_any_port);
  ListenOptions no_reuse;
  no_reuse.reuse_address = false;
  try {
    TcpListener::bind(first.local_address(), no_reuse);
    FAIL() << "bound twice";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), std::errc::address_in_use);
    EXPECT_EQ(std::string(e.what()),
              "listen on " + first.local_address().to_string() + ": Address already in use");
  }
}

TEST(Tcp, Ipv6Loopback) {
  auto scenario = []() -> Task<std::string> {
    TcpListener listener = TcpListener::bind(*SocketAddress::try_parse("[::1]:0"));
    auto server = [&]() -> Task<std::string> {
      TcpStream s = co_await listener.accept();
      co_return s.peer_address().ip().to_string();
    };
    auto client = [&]() -> Task<void> {
      TcpStream c = co_await TcpStream::connect("::1", listener.local_address().port());
      co_await c.write("x");
    };
    auto [peer, _] = co_await when_all(server(), client());
    co_return peer;
  };
  EXPECT_EQ(test::run(scenario()), "::1");
}

}  // namespace
}  // namespace wirekit::net
