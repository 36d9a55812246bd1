// ws::Room: connections, on every loop of a runtime, that receive the same messages.
//
//   ws::Room room;
//   auto handler = [&room](ws::Connection& ws) -> Task<void> {
//     const ws::Room::Membership member = room.join(ws);
//     while (auto message = co_await ws.receive()) room.broadcast(message->data);
//   };
//
// A broadcast frames the message once (PreparedMessage) and posts it to every member without
// waiting: on the caller's loop at once, on each other loop through one posted task per loop.
// A member that stops reading meets its send-queue limit (ConnectionOptions::max_send_queue)
// and is closed or skipped, as its options say; the others go on receiving. Thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include <wirekit/core/loop.hpp>
#include <wirekit/ws/connection.hpp>

namespace wirekit::ws {

class Room {
 public:
  // A connection's place in the room, until this is destroyed (on the connection's loop).
  class Membership {
   public:
    Membership(Membership&& other) noexcept;
    Membership& operator=(Membership&&) = delete;
    Membership(const Membership&) = delete;
    ~Membership();

   private:
    friend class Room;
    Membership(Room& room, Connection& connection) noexcept;
    Room* room_;
    Connection* connection_;
  };

  Room() = default;
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  // Adds `connection`, which runs on the current loop.
  [[nodiscard]] Membership join(Connection& connection);

  // Posts the message to every member, the sender included; returns at once.
  void broadcast(const PreparedMessage& message);
  void broadcast(std::string_view text) { broadcast(PreparedMessage(Opcode::text, text)); }

  // Members on every loop.
  std::size_t size() const noexcept { return size_.load(std::memory_order_relaxed); }

 private:
  // The members on one loop, touched only on that loop.
  struct Shard {
    EventLoop* loop;
    std::shared_ptr<LoopHandle> handle;
    std::vector<Connection*> members;
  };
  Shard& shard_of_current_loop();
  void leave(Connection& connection) noexcept;

  mutable std::mutex lock_;  // guards the list of shards, not their members
  std::vector<std::shared_ptr<Shard>> shards_;
  std::atomic<std::size_t> size_{0};
};

}  // namespace wirekit::ws
