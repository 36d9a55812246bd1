#include <algorithm>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include <wirekit/core/loop.hpp>
#include <wirekit/net/buffered_stream.hpp>

namespace wirekit::net {

namespace {

// Blocks of one capacity, kept per loop for the next connection: a server's connections take
// and give back the same few blocks instead of allocating one each.
class BlockPool final : public LoopService {
 public:
  explicit BlockPool(EventLoop&) {}

  std::unique_ptr<char[]> take(std::size_t capacity) {
    if (capacity_ == capacity && !free_.empty()) {
      std::unique_ptr<char[]> block = std::move(free_.back());
      free_.pop_back();
      return block;
    }
    return std::unique_ptr<char[]>(new char[capacity]);
  }

  void give_back(std::unique_ptr<char[]> block, std::size_t capacity) noexcept {
    if (capacity != capacity_) {
      // The pool follows the size its users ask for now; blocks of another size are freed.
      if (!free_.empty()) return;
      capacity_ = capacity;
    }
    if (free_.size() >= max_free) return;  // a burst of connections is over: let memory go
    try {
      free_.push_back(std::move(block));
    } catch (const std::bad_alloc&) {
      // Freed instead: the block is just not kept.
    }
  }

 private:
  static constexpr std::size_t max_free = 256;
  std::size_t capacity_ = 0;
  std::vector<std::unique_ptr<char[]>> free_;
};

}  // namespace

BufferedStream::BufferedStream(Stream& inner, std::size_t capacity) noexcept
    : inner_(&inner), initial_capacity_(std::max<std::size_t>(capacity, 64)) {}

BufferedStream::BufferedStream(std::unique_ptr<Stream> inner, std::size_t capacity) noexcept
    : owned_(std::move(inner)),
      inner_(owned_.get()),
      initial_capacity_(std::max<std::size_t>(capacity, 64)) {}

BufferedStream::~BufferedStream() {
  begin_ = end_ = 0;
  release();
}

void BufferedStream::consume(std::size_t n) noexcept {
  begin_ += std::min(n, end_ - begin_);
  if (begin_ == end_) begin_ = end_ = 0;
}

void BufferedStream::release() noexcept {
  if (!empty() || !data_) return;
  if (capacity_ == initial_capacity_) {
    EventLoop::current().service<BlockPool>().give_back(std::move(data_), capacity_);
  }
  data_.reset();
  capacity_ = 0;
  begin_ = end_ = 0;
}

void BufferedStream::reallocate(std::size_t capacity) {
  std::unique_ptr<char[]> block = capacity == initial_capacity_
                                      ? EventLoop::current().service<BlockPool>().take(capacity)
                                      : std::unique_ptr<char[]>(new char[capacity]);
  const std::size_t size = end_ - begin_;
  if (size > 0) std::memcpy(block.get(), data_.get() + begin_, size);
  if (data_ && capacity_ == initial_capacity_) {
    EventLoop::current().service<BlockPool>().give_back(std::move(data_), capacity_);
  }
  data_ = std::move(block);
  capacity_ = capacity;
  begin_ = 0;
  end_ = size;
}

void BufferedStream::make_room(std::size_t limit) {
  const std::size_t size = end_ - begin_;
  if (size >= limit) {
    throw Error(errc::limit_exceeded,
                fmt::format("read from {}: more than {} bytes buffered", describe(), limit));
  }
  if (!data_) {
    reallocate(initial_capacity_);
    return;
  }
  if (end_ < capacity_) return;
  if (compact()) return;
  // Full of unconsumed bytes: grow, doubling, up to what `limit` needs.
  reallocate(std::max(size + 1, std::min(capacity_ * 2, limit)));
}

bool BufferedStream::compact() noexcept {
  if (begin_ == 0) return false;
  // The one compaction: the unconsumed bytes move to the front.
  const std::size_t size = end_ - begin_;
  std::memmove(data_.get(), data_.get() + begin_, size);
  begin_ = 0;
  end_ = size;
  return true;
}

Task<bool> BufferedStream::read_into_back(Duration timeout) {
  const std::span room(reinterpret_cast<std::byte*>(data_.get()) + end_, capacity_ - end_);
  const std::size_t n = timeout > Duration::zero()
                            ? co_await inner_->read_some(room).timeout(timeout)
                            : co_await inner_->read_some(room);
  end_ += n;
  co_return n > 0;
}

Task<bool> BufferedStream::fill(std::size_t limit, Duration timeout) {
  make_room(limit);
  co_return co_await read_into_back(timeout);
}

Task<bool> BufferedStream::fill_after(std::size_t keep, Duration timeout) {
  if (keep > end_ - begin_) keep = end_ - begin_;
  end_ = begin_ + keep;
  if (!data_) reallocate(initial_capacity_);
  if (end_ == capacity_) {
    throw Error(errc::limit_exceeded,
                fmt::format("read from {}: no room behind {} kept bytes", describe(), keep));
  }
  co_return co_await read_into_back(timeout);
}

void BufferedStream::unread(std::string_view bytes) {
  if (bytes.empty()) return;
  const std::size_t size = end_ - begin_;
  if (begin_ >= bytes.size()) {
    begin_ -= bytes.size();
  } else {
    if (!data_ || capacity_ < size + bytes.size()) {
      reallocate(std::max(initial_capacity_, size + bytes.size()));
    }
    std::memmove(data_.get() + bytes.size(), data_.get() + begin_, size);
    begin_ = 0;
    end_ = size + bytes.size();
  }
  std::memcpy(data_.get() + begin_, bytes.data(), bytes.size());
}

Task<std::optional<std::string_view>> BufferedStream::read_until(std::string_view delimiter,
                                                                 std::size_t limit) {
  std::size_t searched = 0;  // no delimiter starts before this offset of buffered()
  for (;;) {
    const std::string_view have = buffered();
    const std::size_t at = have.find(delimiter, searched);
    if (at != std::string_view::npos && at + delimiter.size() <= limit) {
      const std::size_t size = at + delimiter.size();
      consume(size);  // the bytes stay where they are until the next read
      co_return have.substr(0, size);
    }
    if (have.size() >= limit) {
      throw Error(errc::limit_exceeded,
                  fmt::format("read from {}: no '{}' within {} bytes", describe(),
                              delimiter == "\r\n" ? "\\r\\n" : delimiter, limit));
    }
    searched = have.size() >= delimiter.size() ? have.size() - delimiter.size() + 1 : 0;
    if (!co_await fill(limit)) {
      if (empty()) co_return std::nullopt;
      throw Error(errc::unexpected_eof,
                  fmt::format("read from {}: closed in the middle of a line", describe()));
    }
  }
}

Task<std::optional<std::string_view>> BufferedStream::read_line(std::size_t limit) {
  std::optional<std::string_view> line = co_await read_until("\r\n", limit);
  if (line) line->remove_suffix(2);
  co_return line;
}

Task<std::string_view> BufferedStream::read_exact(std::size_t n) {
  while (end_ - begin_ < n) {
    if (!co_await fill(n)) {
      throw Error(errc::unexpected_eof,
                  fmt::format("read from {}: closed with {} bytes still expected", describe(),
                              n - (end_ - begin_)));
    }
  }
  const std::string_view out(data_.get() + begin_, n);
  consume(n);
  co_return out;
}

Attempt BufferedStream::try_read(std::span<std::byte> buffer) noexcept {
  if (empty()) return inner_->try_read(buffer);
  const std::size_t n = std::min(buffer.size(), end_ - begin_);
  std::memcpy(buffer.data(), data_.get() + begin_, n);
  consume(n);
  return Attempt::done(n);
}

}  // namespace wirekit::net
