#include <wirekit/core/error.hpp>
#include <wirekit/core/log.hpp>
#include <wirekit/core/task_group.hpp>

namespace wirekit {

namespace detail {

void Fanout::completed(std::size_t index, std::exception_ptr error) noexcept {
  if (mode_ == Mode::any) {
    if (winner_ != none) return;
    winner_ = index;
    first_error_ = std::move(error);
    scope_.request_stop();
  } else if (error && !first_error_) {
    first_error_ = std::move(error);
    scope_.request_stop();
  }
}

bool Fanout::start(std::coroutine_handle<> parent) noexcept {
  parent_ = parent;
  // One extra count held while starting, so a child finishing synchronously cannot resume
  // the parent before every child has started.
  remaining_ = drivers_.size() + 1;
  for (auto& driver : drivers_) driver.handle().resume();
  return --remaining_ != 0;
}

std::coroutine_handle<> Fanout::child_done(std::coroutine_handle<>) noexcept {
  if (--remaining_ == 0) return parent_;
  return std::noop_coroutine();
}

namespace {

ChildDriver drive_group_child(Task<void> task, TaskGroup& group) {
  try {
    co_await task;
  } catch (...) {
    group.child_failed(std::current_exception());
  }
}

}  // namespace
}  // namespace detail

TaskGroup::TaskGroup(OnError policy, const std::stop_token& parent) : policy_(policy) {
  if (parent.stop_possible()) link_.emplace(parent, detail::StopForwarder{&scope_});
  idle_.set();
}

TaskGroup::~TaskGroup() {
  while (head_ != nullptr) {
    Child& child = *head_;
    head_ = child.next_child;
    detail::ChildDriver::Handle::from_promise(child).destroy();
  }
}

void TaskGroup::spawn(Task<void> task) {
  task.add_stop_token(scope_.get_token());
  const auto handle = detail::drive_group_child(std::move(task), *this).release();
  Child& child = handle.promise();
  child.owner = this;
  child.next_child = head_;
  if (head_ != nullptr) head_->prev_child = &child;
  head_ = &child;
  ++count_;
  idle_.reset();
  EventLoop::current().schedule(child);
}

std::coroutine_handle<> TaskGroup::child_done(std::coroutine_handle<> driver) noexcept {
  const auto handle = detail::ChildDriver::Handle::from_address(driver.address());
  Child& child = handle.promise();
  (child.prev_child != nullptr ? child.prev_child->next_child : head_) = child.next_child;
  if (child.next_child != nullptr) child.next_child->prev_child = child.prev_child;
  handle.destroy();
  if (--count_ == 0) idle_.set();
  return std::noop_coroutine();
}

void TaskGroup::child_failed(std::exception_ptr error) noexcept {
  if (policy_ == OnError::cancel_all) {
    if (!first_error_) {
      first_error_ = std::move(error);
      cancel();
    }
    return;
  }
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    if (e.code() != errc::cancelled) log().error("task failed: {}", e.what());
  } catch (const std::exception& e) {
    log().error("task failed: {}", e.what());
  } catch (...) {
    log().error("task failed with a non-standard exception");
  }
}

Task<void> TaskGroup::join() {
  while (count_ > 0) co_await idle_.wait();
  if (first_error_) std::rethrow_exception(std::exchange(first_error_, nullptr));
}

void spawn(Task<void> task) {
  EventLoop::current().detached().spawn(std::move(task));
}

}  // namespace wirekit
