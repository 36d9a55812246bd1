#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <mutex>
#include <string>
#include <unordered_map>

#include <fmt/format.h>
#include <poll.h>
#include <unistd.h>

#include <wirekit/core/log_sink.hpp>
#include <wirekit/core/loop.hpp>
#include <wirekit/core/runtime.hpp>
#include <wirekit/core/sync.hpp>
#include <wirekit/core/task_group.hpp>

namespace wirekit {

struct LogSink::Shared {
  int fd;
  LogSinkOptions options;
  std::atomic<std::uint64_t> dropped = 0;
  std::mutex writing;  // one batch at a time reaches the descriptor: lines stay whole

  // Blocks, for at most `patience` without progress: only on a pool thread, a thread that is not
  // a loop, or a loop being destroyed. A reader that never reads again costs the lines, not a
  // thread forever (the pool's threads are joined at exit): pieces of at most PIPE_BUF bytes go
  // out only once poll() says the descriptor takes them.
  void write_all(std::string_view bytes, Duration patience) noexcept {
    const std::lock_guard lock(writing);
    while (!bytes.empty()) {
      pollfd ready{.fd = fd, .events = POLLOUT, .revents = 0};
      const int waited =
          ::poll(&ready, 1,
                 static_cast<int>(
                     std::chrono::duration_cast<std::chrono::milliseconds>(patience).count()));
      if (waited < 0 && errno == EINTR) continue;
      if (waited <= 0 || (ready.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) break;
      const ssize_t n = ::write(fd, bytes.data(), std::min<std::size_t>(bytes.size(), PIPE_BUF));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // a closed pipe or a full disk: nobody to tell but the log itself
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    const auto lost = std::count(bytes.begin(), bytes.end(), '\n');
    dropped.fetch_add(static_cast<std::uint64_t>(lost), std::memory_order_relaxed);
  }
};

constexpr Duration writer_patience = std::chrono::seconds(10);  // a pool thread, per batch
constexpr Duration exit_patience = std::chrono::seconds(1);     // a loop going away

namespace {

struct Queue {
  std::shared_ptr<LogSink::Shared> sink;
  std::string pending;
  std::uint64_t dropped = 0;  // since the last batch went out
  bool draining = false;
  Event idle;
};

// The queues of one loop, one per sink written to from it. Node-based, so a drain task's
// reference to its queue stays valid as other sinks are added.
class LogQueues final : public LoopService {
 public:
  explicit LogQueues(EventLoop&) {}
  // The loop's tasks are gone by now (they are destroyed first): what they had not handed to
  // the pool is written here.
  ~LogQueues() override {
    for (auto& [_, queue] : queues_) {
      if (!queue.pending.empty()) queue.sink->write_all(batch_of(queue), exit_patience);
    }
  }

  Queue& of(const std::shared_ptr<LogSink::Shared>& sink) {
    Queue& queue = queues_[sink.get()];
    if (!queue.sink) {
      queue.sink = sink;
      queue.idle.set();
    }
    return queue;
  }

  static std::string batch_of(Queue& queue) {
    std::string batch;
    if (queue.dropped > 0) {
      batch = fmt::format("wirekit: {} log lines dropped: the output could not keep up\n",
                          std::exchange(queue.dropped, 0));
    }
    batch += queue.pending;
    queue.pending.clear();
    return batch;
  }

 private:
  std::unordered_map<const LogSink::Shared*, Queue> queues_;
};

Task<void> drain(Queue& queue) {
  while (!queue.pending.empty()) {
    auto write = blocking([sink = queue.sink, batch = LogQueues::batch_of(queue)] {
      sink->write_all(batch, writer_patience);
    });
    co_await std::move(write);
  }
  queue.draining = false;
  queue.idle.set();
}

}  // namespace

LogSink::LogSink(int fd, LogSinkOptions options) : shared_(std::make_shared<Shared>(fd, options)) {}

LogSink::~LogSink() = default;

void LogSink::write(std::string_view line) {
  EventLoop* loop = EventLoop::running();
  if (loop == nullptr) {
    std::string whole(line);
    whole += '\n';
    shared_->write_all(whole, writer_patience);
    return;
  }
  Queue& queue = loop->service<LogQueues>().of(shared_);
  if (queue.pending.size() + line.size() + 1 > shared_->options.max_queued_bytes) {
    ++queue.dropped;
    shared_->dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  queue.pending.append(line).push_back('\n');
  if (!queue.draining) {
    queue.draining = true;
    queue.idle.reset();
    spawn(drain(queue));
  }
}

std::uint64_t LogSink::dropped() const noexcept {
  return shared_->dropped.load(std::memory_order_relaxed);
}

Task<void> LogSink::flush() {
  co_await EventLoop::current().service<LogQueues>().of(shared_).idle.wait();
}

void LogSink::flush_now() noexcept {
  EventLoop* loop = EventLoop::running();
  if (loop == nullptr) return;
  Queue& queue = loop->service<LogQueues>().of(shared_);
  if (!queue.pending.empty()) shared_->write_all(LogQueues::batch_of(queue), exit_patience);
}

LogSink& LogSink::standard_output() {
  static LogSink sink{STDOUT_FILENO};
  return sink;
}

LogSink& LogSink::standard_error() {
  static LogSink sink{STDERR_FILENO};
  return sink;
}

}  // namespace wirekit
