// Timers: sleep, deadlines, with_timeout, and duration strings ("250ms", "60s", "1h").
#pragma once

#include <chrono>
#include <coroutine>
#include <stop_token>
#include <string>
#include <string_view>

#include <wirekit/core/error.hpp>
#include <wirekit/core/task.hpp>

namespace wirekit {

using Duration = std::chrono::nanoseconds;

// Parses "1500ms", "2s", "1.5s", "10m", "1h", "1d" or a bare number of seconds. Throws
// Error(errc::invalid_argument) naming the text on anything else, or on a negative value.
Duration parse_duration(std::string_view text);
// "250ms", "2s", "1.5s", "10m": the shortest exact-enough form, for messages.
std::string format_duration(Duration d);

namespace detail {

class SleepAwaiter final : public TimerEntry, Suspension {
 public:
  explicit SleepAwaiter(Clock::time_point deadline) noexcept : deadline_(deadline) {}
  bool await_ready() const noexcept { return deadline_ <= Clock::now(); }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    if (!enter(h, *this)) {
      cancelled_ = true;
      return false;
    }
    EventLoop::current().arm(*this, deadline_);
    return true;
  }
  void await_resume() const {
    if (cancelled_) throw Error(errc::cancelled, "sleep: cancelled");
  }
  void run() noexcept override {
    leave(*this);
    handle_.resume();
  }
  void cancel() noexcept override;

 private:
  Clock::time_point deadline_;
  bool cancelled_ = false;
};

// Requests stop on a source when its deadline passes.
class StopAtDeadline final : public TimerEntry {
 public:
  StopAtDeadline(std::stop_source& source, Clock::time_point deadline);
  ~StopAtDeadline() override;
  bool fired() const noexcept { return fired_; }
  void run() noexcept override;

 private:
  std::stop_source& source_;
  bool fired_ = false;
};

}  // namespace detail

// Suspends the task for `d` (cancellable).
inline detail::SleepAwaiter sleep(Duration d) noexcept {
  return detail::SleepAwaiter{Clock::now() + d};
}
inline detail::SleepAwaiter sleep_until(Clock::time_point deadline) noexcept {
  return detail::SleepAwaiter{deadline};
}

// Runs `task` with a deadline: if it has not finished after `d`, it is cancelled and
// with_timeout throws Error(errc::timed_out, "<what>: timed out after <d>").
template <class T>
Task<T> with_timeout(Duration d, Task<T> task, std::string what = "operation") {
  std::stop_source scope;
  detail::StopLink link{co_await this_task::stop_token(), detail::StopForwarder{&scope}};
  task.add_stop_token(scope.get_token());
  detail::StopAtDeadline deadline{scope, Clock::now() + d};
  try {
    co_return co_await task;
  } catch (const Error& e) {
    if (deadline.fired() && e.code() == errc::cancelled) {
      throw Error(errc::timed_out, what + ": timed out after " + format_duration(d));
    }
    throw;
  }
}

}  // namespace wirekit
