#include <array>
#include <memory>
#include <new>
#include <optional>
#include <stop_token>
#include <utility>

#include <wirekit/core/task.hpp>

namespace wirekit::detail {

namespace {

constexpr std::size_t frame_granule = 64;
constexpr std::size_t frame_classes = 64;      // frames up to 4 KiB are pooled
constexpr std::size_t frames_per_class = 256;  // beyond this, freed frames go back to malloc

struct FreeFrame {
  FreeFrame* next;
};

struct FramePool {
  std::array<FreeFrame*, frame_classes> heads{};
  std::array<std::size_t, frame_classes> counts{};
  ~FramePool() {
    for (FreeFrame* f : heads) {
      while (f != nullptr) ::operator delete(std::exchange(f, f->next));
    }
  }
};

thread_local FramePool frame_pool;

std::size_t frame_class(std::size_t size) noexcept {
  return (size + frame_granule - 1) / frame_granule;
}

}  // namespace

// Under ASan every frame goes to the allocator, so that a use after free is caught.
#if defined(__SANITIZE_ADDRESS__)
void* allocate_frame(std::size_t size) {
  return ::operator new(size);
}
void free_frame(void* frame, std::size_t) noexcept {
  ::operator delete(frame);
}
#else
void* allocate_frame(std::size_t size) {
  const std::size_t c = frame_class(size);
  if (c < frame_classes) {
    if (FreeFrame* f = frame_pool.heads[c]) {
      frame_pool.heads[c] = f->next;
      --frame_pool.counts[c];
      return f;
    }
    return ::operator new(c* frame_granule);
  }
  return ::operator new(size);
}

void free_frame(void* frame, std::size_t size) noexcept {
  const std::size_t c = frame_class(size);
  if (c < frame_classes && frame_pool.counts[c] < frames_per_class) {
    frame_pool.heads[c] = new (frame) FreeFrame{frame_pool.heads[c]};
    ++frame_pool.counts[c];
    return;
  }
  ::operator delete(frame);
}
#endif

// Carries a stop request to the operation a task is suspended on. The request may come from
// any thread; the operation may only be touched on its loop. On the loop thread the hook
// cancels at once; from elsewhere it posts to the loop, holding itself alive through the
// shared_ptr so the posted job never sees a destroyed task (disconnect() clears `promise_`,
// and both run on the loop thread).
class CancelHook : public std::enable_shared_from_this<CancelHook> {
 public:
  CancelHook(PromiseBase& promise, EventLoop& loop) noexcept : promise_(&promise), loop_(&loop) {}

  void connect(const std::stop_token& token) { callback_.emplace(token, Fire{this}); }
  void disconnect() noexcept {
    callback_.reset();  // waits for a callback running on another thread to return
    promise_ = nullptr;
  }

 private:
  struct Fire {
    CancelHook* hook;
    void operator()() const noexcept { hook->fire(); }
  };

  void fire() noexcept {
    if (loop_->in_loop_thread()) {
      if (promise_ != nullptr) promise_->cancel_pending();
      return;
    }
    try {
      loop_->post([self = shared_from_this()] {
        if (self->promise_ != nullptr) self->promise_->cancel_pending();
      });
    } catch (...) {
      // Out of memory while posting: the operation stays pending until it completes itself.
    }
  }

  PromiseBase* promise_;
  EventLoop* loop_;
  std::optional<std::stop_callback<Fire>> callback_;
};

// A task under two tokens: stop when either is requested. Chained when a task is given more
// than two, so every earlier link stays alive.
struct PromiseBase::CombinedStop {
  CombinedStop(const std::stop_token& a, const std::stop_token& b, CombinedStop* earlier)
      : previous(earlier), from_a(a, StopForwarder{&source}), from_b(b, StopForwarder{&source}) {}
  std::unique_ptr<CombinedStop> previous;
  std::stop_source source;
  StopLink from_a;
  StopLink from_b;
};

void PromiseBase::add_stop_token(std::stop_token scope) {
  if (!token_fixed_ || !stop_token_.stop_possible()) {
    set_stop_token(std::move(scope));
    return;
  }
  combined_ = new CombinedStop(stop_token_, scope, combined_);
  stop_token_ = combined_->source.get_token();
}

PromiseBase::~PromiseBase() {
  if (hook_) hook_->disconnect();
  delete combined_;
}

bool PromiseBase::begin_wait(Waiter& operation) {
  if (!stop_token_.stop_possible()) return true;
  if (stop_token_.stop_requested()) return false;
  if (!hook_) {
    hook_ = std::make_shared<CancelHook>(*this, EventLoop::current());
    hook_->connect(stop_token_);
  }
  pending_ = &operation;
  // A request that raced with the registration above found nothing pending: look again.
  if (stop_token_.stop_requested()) {
    pending_ = nullptr;
    return false;
  }
  return true;
}

void PromiseBase::cancel_pending() noexcept {
  if (Waiter* operation = std::exchange(pending_, nullptr)) operation->cancel();
}

}  // namespace wirekit::detail
