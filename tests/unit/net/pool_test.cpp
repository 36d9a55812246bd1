#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <wirekit/net.hpp>

#include "test_support.hpp"

namespace wirekit::net {
namespace {

using namespace std::chrono_literals;

// A connection that records its closing in a log shared with the test.
struct Fake {
  Fake(int number, std::shared_ptr<std::vector<int>> log) : id(number), closed(std::move(log)) {}
  Fake(Fake&& other) noexcept
      : id(other.id), closed(std::move(other.closed)), healthy(other.healthy) {}
  Fake& operator=(Fake&&) = delete;
  ~Fake() {
    if (closed) closed->push_back(id);
  }
  int id;
  std::shared_ptr<std::vector<int>> closed;
  bool healthy = true;
};

using FakePool = Pool<std::string, Fake>;

// Keys are named, not made in the co_await expression: g++ 12 destroys a temporary std::string
// made there twice (the note in include/wirekit/http/client.hpp).
const std::string key_a = "a";
const std::string key_b = "b";
const std::string key_nowhere = "nowhere";

// Numbers the connections it makes, 1, 2, 3..., and counts the calls per key.
struct Dialer {
  std::shared_ptr<std::vector<int>> closed = std::make_shared<std::vector<int>>();
  int made = 0;
  std::vector<std::string> keys;
  Task<Fake> operator()(const std::string& key) {
    keys.push_back(key);
    co_return Fake(++made, closed);
  }
};

TEST(Pool, AReleasedConnectionServesTheNextLeaseOfItsKeyOnly) {
  auto scenario = []() -> Task<void> {
    Dialer dial;
    FakePool pool;
    auto a = co_await pool.acquire(key_a, std::ref(dial));
    EXPECT_FALSE(a.reused());
    const int first = a->id;
    a.release();
    auto again = co_await pool.acquire(key_a, std::ref(dial));
    EXPECT_TRUE(again.reused());
    EXPECT_EQ(again->id, first);
    auto other = co_await pool.acquire(key_b, std::ref(dial));
    EXPECT_FALSE(other.reused());
    EXPECT_NE(other->id, first);
    EXPECT_EQ(dial.keys, (std::vector<std::string>{"a", "b"}));
    const PoolStats stats = pool.stats();
    EXPECT_EQ(stats.opened, 2u);
    EXPECT_EQ(stats.reused, 1u);
    EXPECT_EQ(stats.open, 2u);
    EXPECT_EQ(stats.idle, 0u);
  };
  test::run(scenario());
}

TEST(Pool, TheMostRecentlyUsedIdleConnectionIsHandedOutFirst) {
  auto scenario = []() -> Task<int> {
    Dialer dial;
    FakePool pool;
    auto one = co_await pool.acquire(key_a, std::ref(dial));
    auto two = co_await pool.acquire(key_a, std::ref(dial));
    one.release();
    two.release();
    auto next = co_await pool.acquire(key_a, std::ref(dial));
    co_return next->id;
  };
  EXPECT_EQ(test::run(scenario()), 2);
}

TEST(Pool, ALeaseEndedWithoutReleaseClosesItsConnectionAndFreesTheSlot) {
  auto scenario = []() -> Task<void> {
    Dialer dial;
    FakePool pool({.limit = 1});
    { auto lease = co_await pool.acquire(key_a, std::ref(dial)); }
    EXPECT_EQ(*dial.closed, std::vector<int>{1});
    EXPECT_EQ(pool.stats().open, 0u);
    auto next = co_await pool.acquire(key_a, std::ref(dial));
    EXPECT_EQ(next->id, 2);
  };
  test::run(scenario());
}

TEST(Pool, AtTheGlobalLimitAnAcquireWaitsForAReleasedConnection) {
  auto scenario = []() -> Task<std::vector<std::string>> {
    Dialer dial;
    FakePool pool({.limit = 1});
    std::vector<std::string> order;
    auto holder = [&]() -> Task<void> {
      auto lease = co_await pool.acquire(key_a, std::ref(dial));
      order.push_back("first has " + std::to_string(lease->id));
      co_await sleep(20ms);
      order.push_back("first releases");
      lease.release();
    };
    auto waiter = [&]() -> Task<void> {
      co_await sleep(5ms);
      auto lease = co_await pool.acquire(key_a, std::ref(dial));
      order.push_back("second has " + std::to_string(lease->id));
    };
    co_await when_all(holder(), waiter());
    co_return order;
  };
  EXPECT_EQ(test::run(scenario()),
            (std::vector<std::string>{"first has 1", "first releases", "second has 1"}));
}

TEST(Pool, AtTheGlobalLimitAnIdleConnectionOfAnotherKeyIsClosedForANewOne) {
  auto scenario = []() -> Task<void> {
    Dialer dial;
    FakePool pool({.limit = 1});
    {
      auto idle = co_await pool.acquire(key_a, std::ref(dial));
      idle.release();
    }
    auto b = co_await pool.acquire(key_b, std::ref(dial));
    EXPECT_EQ(b->id, 2);
    EXPECT_EQ(*dial.closed, std::vector<int>{1});
    EXPECT_EQ(pool.stats().open, 1u);
  };
  test::run(scenario());
}

TEST(Pool, ThePerKeyLimitHoldsOneKeyBackAndLetsOthersOpen) {
  auto scenario = []() -> Task<void> {
    Dialer dial;
    FakePool pool({.limit = 0, .limit_per_key = 1});
    auto a = co_await pool.acquire(key_a, std::ref(dial));
    auto b = co_await pool.acquire(key_b, std::ref(dial));  // another key: no wait
    EXPECT_EQ(b->id, 2);
    auto waiting = pool.acquire(key_a, std::ref(dial));
    try {
      co_await with_timeout(20ms, std::move(waiting));
      ADD_FAILURE() << "a second connection to a under limit_per_key = 1";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), errc::timed_out);
    }
    // The abandoned wait took no slot: releasing a lets the next acquire have it.
    a.release();
    auto again = co_await pool.acquire(key_a, std::ref(dial));
    EXPECT_EQ(again->id, 1);
    EXPECT_EQ(pool.stats().open, 2u);
  };
  test::run(scenario());
}

TEST(Pool, IdleConnectionsPastTheIdleTimeoutAreClosed) {
  auto scenario = []() -> Task<void> {
    Dialer dial;
    FakePool pool({.idle_timeout = 10ms});
    {
      auto idle = co_await pool.acquire(key_a, std::ref(dial));
      idle.release();
    }
    co_await sleep(30ms);
    auto next = co_await pool.acquire(key_a, std::ref(dial));
    EXPECT_FALSE(next.reused());
    EXPECT_EQ(next->id, 2);
    EXPECT_EQ(*dial.closed, std::vector<int>{1});
    EXPECT_EQ(pool.stats().expired, 1u);
  };
  test::run(scenario());
}

TEST(Pool, TheHealthCheckClosesAnIdleConnectionThatFailsIt) {
  auto scenario = []() -> Task<void> {
    Dialer dial;
    FakePool pool({}, [](Fake& c) { return c.healthy; });
    auto sick = co_await pool.acquire(key_a, std::ref(dial));
    auto fine = co_await pool.acquire(key_a, std::ref(dial));
    fine.release();
    sick->healthy = false;
    sick.release();  // the newest idle one, so the first to be checked
    auto next = co_await pool.acquire(key_a, std::ref(dial));
    EXPECT_TRUE(next.reused());
    EXPECT_EQ(next->id, 2);
    EXPECT_EQ(*dial.closed, std::vector<int>{1});
    EXPECT_EQ(pool.stats().unhealthy, 1u);
    EXPECT_EQ(pool.stats().open, 1u);
  };
  test::run(scenario());
}

TEST(Pool, AFailedConnectGivesItsSlotBack) {
  auto scenario = []() -> Task<void> {
    FakePool pool({.limit = 1});
    auto refuse = [](const std::string& key) -> Task<Fake> {
      throw Error(errc::resolve_failed, "no such host " + key);
      co_return Fake(0, nullptr);
    };
    try {
      co_await pool.acquire(key_nowhere, refuse);
      ADD_FAILURE() << "the connect error did not reach the caller";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), errc::resolve_failed);
    }
    EXPECT_EQ(pool.stats().open, 0u);
    Dialer dial;
    auto lease = co_await pool.acquire(key_a, std::ref(dial));
    EXPECT_EQ(lease->id, 1);
  };
  test::run(scenario());
}

TEST(Pool, CloseIdleClosesIdleConnectionsAndLeavesLeasedOnes) {
  auto scenario = []() -> Task<void> {
    Dialer dial;
    FakePool pool;
    auto kept = co_await pool.acquire(key_a, std::ref(dial));
    {
      auto idle = co_await pool.acquire(key_b, std::ref(dial));
      idle.release();
    }
    pool.close_idle();
    EXPECT_EQ(*dial.closed, std::vector<int>{2});
    EXPECT_EQ(pool.stats().open, 1u);
    EXPECT_EQ(kept->id, 1);
  };
  test::run(scenario());
}

TEST(Pool, ALeaseOutlivingItsPoolClosesItsConnectionWhenReleased) {
  auto scenario = []() -> Task<std::vector<int>> {
    Dialer dial;
    std::optional<FakePool::Lease> lease;
    {
      FakePool pool;
      auto first = co_await pool.acquire(key_a, std::ref(dial));
      lease.emplace(std::move(first));
      {
        auto idle = co_await pool.acquire(key_a, std::ref(dial));
        idle.release();
      }
    }
    EXPECT_EQ(*dial.closed, std::vector<int>{2});  // the idle one closed with the pool
    lease->release();
    co_return *dial.closed;
  };
  EXPECT_EQ(test::run(scenario()), (std::vector<int>{2, 1}));
}

// The health check an HTTP or Redis pool uses: Stream::quiet on a real connection.
TEST(Pool, QuietTellsAnIdleConnectionFromOneThePeerClosed) {
  auto scenario = []() -> Task<std::vector<bool>> {
    TcpListener listener = TcpListener::bind(*SocketAddress::try_parse("127.0.0.1:0"));
    TcpStream client = co_await TcpStream::connect(listener.local_address());
    std::vector<bool> seen;
    {
      TcpStream server = co_await listener.accept();
      seen.push_back(client.quiet());  // idle, open
      co_await server.write("x");
      co_await sleep(10ms);
      seen.push_back(client.quiet());  // bytes nobody asked for
    }
    TcpStream again = co_await TcpStream::connect(listener.local_address());
    { TcpStream server = co_await listener.accept(); }
    co_await sleep(10ms);
    seen.push_back(again.quiet());  // the peer closed
    co_return seen;
  };
  EXPECT_EQ(test::run(scenario()), (std::vector<bool>{true, false, false}));
}

}  // namespace
}  // namespace wirekit::net
