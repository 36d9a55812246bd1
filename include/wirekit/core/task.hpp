// Task<T>: a lazy coroutine. It starts when awaited, runs on the awaiting task's loop, and its
// result or exception is delivered to the awaiter.
//
// Cancellation: every task carries a std::stop_token, inherited from the task that awaits it
// unless one was given explicitly. When stop is requested, the operation the task is suspended
// on (a read, a sleep, an accept...) completes at once by throwing Error(errc::cancelled); the
// request may come from any thread.
//
// Destroying a Task that is suspended destroys its frame: every pending operation in it
// unregisters itself, so a task tree can be torn down at any point without dangling wakeups.
#pragma once

#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>
#include <variant>

#include <wirekit/core/loop.hpp>

namespace wirekit {

template <class T = void>
class Task;

namespace detail {

class CancelHook;

// Forwards a stop request from a token to a source (a child scope's).
struct StopForwarder {
  std::stop_source* target;
  void operator()() const noexcept { target->request_stop(); }
};
using StopLink = std::stop_callback<StopForwarder>;

// Coroutine frames come from per-thread free lists by size class: a request handled by a few
// nested tasks allocates and frees the same frame sizes over and over, and frames larger than
// malloc's per-thread cache would otherwise take its slow path every time.
void* allocate_frame(std::size_t size);
void free_frame(void* frame, std::size_t size) noexcept;

class PromiseBase {
 public:
  static void* operator new(std::size_t size) { return allocate_frame(size); }
  static void operator delete(void* frame, std::size_t size) noexcept { free_frame(frame, size); }

  PromiseBase() = default;
  PromiseBase(const PromiseBase&) = delete;
  PromiseBase& operator=(const PromiseBase&) = delete;
  ~PromiseBase();

  std::suspend_always initial_suspend() const noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) const noexcept {
      PromiseBase& p = h.promise();
      return p.continuation_ ? p.continuation_ : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  FinalAwaiter final_suspend() const noexcept { return {}; }
  void unhandled_exception() noexcept { exception_ = std::current_exception(); }

  const std::stop_token& stop_token() const noexcept { return stop_token_; }
  // A token given explicitly is kept; otherwise the task inherits its awaiter's token.
  void set_stop_token(std::stop_token token) noexcept {
    stop_token_ = std::move(token);
    token_fixed_ = true;
  }
  void inherit_stop_token(const std::stop_token& token) noexcept {
    if (!token_fixed_) stop_token_ = token;
  }
  // Also stop when `scope` is requested (a combinator's or a group's scope), keeping a token
  // given explicitly in force.
  void add_stop_token(std::stop_token scope);

  // An operation about to suspend registers itself here so that a stop request can reach it.
  // Returns false when stop was already requested: the operation must not suspend and must
  // complete as cancelled.
  bool begin_wait(Waiter& operation);
  void end_wait(Waiter& operation) noexcept {
    if (pending_ == &operation) pending_ = nullptr;
  }
  // Loop thread: cancels the pending operation, if any.
  void cancel_pending() noexcept;

  void set_continuation(std::coroutine_handle<> c) noexcept { continuation_ = c; }
  void rethrow_if_failed() const {
    if (exception_) std::rethrow_exception(exception_);
  }

 private:
  std::coroutine_handle<> continuation_;
  std::exception_ptr exception_;
  std::stop_token stop_token_;
  Waiter* pending_ = nullptr;
  std::shared_ptr<CancelHook> hook_;
  struct CombinedStop;
  CombinedStop* combined_ = nullptr;  // owned; a raw pointer keeps the type private
  bool token_fixed_ = false;
};

template <class T>
class Promise final : public PromiseBase {
 public:
  Task<T> get_return_object() noexcept;
  template <class U>
  void return_value(U&& value) {
    value_.emplace(std::forward<U>(value));
  }
  T take() {
    rethrow_if_failed();
    return std::move(*value_);
  }

 private:
  std::optional<T> value_;
};

template <>
class Promise<void> final : public PromiseBase {
 public:
  Task<void> get_return_object() noexcept;
  void return_void() const noexcept {}
  void take() const { rethrow_if_failed(); }
};

// Base of the awaiters of cancellable operations: remembers the suspended coroutine and, when
// it is a Task, registers with its promise so that a stop request reaches the operation.
class Suspension {
 protected:
  template <class P>
  bool enter(std::coroutine_handle<P> h, Waiter& operation) {
    handle_ = h;
    if constexpr (std::is_base_of_v<PromiseBase, P>) {
      promise_ = &h.promise();
      return promise_->begin_wait(operation);
    }
    return true;
  }
  void leave(Waiter& operation) noexcept {
    if (promise_) promise_->end_wait(operation);
  }
  std::coroutine_handle<> handle_;
  PromiseBase* promise_ = nullptr;
};

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;
  using value_type = T;

  Task() noexcept = default;
  explicit Task(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  bool valid() const noexcept { return static_cast<bool>(handle_); }
  bool done() const noexcept { return handle_ && handle_.done(); }

  // Runs the task under `token` instead of the token of the task that awaits it.
  void set_stop_token(std::stop_token token) noexcept {
    handle_.promise().set_stop_token(std::move(token));
  }
  // Also stops the task when `scope` is requested (used by when_all, TaskGroup...).
  void add_stop_token(std::stop_token scope) { handle_.promise().add_stop_token(std::move(scope)); }

  class Awaiter {
   public:
    explicit Awaiter(std::coroutine_handle<promise_type> h) noexcept : handle_(h) {}
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> parent) noexcept {
      if constexpr (std::is_base_of_v<detail::PromiseBase, P>) {
        handle_.promise().inherit_stop_token(parent.promise().stop_token());
      }
      handle_.promise().set_continuation(parent);
      return handle_;
    }
    T await_resume() { return handle_.promise().take(); }

   private:
    std::coroutine_handle<promise_type> handle_;
  };
  Awaiter operator co_await() & noexcept { return Awaiter{handle_}; }
  Awaiter operator co_await() && noexcept { return Awaiter{handle_}; }

 private:
  void reset() noexcept {
    if (handle_) handle_.destroy();
    handle_ = {};
  }
  std::coroutine_handle<promise_type> handle_;
};

namespace detail {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>{std::coroutine_handle<Promise<T>>::from_promise(*this)};
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>{std::coroutine_handle<Promise<void>>::from_promise(*this)};
}
}  // namespace detail

namespace detail {

// A task's result as a value: void becomes std::monostate.
template <class T>
using Stored = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// Awaits `task` and keeps its value or its exception; never throws. What every combinator
// needs before it decides what to do with a child's outcome.
template <class T>
Task<void> settle(Task<T>& task, std::optional<Stored<T>>& value, std::exception_ptr& error) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await task;
      value.emplace();
    } else {
      value.emplace(co_await task);
    }
  } catch (...) {
    error = std::current_exception();
  }
}

}  // namespace detail

namespace this_task {

// `co_await this_task::stop_token()`: the token of the running task.
struct StopTokenAwaiter {
  std::stop_token token;
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    token = h.promise().stop_token();
    return false;
  }
  std::stop_token await_resume() noexcept { return std::move(token); }
};
inline StopTokenAwaiter stop_token() noexcept {
  return {};
}

// `co_await this_task::yield()`: lets every other ready operation on the loop run first.
class YieldAwaiter final : public detail::Waiter {
 public:
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    handle_ = h;
    EventLoop::current().schedule(*this);
  }
  void await_resume() const noexcept {}
  void run() noexcept override { handle_.resume(); }

 private:
  std::coroutine_handle<> handle_;
};
inline YieldAwaiter yield() noexcept {
  return {};
}

}  // namespace this_task

}  // namespace wirekit
