// Runtime (N event loops, one per thread), the thread pool for blocking calls, and the
// one-line entry point wirekit::run.
#pragma once

#include <condition_variable>
#include <coroutine>
#include <csignal>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <vector>

#include <wirekit/core/task.hpp>
#include <wirekit/core/task_group.hpp>

namespace wirekit {

// Threads for calls that block (file I/O, getpwnam, CPU-heavy work) so loops never do.
class ThreadPool {
 public:
  explicit ThreadPool(std::size_t threads);
  ~ThreadPool();  // runs the jobs already queued, then joins
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void submit(std::function<void()> job);
  std::size_t size() const noexcept { return workers_.size(); }

  // The process-wide pool used by blocking(); max(2, cores) threads, started on first use.
  static ThreadPool& shared();

 private:
  void work();
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

namespace detail {

template <class R>
struct BlockingCall {
  std::optional<Stored<R>> value;
  std::exception_ptr error;
  std::coroutine_handle<> waiter;    // cleared if the awaiting frame is destroyed first
  std::shared_ptr<LoopHandle> loop;  // the loop may be gone by the time the call returns
};

template <class R, class F>
class BlockingAwaiter {
 public:
  explicit BlockingAwaiter(F fn) : fn_(std::move(fn)), call_(std::make_shared<BlockingCall<R>>()) {}
  BlockingAwaiter(BlockingAwaiter&&) noexcept = default;
  ~BlockingAwaiter() {
    if (call_) call_->waiter = {};
  }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    call_->waiter = h;
    call_->loop = EventLoop::current().handle();
    ThreadPool::shared().submit([call = call_, fn = std::move(fn_)]() mutable {
      try {
        if constexpr (std::is_void_v<R>) {
          fn();
          call->value.emplace();
        } else {
          call->value.emplace(fn());
        }
      } catch (...) {
        call->error = std::current_exception();
      }
      const std::shared_ptr<LoopHandle> loop = call->loop;
      loop->post([call = std::move(call)] {
        if (call->waiter) std::exchange(call->waiter, {}).resume();
      });
    });
  }
  R await_resume() {
    if (call_->error) std::rethrow_exception(call_->error);
    if constexpr (!std::is_void_v<R>) return std::move(*call_->value);
  }

 private:
  F fn_;
  std::shared_ptr<BlockingCall<R>> call_;
};

class LoopHop {
 public:
  explicit LoopHop(EventLoop& target) noexcept : target_(target) {}
  bool await_ready() const noexcept { return target_.in_loop_thread(); }
  void await_suspend(std::coroutine_handle<> h) {
    target_.post([h] { h.resume(); });
  }
  void await_resume() const noexcept {}

 private:
  EventLoop& target_;
};

}  // namespace detail

// Runs `fn()` on the shared thread pool and resumes the task on its loop with the result.
// The call itself cannot be interrupted: cancellation takes effect when it returns.
template <class F>
auto blocking(F fn) {
  using R = std::invoke_result_t<F&>;
  return detail::BlockingAwaiter<R, F>{std::move(fn)};
}

// Runs `task` on loop `target` and comes back to the calling task's loop with its result.
// The awaiting task must not be destroyed while `task` runs elsewhere; cancel it instead.
template <class T>
Task<T> run_on(EventLoop& target, Task<T> task) {
  EventLoop& home = EventLoop::current();
  co_await detail::LoopHop{target};
  std::optional<detail::Stored<T>> value;
  std::exception_ptr error;
  co_await detail::settle(task, value, error);
  co_await detail::LoopHop{home};
  if (error) std::rethrow_exception(error);
  if constexpr (!std::is_void_v<T>) co_return std::move(*value);
}

struct RuntimeOptions {
  std::size_t threads = 0;  // event loops; 0 = one per core
  // SIGINT/SIGTERM request a graceful stop, a second one exits. Off unless asked: a library
  // does not take a program's signals (servers, and the CLI, ask).
  bool handle_signals = false;
  // With handle_signals: SIGHUP runs this on loop 0 (re-read certificates, configuration).
  // A failure is logged and the program goes on with what it had.
  std::function<void()> on_reload;
};

// N event loops, each on its own thread (loop 0 on the thread that calls run()). Shared-nothing:
// a server runs one accept loop per loop with SO_REUSEPORT, and tasks stay on their loop.
class Runtime {
 public:
  explicit Runtime(RuntimeOptions options = {});
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  std::size_t size() const noexcept { return loops_.size(); }
  EventLoop& loop(std::size_t i) noexcept { return *loops_[i]; }

  // Runs `main` on loop 0 under the runtime's stop token and the other loops on their threads,
  // until `main` finishes; returns its result or rethrows its failure. On the thread of a
  // running loop it throws Error(errc::misuse) instead of stalling that loop.
  template <class T>
  T run(Task<T> main) {
    main.add_stop_token(stop_token());
    std::optional<detail::Stored<T>> value;
    std::exception_ptr error;
    run_main(detail::settle(main, value, error));
    if (error) std::rethrow_exception(error);
    if constexpr (!std::is_void_v<T>) return std::move(*value);
  }

  // Stop token of the whole runtime: requested by request_stop() or by SIGINT/SIGTERM.
  std::stop_token stop_token() const noexcept { return stop_.get_token(); }
  void request_stop() noexcept { stop_.request_stop(); }

  // Runs make(i) on every loop i at once and completes when all have; the first failure
  // cancels the others and is rethrown.
  Task<void> on_each(std::function<Task<void>(std::size_t)> make);

 private:
  void run_main(Task<void> main);

  class SignalWatch;
  std::stop_source stop_;
  std::vector<std::unique_ptr<EventLoop>> loops_;
  std::unique_ptr<SignalWatch> signals_;
};

// Runs `main` to completion on a single-loop Runtime and returns its result: the one line a
// main() needs to run async code. A server that should stop gracefully on Ctrl-C asks:
// run(serve(), {.threads = 1, .handle_signals = true}).
template <class T>
T run(Task<T> main, RuntimeOptions options = {.threads = 1}) {
  Runtime runtime{options};
  return runtime.run(std::move(main));
}

}  // namespace wirekit
