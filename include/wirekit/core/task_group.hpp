// Structured concurrency: TaskGroup, when_all, when_any.
//
// A child never outlives its owner: a TaskGroup waits for its children in join() and destroys
// any still running when it is destroyed; when_all/when_any wait for every child, cancelling the
// ones whose result can no longer matter.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <stop_token>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <wirekit/core/sync.hpp>
#include <wirekit/core/task.hpp>
#include <wirekit/core/time.hpp>

namespace wirekit {

namespace detail {

// Told when a child driver finishes; returns the coroutine to resume next.
class ChildOwner {
 public:
  virtual std::coroutine_handle<> child_done(std::coroutine_handle<> driver) noexcept = 0;

 protected:
  ~ChildOwner() = default;
};

// A coroutine that runs one child task to completion, catching everything, then reports to its
// owner. Its promise is also the Waiter that starts it from the loop's ready list.
class ChildDriver {
 public:
  struct promise_type final : Waiter {
    ChildOwner* owner = nullptr;
    promise_type* prev_child = nullptr;
    promise_type* next_child = nullptr;

    ChildDriver get_return_object() noexcept {
      return ChildDriver{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    struct FinalAwaiter {
      bool await_ready() const noexcept { return false; }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        return h.promise().owner->child_done(h);
      }
      void await_resume() const noexcept {}
    };
    FinalAwaiter final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    [[noreturn]] void unhandled_exception() const noexcept { std::terminate(); }
    void run() noexcept override {
      std::coroutine_handle<promise_type>::from_promise(*this).resume();
    }
  };
  using Handle = std::coroutine_handle<promise_type>;

  explicit ChildDriver(Handle h) noexcept : handle_(h) {}
  ChildDriver(ChildDriver&& o) noexcept : handle_(std::exchange(o.handle_, {})) {}
  ChildDriver& operator=(ChildDriver&&) = delete;
  ~ChildDriver() {
    if (handle_) handle_.destroy();
  }
  Handle release() noexcept { return std::exchange(handle_, {}); }
  Handle handle() const noexcept { return handle_; }

 private:
  Handle handle_;
};

// Runs a fixed set of children on the current loop under one stop scope, linked to the token of
// the task that awaits it. `all`: the first failure cancels the others; `any`: the first
// completion does.
class Fanout final : public ChildOwner {
 public:
  enum class Mode { all, any };
  static constexpr std::size_t none = ~std::size_t{0};

  Fanout(Mode mode, std::size_t children) : mode_(mode) { drivers_.reserve(children); }
  Fanout(const Fanout&) = delete;
  Fanout& operator=(const Fanout&) = delete;

  std::stop_token child_token() const noexcept { return scope_.get_token(); }
  void add(ChildDriver driver) {
    driver.handle().promise().owner = this;
    drivers_.push_back(std::move(driver));
  }
  // Called by a child driver as it finishes.
  void completed(std::size_t index, std::exception_ptr error) noexcept;

  bool await_ready() const noexcept { return drivers_.empty(); }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> parent) {
    if constexpr (std::is_base_of_v<PromiseBase, P>) {
      link_.emplace(parent.promise().stop_token(), StopForwarder{&scope_});
    }
    return start(parent);
  }
  void await_resume() const noexcept {}

  std::size_t winner() const noexcept { return winner_; }
  const std::exception_ptr& first_error() const noexcept { return first_error_; }
  std::coroutine_handle<> child_done(std::coroutine_handle<> driver) noexcept override;

 private:
  bool start(std::coroutine_handle<> parent) noexcept;

  Mode mode_;
  std::stop_source scope_;
  std::optional<StopLink> link_;
  std::vector<ChildDriver> drivers_;
  std::coroutine_handle<> parent_;
  std::size_t remaining_ = 0;
  std::size_t winner_ = none;
  std::exception_ptr first_error_;
};

template <class T>
ChildDriver drive_child(Task<T>& task, std::optional<Stored<T>>& out, Fanout& fanout,
                        std::size_t index) {
  std::exception_ptr error;
  co_await settle(task, out, error);
  fanout.completed(index, error);
}

template <class... T, std::size_t... I>
void add_children(Fanout& fanout, std::tuple<Task<T>&...> tasks,
                  std::tuple<std::optional<Stored<T>>...>& results, std::index_sequence<I...>) {
  (std::get<I>(tasks).add_stop_token(fanout.child_token()), ...);
  (fanout.add(drive_child(std::get<I>(tasks), std::get<I>(results), fanout, I)), ...);
}

}  // namespace detail

// Runs every task concurrently and returns all results (std::monostate for void tasks). If one
// fails, the others are cancelled, all are awaited, and the first failure is rethrown.
template <class... T>
Task<std::tuple<detail::Stored<T>...>> when_all(Task<T>... tasks) {
  std::tuple<std::optional<detail::Stored<T>>...> results;
  detail::Fanout fanout{detail::Fanout::Mode::all, sizeof...(T)};
  detail::add_children(fanout, std::tuple<Task<T>&...>{tasks...}, results,
                       std::index_sequence_for<T...>{});
  co_await fanout;
  if (fanout.first_error()) std::rethrow_exception(fanout.first_error());
  co_return std::apply([](auto&... r) { return std::tuple{std::move(*r)...}; }, results);
}

template <class T>
Task<std::conditional_t<std::is_void_v<T>, void, std::vector<T>>> when_all(
    std::vector<Task<T>> tasks) {
  std::vector<std::optional<detail::Stored<T>>> results(tasks.size());
  detail::Fanout fanout{detail::Fanout::Mode::all, tasks.size()};
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    tasks[i].add_stop_token(fanout.child_token());
    fanout.add(detail::drive_child(tasks[i], results[i], fanout, i));
  }
  co_await fanout;
  if (fanout.first_error()) std::rethrow_exception(fanout.first_error());
  if constexpr (!std::is_void_v<T>) {
    std::vector<T> values;
    values.reserve(results.size());
    for (auto& r : results) values.push_back(std::move(*r));
    co_return values;
  }
}

// Runs every task concurrently; the first to finish wins and the others are cancelled and
// awaited. Returns the winner's result in the variant alternative of its position; rethrows if
// the winner failed.
template <class... T>
Task<std::variant<detail::Stored<T>...>> when_any(Task<T>... tasks) {
  std::tuple<std::optional<detail::Stored<T>>...> results;
  detail::Fanout fanout{detail::Fanout::Mode::any, sizeof...(T)};
  detail::add_children(fanout, std::tuple<Task<T>&...>{tasks...}, results,
                       std::index_sequence_for<T...>{});
  co_await fanout;
  if (fanout.first_error()) std::rethrow_exception(fanout.first_error());
  std::variant<detail::Stored<T>...> out;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((I == fanout.winner() ? (out.template emplace<I>(std::move(*std::get<I>(results))), true)
                           : false) ||
     ...);
  }
  (std::index_sequence_for<T...>{});
  co_return out;
}

// Vector form: returns {index of the winner, its result}.
template <class T>
Task<std::pair<std::size_t, detail::Stored<T>>> when_any(std::vector<Task<T>> tasks) {
  if (tasks.empty()) throw Error(errc::invalid_argument, "when_any of no tasks");
  std::vector<std::optional<detail::Stored<T>>> results(tasks.size());
  detail::Fanout fanout{detail::Fanout::Mode::any, tasks.size()};
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    tasks[i].add_stop_token(fanout.child_token());
    fanout.add(detail::drive_child(tasks[i], results[i], fanout, i));
  }
  co_await fanout;
  if (fanout.first_error()) std::rethrow_exception(fanout.first_error());
  co_return std::pair{fanout.winner(), std::move(*results[fanout.winner()])};
}

// A dynamic set of child tasks on one loop. Children run under the group's stop token (linked
// to `parent` when one is given). join() waits for all of them; destroying the group destroys
// the children still running, cancelling their pending operations.
class TaskGroup final : public detail::ChildOwner {
 public:
  enum class OnError {
    cancel_all,  // the first failure cancels the other children; join() rethrows it
    log,         // failures are logged and forgotten (servers: one bad connection is not fatal)
  };

  explicit TaskGroup(OnError policy = OnError::cancel_all, const std::stop_token& parent = {});
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;
  ~TaskGroup();

  // Starts `task` soon on the current loop.
  void spawn(Task<void> task);
  // Requests stop of every child, present and future.
  void cancel() noexcept { scope_.request_stop(); }
  bool cancelled() const noexcept { return scope_.stop_requested(); }
  // Waits until no child is running; with OnError::cancel_all, rethrows the first failure.
  Task<void> join();

  std::size_t size() const noexcept { return count_; }
  std::stop_token stop_token() const noexcept { return scope_.get_token(); }

  std::coroutine_handle<> child_done(std::coroutine_handle<> driver) noexcept override;
  void child_failed(std::exception_ptr error) noexcept;

 private:
  using Child = detail::ChildDriver::promise_type;
  OnError policy_;
  std::stop_source scope_;
  std::optional<detail::StopLink> link_;
  Child* head_ = nullptr;
  std::size_t count_ = 0;
  Event idle_;
  std::exception_ptr first_error_;
};

// Starts `task` detached on the current loop. Its failure is logged, never lost; it is
// destroyed with the loop if still running then.
void spawn(Task<void> task);

}  // namespace wirekit
