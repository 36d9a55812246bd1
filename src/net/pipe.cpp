#include <algorithm>
#include <cstring>
#include <deque>

#include <wirekit/net/pipe.hpp>

namespace wirekit::net {

// Each end has an inbound buffer (what the other end wrote) and its own readiness.
struct PipeStream::Shared {
  struct End {
    std::deque<std::byte> inbound;
    IoSource source;
    bool open = true;
    bool write_shut = false;  // this end will write no more
  };
  explicit Shared(std::size_t cap) : capacity(cap) {}
  std::size_t capacity;
  End ends[2];
};

PipeStream::PipeStream(std::shared_ptr<Shared> shared, int side) noexcept
    : shared_(std::move(shared)), side_(side) {}

PipeStream::~PipeStream() {
  close();
}

void PipeStream::close() noexcept {
  if (!shared_ || !shared_->ends[side_].open) return;
  auto& self = shared_->ends[side_];
  auto& peer = shared_->ends[1 - side_];
  self.open = false;
  self.write_shut = true;
  EventLoop& loop = EventLoop::current();
  self.source.signal(true, true, loop);  // our own waiters find the end closed
  peer.source.signal(true, true, loop);  // the peer reads end of stream, writes fail
}

bool PipeStream::is_open() const noexcept {
  return shared_ && shared_->ends[side_].open;
}

std::string PipeStream::describe() const {
  return side_ == 0 ? "pipe end A" : "pipe end B";
}

IoSource& PipeStream::io_source() noexcept {
  return shared_->ends[side_].source;
}

Attempt PipeStream::try_read(std::span<std::byte> buffer) noexcept {
  auto& self = shared_->ends[side_];
  auto& peer = shared_->ends[1 - side_];
  if (!self.open) return Attempt::failed(make_error_code(errc::closed));
  if (self.inbound.empty()) {
    if (peer.write_shut) return Attempt::done(0);
    self.source.clear(Interest::read);
    return Attempt::blocked(Interest::read);
  }
  const std::size_t n = std::min(buffer.size(), self.inbound.size());
  std::copy_n(self.inbound.begin(), n, buffer.begin());
  self.inbound.erase(self.inbound.begin(), self.inbound.begin() + static_cast<std::ptrdiff_t>(n));
  if (self.inbound.empty() && !peer.write_shut) self.source.clear(Interest::read);
  peer.source.signal(false, true, EventLoop::current());  // room for the writer again
  return Attempt::done(n);
}

Attempt PipeStream::try_write(std::span<const std::byte> data) noexcept {
  auto& self = shared_->ends[side_];
  auto& peer = shared_->ends[1 - side_];
  if (!self.open || self.write_shut) return Attempt::failed(make_error_code(errc::closed));
  if (!peer.open) return Attempt::failed_errno(EPIPE);
  const std::size_t room = shared_->capacity - std::min(shared_->capacity, peer.inbound.size());
  if (room == 0) {
    self.source.clear(Interest::write);
    return Attempt::blocked(Interest::write);
  }
  const std::size_t n = std::min(room, data.size());
  peer.inbound.insert(peer.inbound.end(), data.begin(),
                      data.begin() + static_cast<std::ptrdiff_t>(n));
  peer.source.signal(true, false, EventLoop::current());
  return Attempt::done(n);
}

Attempt PipeStream::try_shutdown_write() noexcept {
  auto& self = shared_->ends[side_];
  if (!self.open) return Attempt::failed(make_error_code(errc::closed));
  self.write_shut = true;
  shared_->ends[1 - side_].source.signal(true, false, EventLoop::current());
  return Attempt::done(0);
}

std::pair<PipeStream, PipeStream> make_pipe(std::size_t capacity) {
  auto shared = std::make_shared<PipeStream::Shared>(capacity);
  return {PipeStream(shared, 0), PipeStream(shared, 1)};
}

}  // namespace wirekit::net
