// Coordination between tasks of one loop.
#pragma once

#include <coroutine>
#include <cstddef>

#include <wirekit/core/error.hpp>
#include <wirekit/core/task.hpp>

namespace wirekit {

// A manual-reset event: wait() completes once set() has been called, until reset().
// Loop-affine: set, reset and wait on the loop that owns the waiting tasks.
class Event {
 public:
  class Awaiter final : public detail::Waiter, detail::Suspension {
   public:
    explicit Awaiter(Event& event) noexcept : event_(event) {}
    ~Awaiter() override;
    bool await_ready() const noexcept { return event_.set_; }
    template <class P>
    bool await_suspend(std::coroutine_handle<P> h) {
      if (!enter(h, *this)) {
        cancelled_ = true;
        return false;
      }
      event_.link(*this);
      return true;
    }
    void await_resume() const {
      if (cancelled_) throw Error(errc::cancelled, "wait for event: cancelled");
    }
    void run() noexcept override;
    void cancel() noexcept override;

   private:
    friend class Event;
    Event& event_;
    Awaiter* prev_waiter_ = nullptr;
    Awaiter* next_waiter_ = nullptr;
    bool linked_ = false;
    bool cancelled_ = false;
  };

  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event();

  void set() noexcept;
  void reset() noexcept { set_ = false; }
  bool is_set() const noexcept { return set_; }
  [[nodiscard]] Awaiter wait() noexcept { return Awaiter{*this}; }

 private:
  void link(Awaiter& w) noexcept;
  void unlink(Awaiter& w) noexcept;
  Awaiter* head_ = nullptr;
  Awaiter* tail_ = nullptr;
  bool set_ = false;
};

}  // namespace wirekit
