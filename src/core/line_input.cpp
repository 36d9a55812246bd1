// Lines of a blocking descriptor for a loop (include/wirekit/core/line_input.hpp).
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <wirekit/core/completion.hpp>
#include <wirekit/core/line_input.hpp>

namespace wirekit {

struct detail::LineQueue {
  std::mutex mutex;
  std::condition_variable room;  // the reader waits here while the queue is full
  std::deque<std::string> lines;
  std::optional<Completion<std::optional<std::string>>> waiting;
  std::size_t max_queued;
  bool ended = false;   // the input has no more lines after those queued
  bool closed = false;  // the LineInput is gone: the reader stops at its next line
};

namespace {

// Hands `line` (nullopt: the end) to the task waiting for one, or queues it; false once nobody
// will read it.
bool deliver(detail::LineQueue& s, std::optional<std::string> line) {
  std::unique_lock lock(s.mutex);
  s.room.wait(lock, [&] { return s.closed || s.lines.size() < s.max_queued; });
  if (s.closed) return false;
  if (!line) s.ended = true;
  if (s.waiting) {
    Completion<std::optional<std::string>> waiter = std::move(*s.waiting);
    s.waiting.reset();
    lock.unlock();
    if (waiter.set_value(line)) return true;
    lock.lock();  // that task stopped waiting (cancelled): the next call gets the line
  }
  if (line) s.lines.push_back(std::move(*line));
  return true;
}

void read_lines(int fd, const std::shared_ptr<detail::LineQueue>& shared) {
  std::string pending;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (std::size_t end; (end = pending.find('\n', start)) != std::string::npos; start = end + 1) {
      std::size_t length = end - start;
      if (length > 0 && pending[end - 1] == '\r') --length;
      if (!deliver(*shared, pending.substr(start, length))) return;
    }
    pending.erase(0, start);
  }
  if (!pending.empty() && !deliver(*shared, std::move(pending))) return;
  deliver(*shared, std::nullopt);
}

}  // namespace

LineInput::LineInput(int fd, std::size_t max_queued)
    : shared_(std::make_shared<detail::LineQueue>()) {
  shared_->max_queued = max_queued == 0 ? 1 : max_queued;
  std::thread([fd, shared = shared_] { read_lines(fd, shared); }).detach();
}

LineInput::~LineInput() {
  const std::lock_guard lock(shared_->mutex);
  shared_->closed = true;
  shared_->room.notify_all();
}

Task<std::optional<std::string>> LineInput::next() {
  Completion<std::optional<std::string>> line;
  {
    const std::lock_guard lock(shared_->mutex);
    if (!shared_->lines.empty()) {
      std::string queued = std::move(shared_->lines.front());
      shared_->lines.pop_front();
      shared_->room.notify_one();
      co_return queued;
    }
    if (shared_->ended) co_return std::nullopt;
    shared_->waiting = line;
  }
  co_return co_await line;
}

}  // namespace wirekit
