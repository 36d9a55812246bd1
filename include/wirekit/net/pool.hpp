// net::Pool<Key, Connection>: connections kept open for reuse, by key (an HTTP origin, a Redis
// server, an SMTP relay), under a global and a per-key limit.
//
//   net::Pool<std::string, std::unique_ptr<Conn>> pool({.limit = 20, .limit_per_key = 4});
//   auto lease = co_await pool.acquire(origin, [&](const std::string& key) { return dial(key); });
//   co_await use(**lease);
//   lease.release();  // back to the pool; a lease dropped without release() closes instead
//
// acquire() hands out the most recently used idle connection of the key that passes the health
// check (an idle one failing it is closed), or makes one with `connect`, waiting for a slot
// while the limits are reached. A slot held by an idle connection of another key is taken back
// (its oldest idle connection closes) rather than waited for. Idle connections unused for
// `idle_timeout` close at the next acquire, release or close_idle: the pool runs no timer.
//
// The pool belongs to one event loop: acquire and release on it. A lease may outlive its pool;
// its connection then closes when the lease ends. Connection is any movable type whose
// destructor closes the connection. With g++ 12, pass a named key, not a std::string made in
// the co_await expression (the note in wirekit/http/client.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>

#include <wirekit/core/loop.hpp>
#include <wirekit/core/sync.hpp>
#include <wirekit/core/task.hpp>
#include <wirekit/core/time.hpp>

namespace wirekit::net {

struct PoolOptions {
  std::size_t limit = 100;        // connections open at once over all keys; 0: no limit
  std::size_t limit_per_key = 0;  // per key; 0: no limit
  Duration idle_timeout = std::chrono::seconds(15);  // an idle connection unused this long closes
};

struct PoolStats {
  std::size_t opened = 0;     // connections made by `connect`
  std::size_t reused = 0;     // leases served by an idle connection
  std::size_t unhealthy = 0;  // idle connections the health check closed
  std::size_t expired = 0;    // idle connections closed after idle_timeout
  std::size_t open = 0;       // open now: leased, idle, or being connected
  std::size_t idle = 0;       // idle now
};

template <class Key, class Connection>
class Pool {
  struct Shared;

 public:
  // Called on an idle connection before it is handed out again; false closes it. The default
  // takes every idle connection.
  using HealthCheck = std::function<bool(Connection&)>;

  explicit Pool(PoolOptions options = {}, HealthCheck healthy = {})
      : shared_(std::make_shared<Shared>(options, std::move(healthy))) {}
  ~Pool() {
    shared_->closed = true;
    shared_->idle.clear();  // closes them; leases still out close theirs when they end
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A connection of the pool, leased to one user at a time.
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::move(other.pool_)),
          key_(std::move(other.key_)),
          connection_(std::exchange(other.connection_, std::nullopt)),
          reused_(other.reused_) {}
    Lease& operator=(Lease&& other) noexcept {
      if (this != &other) {
        end();
        pool_ = std::move(other.pool_);
        key_ = std::move(other.key_);
        connection_ = std::exchange(other.connection_, std::nullopt);
        reused_ = other.reused_;
      }
      return *this;
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    // Without release(): the connection closes and its slot is free.
    ~Lease() { end(); }

    Connection& operator*() noexcept { return *connection_; }
    Connection* operator->() noexcept { return &*connection_; }
    const Key& key() const noexcept { return key_; }
    // Whether the connection served an earlier lease (a request failing on it before any answer
    // may be worth one more try on a fresh connection: the peer may have closed it while idle).
    bool reused() const noexcept { return reused_; }

    // Gives the connection back for the next lease of its key.
    void release() {
      if (!connection_) return;
      Shared& pool = *pool_;
      if (pool.closed) {
        end();
        return;
      }
      pool.idle[key_].push_back({std::move(*connection_), Clock::now()});
      connection_.reset();
      pool.expire(Clock::now());
      pool.wake();
    }

   private:
    friend class Pool;
    Lease(std::shared_ptr<Shared> pool, Key key, Connection connection, bool reused)
        : pool_(std::move(pool)),
          key_(std::move(key)),
          connection_(std::move(connection)),
          reused_(reused) {}
    void end() noexcept {
      if (!connection_) return;
      connection_.reset();
      pool_->closed_one(key_);
    }

    std::shared_ptr<Shared> pool_;
    Key key_;
    std::optional<Connection> connection_;
    bool reused_ = false;
  };

  // `connect(key)` returns a Task<Connection>; its error propagates and frees the slot.
  template <class Connect>
  Task<Lease> acquire(Key key, Connect connect) {
    Shared& pool = *shared_;
    for (;;) {
      pool.expire(Clock::now());
      if (auto connection = pool.take_idle(key)) {
        ++pool.stats.reused;
        co_return Lease(shared_, std::move(key), std::move(*connection), true);
      }
      if (pool.can_open(key) || pool.evict_oldest_idle()) break;
      co_await pool.slot_freed.wait();
    }
    pool.opened_one(key);
    try {
      Connection connection = co_await connect(std::as_const(key));
      ++pool.stats.opened;
      co_return Lease(shared_, std::move(key), std::move(connection), false);
    } catch (...) {
      pool.closed_one(key);
      throw;
    }
  }

  // Closes every idle connection (leased ones stay open).
  void close_idle() noexcept {
    while (shared_->evict_oldest_idle()) {
    }
  }

  PoolStats stats() const noexcept {
    PoolStats s = shared_->stats;
    s.open = shared_->open_total;
    for (const auto& [key, list] : shared_->idle) s.idle += list.size();
    return s;
  }
  const PoolOptions& options() const noexcept { return shared_->options; }

 private:
  struct Idle {
    Connection connection;
    Clock::time_point since;
  };

  struct Shared {
    Shared(PoolOptions o, HealthCheck h) : options(o), healthy(std::move(h)) {}

    PoolOptions options;
    HealthCheck healthy;
    std::map<Key, std::deque<Idle>> idle;  // per key, oldest first
    std::map<Key, std::size_t> open_per_key;
    std::size_t open_total = 0;
    Event slot_freed;
    PoolStats stats;
    bool closed = false;

    bool can_open(const Key& key) const {
      if (options.limit != 0 && open_total >= options.limit) return false;
      if (options.limit_per_key == 0) return true;
      const auto it = open_per_key.find(key);
      return it == open_per_key.end() || it->second < options.limit_per_key;
    }
    void opened_one(const Key& key) {
      ++open_total;
      ++open_per_key[key];
    }
    void closed_one(const Key& key) noexcept {
      --open_total;
      if (const auto it = open_per_key.find(key); it != open_per_key.end() && --it->second == 0) {
        open_per_key.erase(it);
      }
      wake();
    }
    // Every waiter looks again; the ones that still find no slot wait once more.
    void wake() noexcept {
      slot_freed.set();
      slot_freed.reset();
    }

    std::optional<Connection> take_idle(const Key& key) {
      const auto it = idle.find(key);
      while (it != idle.end() && !it->second.empty()) {
        Connection connection = std::move(it->second.back().connection);
        it->second.pop_back();
        if (!healthy || healthy(connection)) {
          if (it->second.empty()) idle.erase(it);
          return connection;
        }
        ++stats.unhealthy;
        closed_one(key);  // `connection` closes at the end of this round
      }
      if (it != idle.end()) idle.erase(it);
      return std::nullopt;
    }

    void expire(Clock::time_point now) {
      for (auto it = idle.begin(); it != idle.end();) {
        auto& list = it->second;
        while (!list.empty() && now - list.front().since >= options.idle_timeout) {
          list.pop_front();
          ++stats.expired;
          closed_one(it->first);
        }
        it = list.empty() ? idle.erase(it) : std::next(it);
      }
    }

    bool evict_oldest_idle() noexcept {
      auto oldest = idle.end();
      for (auto it = idle.begin(); it != idle.end(); ++it) {
        if (oldest == idle.end() || it->second.front().since < oldest->second.front().since) {
          oldest = it;
        }
      }
      if (oldest == idle.end()) return false;
      const Key key = oldest->first;
      oldest->second.pop_front();
      if (oldest->second.empty()) idle.erase(oldest);
      closed_one(key);
      return true;
    }
  };

  std::shared_ptr<Shared> shared_;
};

}  // namespace wirekit::net
