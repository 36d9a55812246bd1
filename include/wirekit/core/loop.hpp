// EventLoop: one per thread, epoll underneath (docs/architecture.md).
//
// The loop owns three queues: file-descriptor readiness (epoll, edge-triggered), a timer heap,
// and a ready list of operations to run. Everything that waits — a coroutine suspended on a read,
// a sleep, a DNS lookup — is a Waiter linked into one of them; nothing on that path allocates.
// Only post() is thread-safe; every other member is used from the loop's own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace wirekit {

class EventLoop;
class TaskGroup;
using Clock = std::chrono::steady_clock;

namespace detail {

// Something the loop can run when it becomes ready: a suspended coroutine's operation, a timer,
// a callback. Intrusive, so that queueing never allocates and an operation destroyed while
// queued (its task was destroyed) unlinks itself in its destructor.
class Waiter {
 public:
  Waiter() = default;
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;

  // The loop calls this when the waiter is taken off the ready list.
  virtual void run() noexcept = 0;
  // Called on the loop thread when the task owning this operation is cancelled: the operation
  // must stop waiting and complete (usually by throwing errc::cancelled when resumed).
  virtual void cancel() noexcept {}

  bool queued() const noexcept { return queued_; }

 protected:
  virtual ~Waiter();

 private:
  friend class wirekit::EventLoop;
  Waiter* prev_ = nullptr;
  Waiter* next_ = nullptr;
  EventLoop* queued_on_ = nullptr;
  bool queued_ = false;
};

// A waiter with a deadline in the loop's timer heap.
class TimerEntry : public Waiter {
 public:
  bool armed() const noexcept { return heap_index_ != not_armed; }
  Clock::time_point deadline() const noexcept { return deadline_; }
  std::uint64_t sequence() const noexcept { return sequence_; }

 protected:
  ~TimerEntry() override;

 private:
  friend class wirekit::EventLoop;
  static constexpr std::size_t not_armed = ~std::size_t{0};
  Clock::time_point deadline_{};
  std::uint64_t sequence_ = 0;  // arming order: equal deadlines fire first-armed first
  std::size_t heap_index_ = not_armed;
  EventLoop* loop_ = nullptr;
};

// Something registered with epoll: told which events arrived.
class EpollEntry {
 public:
  virtual void on_events(std::uint32_t events, EventLoop& loop) noexcept = 0;

 protected:
  virtual ~EpollEntry() = default;
};

}  // namespace detail

enum class Interest : std::uint8_t { read, write };

// Readiness of one descriptor (or of an in-memory stream end), with at most one waiter per
// direction. Edge-triggered: a direction is "ready" from an epoll edge until an attempt reports
// EAGAIN (or a short read, which on a stream socket means the buffer was drained; if more bytes
// arrive later, epoll reports a new edge).
class IoSource final : public detail::EpollEntry {
 public:
  IoSource() = default;
  IoSource(const IoSource&) = delete;
  IoSource& operator=(const IoSource&) = delete;
  ~IoSource();

  bool ready(Interest i) const noexcept { return i == Interest::read ? readable_ : writable_; }
  void clear(Interest i) noexcept { (i == Interest::read ? readable_ : writable_) = false; }

  // Registers `fd` with the current loop on first use (edge-triggered, both directions).
  void attach(int fd);
  // Removes the descriptor from its loop; call before closing it.
  void detach() noexcept;
  bool attached() const noexcept { return loop_ != nullptr; }
  EventLoop* loop() const noexcept { return loop_; }

  // Parks `w` until direction `i` becomes ready; one waiter per direction.
  void wait(Interest i, detail::Waiter& w) noexcept;
  void forget(detail::Waiter& w) noexcept;

  // Marks directions ready and schedules their waiters (epoll, or an in-memory peer).
  void signal(bool readable, bool writable, EventLoop& loop) noexcept;
  void on_events(std::uint32_t events, EventLoop& loop) noexcept override;

  // For sources with no descriptor (in-memory streams): bind to a loop without epoll.
  void bind_loop(EventLoop& loop) noexcept { loop_ = &loop; }

 private:
  detail::Waiter* reader_ = nullptr;
  detail::Waiter* writer_ = nullptr;
  EventLoop* loop_ = nullptr;
  int fd_ = -1;
  bool readable_ = true;  // unknown until registered: try the syscall first
  bool writable_ = true;
};

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // The loop running on this thread (set while run() executes), or the thread's default loop
  // if none is running. Never null.
  static EventLoop& current() noexcept;
  static EventLoop* running() noexcept;

  // True on the thread currently running this loop (false before run() starts).
  bool in_loop_thread() const noexcept;

  // Runs until stop() is called.
  void run();
  // Asks run() to return after the current iteration. Thread-safe.
  void stop() noexcept;

  // Thread-safe: runs `fn` on this loop's thread, soon.
  void post(std::function<void()> fn);

  // Loop thread only.
  void schedule(detail::Waiter& w) noexcept;
  void unschedule(detail::Waiter& w) noexcept;
  void arm(detail::TimerEntry& t, Clock::time_point deadline) noexcept;
  void disarm(detail::TimerEntry& t) noexcept;
  // The time sampled at the start of this iteration: cheap, and what timers are measured from.
  Clock::time_point now() const noexcept { return now_; }

  void watch(int fd, detail::EpollEntry& entry, std::uint32_t events);
  void modify(int fd, detail::EpollEntry& entry, std::uint32_t events);
  void unwatch(int fd) noexcept;

  // Tasks started with wirekit::spawn live here; they are destroyed (cancelling their I/O) when
  // the loop is.
  TaskGroup& detached() noexcept { return *detached_; }

 private:
  void run_once();
  void run_ready() noexcept;
  void run_timers() noexcept;
  void run_posted();
  int poll_timeout_ms() const noexcept;
  void heap_up(std::size_t i) noexcept;
  void heap_down(std::size_t i) noexcept;
  void heap_place(std::size_t i, detail::TimerEntry* t) noexcept;

  class Wakeup;
  int epoll_fd_ = -1;
  std::unique_ptr<Wakeup> wakeup_;
  Clock::time_point now_;
  detail::Waiter* ready_head_ = nullptr;
  detail::Waiter* ready_tail_ = nullptr;
  std::size_t ready_count_ = 0;
  std::vector<detail::TimerEntry*> timers_;
  std::uint64_t next_timer_sequence_ = 0;
  std::mutex posted_mutex_;
  std::vector<std::function<void()>> posted_;
  std::vector<std::function<void()>> posted_running_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<std::thread::id> thread_id_{};
  std::unique_ptr<TaskGroup> detached_;  // last: destroyed first, while the queues still exist
};

}  // namespace wirekit
