#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include <wirekit/net.hpp>

#include "test_support.hpp"

namespace wirekit::net {
namespace {

using namespace std::chrono_literals;

std::string text(std::span<const std::byte> b, std::size_t n) {
  return std::string(reinterpret_cast<const char*>(b.data()), n);
}

TEST(Udp, DatagramAndReplyOverLoopback) {
  auto scenario = []() -> Task<std::string> {
    UdpSocket server = UdpSocket::bind(*SocketAddress::try_parse("127.0.0.1:0"));
    const SocketAddress server_address = server.local_address();
    auto serve_one = [&]() -> Task<void> {
      std::byte buf[1024];
      const Datagram d = co_await server.receive_from(buf);
      co_await server.send_to("got " + text(buf, d.size), d.from);
    };
    auto client = [&]() -> Task<std::string> {
      UdpSocket c = UdpSocket::for_peer(server_address);
      co_await c.send_to("Hello, UDP Server!", server_address);
      std::byte buf[1024];
      const Datagram d = co_await c.receive_from(buf).timeout(2s);
      EXPECT_EQ(d.from, server_address);
      co_return text(buf, d.size);
    };
    auto [_, reply] = co_await when_all(serve_one(), client());
    co_return reply;
  };
  EXPECT_EQ(test::run(scenario()), "got Hello, UDP Server!");
}

TEST(Udp, OversizedDatagramIsReportedTruncated) {
  auto scenario = []() -> Task<Datagram> {
    UdpSocket server = UdpSocket::bind(*SocketAddress::try_parse("127.0.0.1:0"));
    UdpSocket c = UdpSocket::for_peer(server.local_address());
    co_await c.send_to(std::string(100, 'z'), server.local_address());
    std::byte small[10];
    co_return co_await server.receive_from(small);
  };
  const Datagram d = test::run(scenario());
  EXPECT_EQ(d.size, 10u);
  EXPECT_TRUE(d.truncated);
}

TEST(Udp, ReceiveTimesOutWhenNothingArrives) {
  auto scenario = []() -> Task<bool> {
    UdpSocket s = UdpSocket::bind(*SocketAddress::try_parse("127.0.0.1:0"));
    std::byte buf[8];
    try {
      co_await s.receive_from(buf).timeout(20ms);
    } catch (const Error& e) {
      co_return e.code() == errc::timed_out;
    }
    co_return false;
  };
  EXPECT_TRUE(test::run(scenario()));
}

TEST(Udp, MulticastGroupReceivesOnLoopback) {
  auto scenario = []() -> Task<std::string> {
    UdpSocket receiver = UdpSocket::bind(*SocketAddress::try_parse("0.0.0.0:0"));
    const auto group = *IpAddress::try_parse("239.255.42.99");
    try {
      receiver.join_multicast(group, "lo");
    } catch (const Error& e) {
      co_return std::string("skip: ") + e.what();
    }
    UdpSocket sender = UdpSocket::bind(*SocketAddress::try_parse("127.0.0.1:0"));
    sender.set_multicast_loop(true);
    const SocketAddress to{group, receiver.local_address().port()};
    co_await sender.send_to("to the group", to);
    std::byte buf[64];
    try {
      const Datagram d = co_await receiver.receive_from(buf).timeout(1s);
      co_return text(buf, d.size);
    } catch (const Error& e) {
      co_return std::string("skip: ") + e.what();
    }
  };
  const std::string got = test::run(scenario());
  if (got.starts_with("skip: ")) GTEST_SKIP() << "no multicast route on lo here: " << got;
  EXPECT_EQ(got, "to the group");
}

TEST(Unix, StreamRoundTrip) {
  auto scenario = []() -> Task<std::string> {
    const std::string path = "/tmp/wirekit-unix-test-" + std::to_string(::getpid()) + ".sock";
    UnixListener listener = UnixListener::bind(path);
    auto server = [&]() -> Task<void> {
      UnixStream s = co_await listener.accept();
      const std::string all = co_await s.read_to_end(100);
      co_await s.write("unix:" + all);
    };
    auto client = [&]() -> Task<std::string> {
      UnixStream c = co_await UnixStream::connect(path);
      co_await c.write("hi");
      co_await c.shutdown_write();
      co_return co_await c.read_to_end(100);
    };
    auto [_, got] = co_await when_all(server(), client());
    ::unlink(path.c_str());
    co_return got;
  };
  EXPECT_EQ(test::run(scenario()), "unix:hi");
}

TEST(Resolver, LocalhostAndLiteralsNeedNoQuery) {
  auto scenario = []() -> Task<std::string> {
    const auto local = co_await resolve("localhost", 80);
    const auto literal = co_await resolve("192.0.2.1", 53);
    const auto v6only = co_await resolve("localhost", 1, ResolveOptions{.family = AF_INET6});
    co_return local.front().to_string() + " " + local.back().to_string() + " " +
        literal.front().to_string() + " " + v6only.front().to_string() + " " +
        std::to_string(v6only.size());
  };
  EXPECT_EQ(test::run(scenario()), "127.0.0.1:80 [::1]:80 192.0.2.1:53 [::1]:1 1");
}

TEST(Resolver, HostsFileNamesResolveThroughCares) {
  // /etc/hosts always names this machine; c-ares reads it before asking DNS.
  char name[256] = {};
  ASSERT_EQ(::gethostname(name, sizeof name - 1), 0);
  auto scenario = [&]() -> Task<std::size_t> {
    co_return (co_await resolve(name, 7, ResolveOptions{.timeout = 5s})).size();
  };
  try {
    EXPECT_GE(test::run(scenario()), 1u);
  } catch (const Error& e) {
    GTEST_SKIP() << "this machine's own name does not resolve: " << e.what();
  }
}

TEST(Resolver, UnknownNameFailsNamingTheHost) {
  auto scenario = []() -> Task<void> {
    co_await resolve("no-such-host.invalid", 80, ResolveOptions{.timeout = 3s});
  };
  try {
    test::run(scenario());
    FAIL() << "resolved a .invalid name";
  } catch (const Error& e) {
    EXPECT_TRUE(e.code() == errc::resolve_failed || e.code() == errc::timed_out) << e.what();
    EXPECT_TRUE(std::string(e.what()).starts_with("resolve no-such-host.invalid: ")) << e.what();
  }
}

}  // namespace
}  // namespace wirekit::net
