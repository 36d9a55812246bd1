// Broadcast to connections of every loop (include/wirekit/ws/room.hpp).
#include <algorithm>

#include <wirekit/ws/room.hpp>

namespace wirekit::ws {

namespace {

void post_to_members(const std::vector<Connection*>& members, const PreparedMessage& message) {
  // post() may close a slow member, which then leaves: iterate over a copy.
  const std::vector<Connection*> now = members;
  for (Connection* member : now) member->post(message);
}

}  // namespace

Room::Membership::Membership(Room& room, Connection& connection) noexcept
    : room_(&room), connection_(&connection) {}

Room::Membership::Membership(Membership&& other) noexcept
    : room_(std::exchange(other.room_, nullptr)), connection_(other.connection_) {}

Room::Membership::~Membership() {
  if (room_ != nullptr) room_->leave(*connection_);
}

Room::Shard& Room::shard_of_current_loop() {
  EventLoop& loop = EventLoop::current();
  const std::lock_guard guard(lock_);
  for (const auto& shard : shards_) {
    if (shard->loop == &loop) return *shard;
  }
  shards_.push_back(std::make_shared<Shard>(Shard{&loop, loop.handle(), {}}));
  return *shards_.back();
}

Room::Membership Room::join(Connection& connection) {
  shard_of_current_loop().members.push_back(&connection);
  size_.fetch_add(1, std::memory_order_relaxed);
  return Membership(*this, connection);
}

void Room::leave(Connection& connection) noexcept {
  Shard& shard = shard_of_current_loop();
  const auto it = std::find(shard.members.begin(), shard.members.end(), &connection);
  if (it == shard.members.end()) return;
  shard.members.erase(it);
  size_.fetch_sub(1, std::memory_order_relaxed);
}

void Room::broadcast(const PreparedMessage& message) {
  std::vector<std::shared_ptr<Shard>> shards;
  {
    const std::lock_guard guard(lock_);
    shards = shards_;
  }
  EventLoop* here = EventLoop::running();
  for (const auto& shard : shards) {
    if (shard->loop == here) {
      post_to_members(shard->members, message);
    } else {
      // A loop that has ended drops the task (and the message with it).
      shard->handle->post([shard, message] { post_to_members(shard->members, message); });
    }
  }
}

}  // namespace wirekit::ws
