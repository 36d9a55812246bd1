// Completion<T>: a result another thread delivers, awaited on a loop. The bridge to libraries
// with callback threads of their own (grpc++'s completion queue, a resolver, a worker thread):
//
//   Completion<int> done;
//   start_library_call([done](int r) mutable { done.set_value(r); });  // any thread
//   int r = co_await done;                                             // resumes on this loop
//
// set_value/set_error may be called from any thread, once; the first call wins and later ones
// return false. The task resumes on the loop it awaited from, never on the caller's thread, so
// no library thread runs user code. A copy shares the result: hand copies to callbacks.
//
// Cancellation: when the awaiting task's stop token is requested, the await ends at once with
// Error(errc::cancelled) and a later result is dropped. A library that must first give its
// operation back (grpc++ still owns a call until its tag comes out of the queue) sets
// on_cancel: the stop request then calls it on the loop instead (TryCancel), and the await
// waits for the result the library delivers after it.
#pragma once

#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include <wirekit/core/error.hpp>
#include <wirekit/core/loop.hpp>
#include <wirekit/core/task.hpp>

namespace wirekit {

template <class T>
class Completion {
  struct State;  // declared here because the Awaiter's members name it (clang insists)

 public:
  Completion() : state_(std::make_shared<State>()) {}

  // Any thread. False when a result was already delivered or nobody waits any more.
  template <class... U>
  bool set_value(U&&... value) {
    return deliver([&](State& s) { s.value.emplace(std::forward<U>(value)...); });
  }
  bool set_error(std::exception_ptr error) {
    return deliver([&](State& s) { s.error = std::move(error); });
  }
  // Loop thread, before awaiting.
  void on_cancel(std::function<void()> hook) { state_->on_cancel = std::move(hook); }

  class Awaiter final : public detail::Waiter, detail::Suspension {
   public:
    explicit Awaiter(std::shared_ptr<State> state) noexcept : state_(std::move(state)) {}
    Awaiter(Awaiter&&) = delete;
    ~Awaiter() override {
      const std::lock_guard lock(state_->mutex);
      if (state_->waiter == this) {
        state_->waiter = nullptr;
        state_->abandoned = true;  // the task was destroyed while waiting
      }
    }
    bool await_ready() const {
      const std::lock_guard lock(state_->mutex);
      return state_->done;
    }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
      if (!enter(h, *this)) {
        const std::lock_guard lock(state_->mutex);
        if (state_->done) return false;  // delivered meanwhile: take it
        state_->abandoned = true;
        cancelled_ = true;
        return false;
      }
      const std::lock_guard lock(state_->mutex);
      if (state_->done) {
        leave(*this);
        return false;
      }
      state_->waiter = this;
      state_->loop = EventLoop::current().handle();
      return true;
    }
    T await_resume() {
      if (cancelled_) throw Error(errc::cancelled, "wait for a completion: cancelled");
      const std::lock_guard lock(state_->mutex);
      if (state_->error) std::rethrow_exception(state_->error);
      if constexpr (!std::is_void_v<T>) return std::move(*state_->value);
    }

    // Loop thread: a cancellation, or the result posted by deliver().
    void run() noexcept override {
      leave(*this);
      handle_.resume();
    }
    void cancel() noexcept override {
      std::unique_lock lock(state_->mutex);
      if (state_->waiter != this || state_->done) return;  // the result is on its way: it wins
      if (state_->on_cancel) {
        lock.unlock();
        state_->on_cancel();  // the library delivers a result after it
        return;
      }
      state_->waiter = nullptr;
      state_->abandoned = true;
      cancelled_ = true;
      lock.unlock();
      EventLoop::current().schedule(*this);
    }

   private:
    std::shared_ptr<State> state_;
    bool cancelled_ = false;
  };

  Awaiter operator co_await() const noexcept { return Awaiter{state_}; }

 private:
  struct State {
    std::mutex mutex;
    bool done = false;
    bool abandoned = false;
    Awaiter* waiter = nullptr;
    std::shared_ptr<LoopHandle> loop;  // the awaiting loop; may be gone when the result comes
    std::optional<detail::Stored<T>> value;
    std::exception_ptr error;
    std::function<void()> on_cancel;
  };

  template <class Store>
  bool deliver(Store store) {
    const std::lock_guard lock(state_->mutex);
    if (state_->done || state_->abandoned) return false;
    store(*state_);
    state_->done = true;
    if (state_->waiter != nullptr) {
      // Resumed on its own loop; the state travels with the message, so a waiter destroyed
      // meanwhile is simply not found.
      state_->loop->post([state = state_] {
        Awaiter* waiter = nullptr;
        {
          const std::lock_guard inner(state->mutex);
          waiter = std::exchange(state->waiter, nullptr);
        }
        if (waiter != nullptr) waiter->run();
      });
    }
    return true;
  }

  std::shared_ptr<State> state_;
};

}  // namespace wirekit
