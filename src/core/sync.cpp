#include <wirekit/core/sync.hpp>

namespace wirekit {

Event::~Event() {
  while (head_ != nullptr) unlink(*head_);
}

void Event::set() noexcept {
  set_ = true;
  if (head_ == nullptr) return;
  EventLoop& loop = EventLoop::current();
  while (head_ != nullptr) {
    Awaiter& w = *head_;
    unlink(w);
    loop.schedule(w);
  }
}

void Event::link(Awaiter& w) noexcept {
  w.prev_waiter_ = tail_;
  w.next_waiter_ = nullptr;
  (tail_ != nullptr ? tail_->next_waiter_ : head_) = &w;
  tail_ = &w;
  w.linked_ = true;
}

void Event::unlink(Awaiter& w) noexcept {
  if (!w.linked_) return;
  (w.prev_waiter_ != nullptr ? w.prev_waiter_->next_waiter_ : head_) = w.next_waiter_;
  (w.next_waiter_ != nullptr ? w.next_waiter_->prev_waiter_ : tail_) = w.prev_waiter_;
  w.prev_waiter_ = w.next_waiter_ = nullptr;
  w.linked_ = false;
}

Event::Awaiter::~Awaiter() {
  event_.unlink(*this);
}

void Event::Awaiter::run() noexcept {
  leave(*this);
  handle_.resume();
}

void Event::Awaiter::cancel() noexcept {
  event_.unlink(*this);
  cancelled_ = true;
  EventLoop::current().schedule(*this);
}

}  // namespace wirekit
