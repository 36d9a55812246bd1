#include <array>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <mutex>
#include <utility>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <wirekit/core/error.hpp>
#include <wirekit/core/log.hpp>
#include <wirekit/core/loop.hpp>
#include <wirekit/core/task_group.hpp>

namespace wirekit {
namespace {

thread_local EventLoop* running_loop = nullptr;
constexpr int max_events_per_poll = 256;

}  // namespace

namespace detail {

Waiter::~Waiter() {
  if (queued_) queued_on_->unschedule(*this);
}

TimerEntry::~TimerEntry() {
  if (armed()) loop_->disarm(*this);
}

}  // namespace detail

// ---- IoSource ---------------------------------------------------------------------------

IoSource::~IoSource() {
  detach();
}

void IoSource::watch_for(Interest i) {
  if (fd_ < 0) return;
  const bool add_writes = i == Interest::write && !watching_writes_;
  const std::uint32_t events =
      EPOLLIN | EPOLLRDHUP | EPOLLET | (add_writes || watching_writes_ ? EPOLLOUT : 0u);
  if (registered_) {
    if (loop_ != EventLoop::running()) {
      throw Error(errc::invalid_argument, "socket used from an event loop other than its own");
    }
    if (add_writes) loop_->modify(fd_, *this, events);
  } else {
    EventLoop& loop = EventLoop::current();
    loop.watch(fd_, *this, events);
    loop_ = &loop;
    registered_ = true;
  }
  watching_writes_ = watching_writes_ || add_writes;
}

void IoSource::detach() noexcept {
  if (loop_ == nullptr) return;
  if (registered_) loop_->unwatch(fd_);
  registered_ = false;
  watching_writes_ = false;
  signal(true, true, *loop_);  // waiters retry and find the stream closed
  loop_ = nullptr;
}

void IoSource::wait(Interest i, detail::Waiter& w) noexcept {
  (i == Interest::read ? reader_ : writer_) = &w;
}

void IoSource::forget(detail::Waiter& w) noexcept {
  if (reader_ == &w) reader_ = nullptr;
  if (writer_ == &w) writer_ = nullptr;
}

void IoSource::signal(bool readable, bool writable, EventLoop& loop) noexcept {
  if (readable) {
    readable_ = true;
    if (reader_ != nullptr) loop.schedule(*std::exchange(reader_, nullptr));
  }
  if (writable) {
    writable_ = true;
    if (writer_ != nullptr) loop.schedule(*std::exchange(writer_, nullptr));
  }
}

void IoSource::on_events(std::uint32_t events, EventLoop& loop) noexcept {
  const bool failed = (events & (EPOLLERR | EPOLLHUP)) != 0;
  if (failed || (events & EPOLLRDHUP) != 0) hung_up_ = true;
  signal(failed || (events & (EPOLLIN | EPOLLRDHUP)) != 0, failed || (events & EPOLLOUT) != 0,
         loop);
}

// ---- EventLoop --------------------------------------------------------------------------

// The eventfd that post() and stop() write to wake a loop blocked in epoll_wait.
class EventLoop::Wakeup final : public detail::EpollEntry {
 public:
  Wakeup() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (!fd_) throw_errno("eventfd");
  }

  int fd() const noexcept { return fd_.get(); }
  void notify() noexcept {
    if (!pending.exchange(true, std::memory_order_acq_rel)) {
      const std::uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(fd_.get(), &one, sizeof one);
    }
  }
  void on_events(std::uint32_t, EventLoop&) noexcept override {
    std::uint64_t value = 0;
    [[maybe_unused]] auto n = ::read(fd_.get(), &value, sizeof value);
  }
  std::atomic<bool> pending{false};

 private:
  UniqueFd fd_;
};

namespace {

// A write to a peer that hung up raises SIGPIPE, whose default action kills the process: one
// client closing early would end a server. send() takes MSG_NOSIGNAL, but sendfile(), write()
// to a pipe and OpenSSL's writes cannot, so every program that runs a loop ignores the signal
// and sees EPIPE instead. A handler the program installed itself is left alone.
void ignore_sigpipe() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction current {};
    if (::sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL) {
      struct sigaction ignore {};
      ignore.sa_handler = SIG_IGN;
      ::sigemptyset(&ignore.sa_mask);
      ::sigaction(SIGPIPE, &ignore, nullptr);
    }
  });
}

}  // namespace

bool LoopHandle::post(std::function<void()> fn) {
  const std::lock_guard lock(mutex_);
  if (loop_ == nullptr) return false;
  loop_->post(std::move(fn));
  return true;
}

EventLoop::EventLoop()
    : handle_(std::make_shared<LoopHandle>(*this)),
      epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)),
      now_(Clock::now()) {
  if (!epoll_fd_) throw_errno("epoll_create1");
  ignore_sigpipe();
  wakeup_ = std::make_unique<Wakeup>();
  watch(wakeup_->fd(), *wakeup_, EPOLLIN);
  detached_ = std::make_unique<TaskGroup>(TaskGroup::OnError::log);
}

EventLoop::~EventLoop() {
  {
    const std::lock_guard lock(handle_->mutex_);
    handle_->loop_ = nullptr;
  }
  EventLoop* previous = std::exchange(running_loop, this);
  detached_.reset();
  services_.clear();
  running_loop = previous;
  while (ready_head_ != nullptr) unschedule(*ready_head_);
  while (!timers_.empty()) disarm(*timers_.front());
}

EventLoop& EventLoop::current() noexcept {
  if (running_loop != nullptr) return *running_loop;
  static thread_local EventLoop thread_default;
  return thread_default;
}

EventLoop* EventLoop::running() noexcept {
  return running_loop;
}

bool EventLoop::in_loop_thread() const noexcept {
  return thread_id_.load(std::memory_order_relaxed) == std::this_thread::get_id();
}

void EventLoop::run() {
  EventLoop* previous = std::exchange(running_loop, this);
  thread_id_.store(std::this_thread::get_id(), std::memory_order_relaxed);
  try {
    while (!stop_requested_.load(std::memory_order_acquire)) run_once();
  } catch (...) {
    running_loop = previous;
    throw;
  }
  stop_requested_.store(false, std::memory_order_relaxed);
  running_loop = previous;
}

void EventLoop::stop() noexcept {
  stop_requested_.store(true, std::memory_order_release);
  if (!in_loop_thread()) wakeup_->notify();
}

void EventLoop::post(std::function<void()> fn) {
  {
    std::lock_guard lock(posted_mutex_);
    posted_.push_back(std::move(fn));
  }
  wakeup_->notify();
}

void EventLoop::run_once() {
  std::array<epoll_event, max_events_per_poll> events;
  const int timeout = ready_head_ != nullptr ? 0 : poll_timeout_ms();
  const int n = ::epoll_wait(epoll_fd_.get(), events.data(), max_events_per_poll, timeout);
  if (n < 0 && errno != EINTR) throw_errno("epoll_wait");
  now_ = Clock::now();
  // Only mark and queue here: no coroutine runs until every event of this batch is recorded,
  // so no entry in `events` can be destroyed under us.
  for (int i = 0; i < n; ++i) {
    static_cast<detail::EpollEntry*>(events[static_cast<std::size_t>(i)].data.ptr)
        ->on_events(events[static_cast<std::size_t>(i)].events, *this);
  }
  run_timers();
  run_posted();
  run_ready();
}

int EventLoop::poll_timeout_ms() const noexcept {
  if (wakeup_->pending.load(std::memory_order_acquire)) return 0;
  if (timers_.empty()) return -1;
  const auto wait = timers_.front()->deadline_ - Clock::now();
  if (wait <= Clock::duration::zero()) return 0;
  // Round up: waking early would only spin until the deadline.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
  return ms > 3'600'000 ? 3'600'000 : static_cast<int>(ms);
}

void EventLoop::run_posted() {
  if (!wakeup_->pending.exchange(false, std::memory_order_acq_rel)) return;
  {
    std::lock_guard lock(posted_mutex_);
    posted_running_.swap(posted_);
  }
  for (auto& fn : posted_running_) {
    try {
      fn();
    } catch (const std::exception& e) {
      log().error("posted job failed: {}", e.what());
    }
  }
  posted_running_.clear();
}

void EventLoop::run_ready() noexcept {
  // Run what is ready now; what these make ready runs next iteration, after I/O is polled.
  for (std::size_t budget = ready_count_; budget > 0 && ready_head_ != nullptr; --budget) {
    detail::Waiter& w = *ready_head_;
    unschedule(w);
    w.run();
  }
}

void EventLoop::schedule(detail::Waiter& w) noexcept {
  if (w.queued_) return;
  w.queued_ = true;
  w.queued_on_ = this;
  w.next_ = nullptr;
  w.prev_ = ready_tail_;
  if (ready_tail_ != nullptr) {
    ready_tail_->next_ = &w;
  } else {
    ready_head_ = &w;
  }
  ready_tail_ = &w;
  ++ready_count_;
}

void EventLoop::unschedule(detail::Waiter& w) noexcept {
  if (!w.queued_) return;
  (w.prev_ != nullptr ? w.prev_->next_ : ready_head_) = w.next_;
  (w.next_ != nullptr ? w.next_->prev_ : ready_tail_) = w.prev_;
  w.prev_ = w.next_ = nullptr;
  w.queued_ = false;
  --ready_count_;
}

// ---- timers: a binary min-heap on (deadline, arming order) ----------------------------------

namespace {
bool earlier(const detail::TimerEntry* a, const detail::TimerEntry* b) noexcept;
}

void EventLoop::arm(detail::TimerEntry& t, Clock::time_point deadline) noexcept {
  if (t.armed()) disarm(t);
  t.deadline_ = deadline;
  t.sequence_ = next_timer_sequence_++;
  t.loop_ = this;
  timers_.push_back(&t);
  t.heap_index_ = timers_.size() - 1;
  heap_up(t.heap_index_);
}

void EventLoop::disarm(detail::TimerEntry& t) noexcept {
  if (!t.armed()) return;
  const std::size_t i = t.heap_index_;
  detail::TimerEntry* last = timers_.back();
  timers_.pop_back();
  t.heap_index_ = detail::TimerEntry::not_armed;
  if (last != &t) {
    heap_place(i, last);
    heap_up(i);
    heap_down(last->heap_index_);
  }
}

void EventLoop::run_timers() noexcept {
  while (!timers_.empty() && timers_.front()->deadline_ <= now_) {
    detail::TimerEntry& t = *timers_.front();
    disarm(t);
    schedule(t);
  }
}

void EventLoop::heap_place(std::size_t i, detail::TimerEntry* t) noexcept {
  timers_[i] = t;
  t->heap_index_ = i;
}

void EventLoop::heap_up(std::size_t i) noexcept {
  detail::TimerEntry* t = timers_[i];
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!earlier(t, timers_[parent])) break;
    heap_place(i, timers_[parent]);
    i = parent;
  }
  heap_place(i, t);
}

void EventLoop::heap_down(std::size_t i) noexcept {
  detail::TimerEntry* t = timers_[i];
  const std::size_t n = timers_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && earlier(timers_[child + 1], timers_[child])) ++child;
    if (!earlier(timers_[child], t)) break;
    heap_place(i, timers_[child]);
    i = child;
  }
  heap_place(i, t);
}

namespace {
bool earlier(const detail::TimerEntry* a, const detail::TimerEntry* b) noexcept {
  if (a->deadline() != b->deadline()) return a->deadline() < b->deadline();
  return a->sequence() < b->sequence();
}
}  // namespace

// ---- epoll registration -------------------------------------------------------------------

void EventLoop::watch(int fd, detail::EpollEntry& entry, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = &entry;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) throw_errno("epoll_ctl(ADD)");
}

void EventLoop::modify(int fd, detail::EpollEntry& entry, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = &entry;
  if (::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) throw_errno("epoll_ctl(MOD)");
}

void EventLoop::unwatch(int fd) noexcept {
  ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

}  // namespace wirekit
