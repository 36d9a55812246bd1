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
#include <utility>
#include <vector>

#include <wirekit/core/fd.hpp>

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
  // Awaiters are moved only before they start waiting (`op.timeout(d)` returns a new one);
  // the moved-to waiter starts idle, linked nowhere.
  Waiter(Waiter&&) noexcept {}

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
  TimerEntry() = default;
  TimerEntry(TimerEntry&&) noexcept {}  // idle, unarmed (see Waiter)

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

template <class S>
inline constexpr char service_key = 0;

}  // namespace detail

// A per-loop singleton (a DNS channel, a buffer pool...), destroyed with its loop.
class LoopService {
 public:
  virtual ~LoopService() = default;
};

enum class Interest : std::uint8_t { read, write };

// Readiness of one descriptor (or of an in-memory stream end), with at most one waiter per
// direction. Edge-triggered: a direction is "ready" from an epoll edge until an attempt reports
// EAGAIN, or a short read (on a stream socket that means the buffer was drained; bytes arriving
// later raise a new edge). Once the peer has hung up, reads stay ready: the next one returns
// the end of the stream or the error.
class IoSource final : public detail::EpollEntry {
 public:
  IoSource() = default;
  IoSource(const IoSource&) = delete;
  IoSource& operator=(const IoSource&) = delete;
  ~IoSource() override;

  bool ready(Interest i) const noexcept { return i == Interest::read ? readable_ : writable_; }
  void clear(Interest i) noexcept {
    if (i == Interest::write) {
      writable_ = false;
    } else if (!hung_up_) {
      readable_ = false;
    }
  }

  // The descriptor this source reports on; registered with a loop on the first wait.
  void set_fd(int fd) noexcept { fd_ = fd; }
  int fd() const noexcept { return fd_; }
  // Makes sure the current loop's epoll reports direction `i` for the descriptor: registers it
  // (edge-triggered) on first use, adds write interest the first time a write has to wait.
  // Throws if the descriptor belongs to another loop.
  void watch_for(Interest i);
  // Unregisters the descriptor and wakes the waiters (they find it closed); call before close.
  void detach() noexcept;
  EventLoop* loop() const noexcept { return loop_; }
  // For sources without a descriptor (in-memory streams).
  void bind_loop(EventLoop& loop) noexcept { loop_ = &loop; }

  // Parks `w` until direction `i` becomes ready; one waiter per direction.
  void wait(Interest i, detail::Waiter& w) noexcept;
  void forget(detail::Waiter& w) noexcept;

  // Marks directions ready and schedules their waiters (epoll, or an in-memory peer).
  void signal(bool readable, bool writable, EventLoop& loop) noexcept;
  void on_events(std::uint32_t events, EventLoop& loop) noexcept override;

 private:
  detail::Waiter* reader_ = nullptr;
  detail::Waiter* writer_ = nullptr;
  EventLoop* loop_ = nullptr;
  int fd_ = -1;
  bool registered_ = false;
  // Write interest is added only once a write has had to wait: a socket that only ever writes
  // into free buffer space (request/response traffic) then costs the kernel no wakeup each time
  // an ACK frees send space.
  bool watching_writes_ = false;
  // Not readable until epoll says so: registering reports what is already there, and an idle
  // server connection must wait rather than assume a request. Writable: the buffer starts empty.
  bool readable_ = false;
  bool writable_ = true;
  bool hung_up_ = false;
};

// A loop's address for threads that may outlive it (a pool job, a library's callback thread):
// post() after the loop is gone does nothing and says so.
class LoopHandle {
 public:
  explicit LoopHandle(EventLoop& loop) noexcept : loop_(&loop) {}
  // Thread-safe: runs `fn` on the loop's thread, soon; false if the loop was destroyed.
  bool post(std::function<void()> fn);

 private:
  friend class EventLoop;
  std::mutex mutex_;
  EventLoop* loop_;
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

  // Thread-safe: runs `fn` on this loop's thread, soon. From a thread that may outlive the
  // loop, post through handle() instead.
  void post(std::function<void()> fn);
  const std::shared_ptr<LoopHandle>& handle() const noexcept { return handle_; }

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

  // The loop's instance of S, made as S(loop) on first use. Loop thread only.
  template <class S>
  S& service() {
    const void* key = &detail::service_key<S>;
    for (auto& [k, s] : services_) {
      if (k == key) return static_cast<S&>(*s);
    }
    services_.emplace_back(key, std::make_unique<S>(*this));
    return static_cast<S&>(*services_.back().second);
  }

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
  std::shared_ptr<LoopHandle> handle_;
  UniqueFd epoll_fd_;
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
  std::vector<std::pair<const void*, std::unique_ptr<LoopService>>> services_;
  std::unique_ptr<TaskGroup> detached_;  // last: destroyed first, while the queues still exist
};

}  // namespace wirekit
