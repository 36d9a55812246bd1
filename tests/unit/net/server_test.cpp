#include <array>
#include <atomic>
#include <chrono>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <wirekit/net.hpp>

#include "test_support.hpp"

namespace wirekit::net {
namespace {

using namespace std::chrono_literals;

const std::vector<SocketAddress> loopback{*SocketAddress::try_parse("127.0.0.1:0")};

Task<void> echo(TcpStream s) {
  std::byte buf[4096];
  while (const std::size_t n = co_await s.read_some(buf)) co_await s.write(std::span(buf, n));
}

Task<std::string> exchange(SocketAddress to, std::string message) {
  TcpStream c = co_await TcpStream::connect(to);
  co_await c.write(message);
  co_await c.shutdown_write();
  co_return co_await c.read_to_end(1 << 20);
}

TEST(TcpServer, ServesManyClientsConcurrently) {
  auto scenario = []() -> Task<int> {
    TcpServer server{loopback};
    std::stop_source stop;
    Task<void> serving = server.serve(echo);
    serving.set_stop_token(stop.get_token());
    auto clients = [&]() -> Task<int> {
      std::vector<Task<std::string>> all;
      for (int i = 0; i < 200; ++i) {
        all.push_back(exchange(server.local_addresses()[0], "client " + std::to_string(i)));
      }
      const auto replies = co_await when_all(std::move(all));
      int right = 0;
      for (int i = 0; i < 200; ++i)
        right += replies[static_cast<std::size_t>(i)] == "client " + std::to_string(i);
      stop.request_stop();
      co_return right;
    };
    auto [_, right] = co_await when_all(std::move(serving), clients());
    co_return right;
  };
  EXPECT_EQ(test::run(scenario()), 200);
}

TEST(TcpServer, TakesHostAndPortAsText) {
  EXPECT_EQ(TcpServer{"127.0.0.1:0"}.local_addresses().front().ip().to_string(), "127.0.0.1");
  const std::vector<SocketAddress> local = TcpServer{"localhost:0"}.local_addresses();
  ASSERT_FALSE(local.empty());
  EXPECT_TRUE(local.front().ip().is_loopback());
  for (const SocketAddress& a : local) EXPECT_EQ(a.port(), local.front().port());
  try {
    TcpServer nowhere{"no-such-host.invalid:80"};
    FAIL() << "bound a name that does not resolve";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), errc::resolve_failed);
    EXPECT_NE(std::string(e.what()).find("no-such-host.invalid"), std::string::npos);
  }
}

TEST(ListenAddresses, EveryInterfaceLocalhostAndLiteralsNeedNoLookup) {
  auto scenario = []() -> Task<std::string> {
    std::string out;
    for (const char* host : {"", "*", "localhost", "10.1.2.3", "::1"}) {
      for (const SocketAddress& a : co_await listen_addresses(host, 80)) {
        out += a.to_string() + " ";
      }
      out += "| ";
    }
    co_return out;
  };
  EXPECT_EQ(test::run(scenario()),
            "0.0.0.0:80 [::]:80 | 0.0.0.0:80 [::]:80 | 127.0.0.1:80 [::1]:80 | 10.1.2.3:80 | "
            "[::1]:80 | ");
}

TEST(TcpServer, ShutdownLetsInFlightConnectionsFinishWithinGrace) {
  auto scenario = []() -> Task<std::string> {
    TcpServer server{loopback, ServeOptions{.shutdown_grace = 2s}};
    std::stop_source stop;
    auto slow_reply = [](TcpStream s) -> Task<void> {
      co_await sleep(50ms);
      co_await s.write("finished");
    };
    Task<void> serving = server.serve(slow_reply);
    serving.set_stop_token(stop.get_token());
    auto client = [&]() -> Task<std::string> {
      TcpStream c = co_await TcpStream::connect(server.local_addresses()[0]);
      co_await sleep(10ms);  // the server has accepted and is working on it
      stop.request_stop();
      co_return co_await c.read_to_end(100);
    };
    auto [_, got] = co_await when_all(std::move(serving), client());
    co_return got;
  };
  EXPECT_EQ(test::run(scenario()), "finished");
}

TEST(TcpServer, ShutdownCancelsConnectionsPastTheGrace) {
  auto scenario = []() -> Task<Clock::duration> {
    TcpServer server{loopback, ServeOptions{.shutdown_grace = 30ms}};
    std::stop_source stop;
    Task<void> serving = server.serve(echo);  // an idle echo connection never ends by itself
    serving.set_stop_token(stop.get_token());
    auto client = [&]() -> Task<Clock::duration> {
      TcpStream c = co_await TcpStream::connect(server.local_addresses()[0]);
      co_await c.write("x");
      std::byte b[1];
      co_await c.read_exact(b);
      const auto start = Clock::now();
      stop.request_stop();
      const std::string rest = co_await c.read_to_end(10);  // ends when the server closes
      co_return Clock::now() - start;
    };
    auto [_, took] = co_await when_all(std::move(serving), client());
    co_return took;
  };
  const auto took = test::run(scenario());
  EXPECT_GE(took, 30ms);
  EXPECT_LT(took, 2s);
}

TEST(TcpServer, ConnectionCapDefersTheNextClient) {
  auto scenario = []() -> Task<std::string> {
    TcpServer server{loopback, ServeOptions{.max_connections = 1}};
    std::stop_source stop;
    Task<void> serving = server.serve(echo);
    serving.set_stop_token(stop.get_token());
    auto clients = [&]() -> Task<std::string> {
      const SocketAddress at = server.local_addresses()[0];
      TcpStream first = co_await TcpStream::connect(at);
      co_await first.write("1");
      std::byte b[1];
      co_await first.read_exact(b);
      // The second connects (the kernel's backlog) but is not served while the first is open.
      TcpStream second = co_await TcpStream::connect(at);
      co_await second.write("2");
      std::string log;
      try {
        co_await second.read_some(b).timeout(50ms);
        log += "served early;";
      } catch (const Error& e) {
        if (e.code() == errc::timed_out) log += "waited;";
      }
      first.close();
      co_await second.read_some(b).timeout(2s);
      log += std::string("served ") + static_cast<char>(b[0]);
      stop.request_stop();
      co_return log;
    };
    auto [_, log] = co_await when_all(std::move(serving), clients());
    co_return log;
  };
  EXPECT_EQ(test::run(scenario()), "waited;served 2");
}

TEST(TcpServer, OneListenerPerLoopWithReusePort) {
  Runtime runtime{RuntimeOptions{.threads = 2, .handle_signals = false}};
  TcpServer server{loopback, {}, 2};
  const SocketAddress at = server.local_addresses()[0];
  auto main = [&]() -> Task<int> {
    std::stop_source stop;
    Task<void> serving = server.serve(runtime, echo);
    serving.set_stop_token(stop.get_token());
    auto clients = [&]() -> Task<int> {
      std::vector<Task<std::string>> all;
      for (int i = 0; i < 64; ++i) all.push_back(exchange(at, "m" + std::to_string(i)));
      const auto replies = co_await when_all(std::move(all));
      stop.request_stop();
      int right = 0;
      for (int i = 0; i < 64; ++i)
        right += replies[static_cast<std::size_t>(i)] == "m" + std::to_string(i);
      co_return right;
    };
    auto [_, right] = co_await when_all(std::move(serving), clients());
    co_return right;
  };
  EXPECT_EQ(runtime.run(main()), 64);
}

// Connections arrive while the loops are still starting, their handlers ask draining() at once
// (as the HTTP server does), and shutdown comes while every one is open: each must see its own
// loop's draining token requested and finish by itself, well inside the grace. Loop 1 is kept
// busy when serving begins, so that loop 2 serves (and looks through the per-loop state) before
// loop 1 has started: under TSan this catches per-loop state written by a loop as it starts.
TEST(TcpServer, DrainingReachesEveryLoopWhileLoopsStartAndConnectionsAreOpen) {
  constexpr std::size_t loops = 3;
  constexpr std::size_t clients = 30;
  Runtime runtime{RuntimeOptions{.threads = loops, .handle_signals = false}};
  TcpServer server{loopback, ServeOptions{.shutdown_grace = 5s}, loops};
  const SocketAddress at = server.local_addresses()[0];
  runtime.loop(1).post([] { std::this_thread::sleep_for(200ms); });  // before it takes its task
  std::array<std::atomic<int>, loops> served{};
  auto handler = [&](TcpStream s) -> Task<void> {
    const std::stop_token draining = server.draining();
    for (std::size_t i = 0; i < loops; ++i) {
      if (&runtime.loop(i) == &EventLoop::current()) ++served[i];
    }
    // Requested on this loop's thread (draining() says so), so the Event stays loop-affine.
    Event drained;
    const std::stop_callback on_drain(draining, [&drained] { drained.set(); });
    co_await s.write("+");
    co_await drained.wait();
    co_await s.write("drained");
  };
  auto main = [&]() -> Task<std::vector<std::string>> {
    std::stop_source stop;
    Task<void> serving = server.serve(runtime, handler);
    serving.set_stop_token(stop.get_token());
    std::size_t open = 0;
    auto client = [&]() -> Task<std::string> {
      TcpStream c = co_await TcpStream::connect(at);
      std::byte accepted[1];
      co_await c.read_exact(accepted);
      if (++open == clients) stop.request_stop();  // all are open and waiting: shut down
      co_return co_await c.read_to_end(100);
    };
    std::vector<Task<std::string>> all;
    for (std::size_t i = 0; i < clients; ++i) all.push_back(client());
    Task<std::vector<std::string>> replies = when_all(std::move(all));
    auto [_, got] = co_await when_all(std::move(serving), std::move(replies));
    co_return got;
  };
  const auto start = Clock::now();
  const std::vector<std::string> replies = runtime.run(main());
  EXPECT_LT(Clock::now() - start, 5s);  // no connection waited out the grace
  EXPECT_EQ(replies, std::vector<std::string>(clients, "drained"));
  int total = 0;
  // SO_REUSEPORT spreads 30 connections over the 3 listeners: a loop with none would leave the
  // late start untested (odds about 1 in 60,000).
  for (std::size_t i = 0; i < loops; ++i) {
    EXPECT_GT(served[i], 0) << "loop " << i << " served no connection";
    total += served[i];
  }
  EXPECT_EQ(total, static_cast<int>(clients));
}

struct EchoProtocol final : Protocol {
  void data_received(std::span<const std::byte> data) override { transport().write(data); }
};

struct UpperOnceProtocol final : Protocol {
  void connection_made() override { transport().write("hello "); }
  void data_received(std::span<const std::byte> data) override {
    std::string s(reinterpret_cast<const char*>(data.data()), data.size());
    for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    transport().write(s);
    transport().lose_connection();
  }
  void connection_lost(const std::exception_ptr& reason) override { clean = reason == nullptr; }
  static inline bool clean = false;
};

TEST(Protocol, TwistedStyleEchoFactory) {
  auto scenario = []() -> Task<std::string> {
    TcpServer server{loopback};
    SimpleFactory<EchoProtocol> factory;
    std::stop_source stop;
    Task<void> serving = listen_tcp(server, factory);
    serving.set_stop_token(stop.get_token());
    auto client = [&]() -> Task<std::string> {
      const std::string got = co_await exchange(server.local_addresses()[0], "twisted");
      stop.request_stop();
      co_return got;
    };
    auto [_, got] = co_await when_all(std::move(serving), client());
    co_return got;
  };
  EXPECT_EQ(test::run(scenario()), "twisted");
}

TEST(Protocol, ConnectionMadeWritesAndLoseConnectionFlushesFirst) {
  auto tcp = []() -> Task<std::string> {
    TcpServer server{loopback};
    SimpleFactory<UpperOnceProtocol> factory;
    std::stop_source stop;
    Task<void> serving = listen_tcp(server, factory);
    serving.set_stop_token(stop.get_token());
    auto client = [&]() -> Task<std::string> {
      TcpStream c = co_await TcpStream::connect(server.local_addresses()[0]);
      co_await c.write("shout");
      const std::string got = co_await c.read_to_end(100);
      stop.request_stop();
      co_return got;
    };
    auto [_, got] = co_await when_all(std::move(serving), client());
    co_return got;
  };
  EXPECT_EQ(test::run(tcp()), "hello SHOUT");
  EXPECT_TRUE(UpperOnceProtocol::clean);
}

TEST(Pipe, InMemoryStreamsBehaveLikeSockets) {
  auto scenario = []() -> Task<std::string> {
    auto [a, b] = make_pipe(16);  // tiny: the writer must wait for the reader
    auto writer = [&]() -> Task<void> {
      co_await a.write(std::string(1000, 'p'));
      co_await a.shutdown_write();
    };
    auto reader = [&]() -> Task<std::string> { co_return co_await b.read_to_end(2000); };
    auto [_, got] = co_await when_all(writer(), reader());
    co_return got;
  };
  EXPECT_EQ(test::run(scenario()), std::string(1000, 'p'));
}

}  // namespace
}  // namespace wirekit::net
