#include <algorithm>
#include <csignal>
#include <cstring>

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <wirekit/core/error.hpp>
#include <wirekit/core/fd.hpp>
#include <wirekit/core/log.hpp>
#include <wirekit/core/runtime.hpp>

namespace wirekit {
namespace {

// Worker threads never take signals: the Runtime's signalfd (or the default action on the main
// thread) does.
void block_all_signals() noexcept {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
}

std::size_t default_threads() noexcept {
  return std::max<std::size_t>(1, std::thread::hardware_concurrency());
}

}  // namespace

// ---- ThreadPool ---------------------------------------------------------------------------

ThreadPool::ThreadPool(std::size_t threads) {
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::submit(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void ThreadPool::work() {
  block_all_signals();
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

ThreadPool& ThreadPool::shared() {
  static ThreadPool pool(std::max<std::size_t>(2, default_threads()));
  return pool;
}

// ---- Runtime signals ------------------------------------------------------------------------

// SIGINT/SIGTERM arrive through a signalfd on loop 0: the first requests a graceful stop, a
// second one exits at once (the operator insists).
class Runtime::SignalWatch final : public detail::EpollEntry {
 public:
  SignalWatch(Runtime& runtime, std::function<void()> on_reload)
      : runtime_(runtime), on_reload_(std::move(on_reload)) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    if (on_reload_) sigaddset(&set_, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &set_, &previous_) != 0) throw_errno("pthread_sigmask");
    fd_.reset(::signalfd(-1, &set_, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd_) throw_errno("signalfd");
    runtime_.loop(0).watch(fd_.get(), *this, EPOLLIN);
  }
  ~SignalWatch() override {
    runtime_.loop(0).unwatch(fd_.get());
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

  void on_events(std::uint32_t, EventLoop&) noexcept override {
    signalfd_siginfo info{};
    while (::read(fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
      const int signo = static_cast<int>(info.ssi_signo);
      if (signo == SIGHUP) {
        reload();
        continue;
      }
      if (runtime_.stop_token().stop_requested()) {
        log().warn("{} again: exiting now", ::strsignal(signo));
        log().flush();  // _exit() skips the loop's teardown, which would write the queue
        ::_exit(128 + signo);
      }
      log().info("{}: shutting down gracefully (send it again to exit at once)",
                 ::strsignal(signo));
      runtime_.request_stop();
    }
  }

 private:
  void reload() noexcept {
    try {
      on_reload_();
      log().info("SIGHUP: reloaded");
    } catch (const std::exception& e) {
      log().error("SIGHUP: reload failed, keeping what was loaded: {}", e.what());
    }
  }

  Runtime& runtime_;
  std::function<void()> on_reload_;
  sigset_t set_{};
  sigset_t previous_{};
  UniqueFd fd_;
};

// ---- Runtime ------------------------------------------------------------------------------

Runtime::Runtime(RuntimeOptions options) {
  const std::size_t n = options.threads != 0 ? options.threads : default_threads();
  loops_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) loops_.push_back(std::make_unique<EventLoop>());
  if (options.handle_signals) {
    signals_ = std::make_unique<SignalWatch>(*this, std::move(options.on_reload));
  }
}

Runtime::~Runtime() = default;

void Runtime::run_main(Task<void> main) {
  if (EventLoop::running() != nullptr) {
    // The loop of this thread would stall until the nested one is done, and every connection
    // on it with it.
    throw Error(errc::misuse,
                "a blocking call (wirekit::run, http::get, ...) on an event loop's thread: "
                "co_await the coroutine (Session::get, ...) instead");
  }
  std::vector<std::thread> threads;
  threads.reserve(loops_.size() - 1);
  for (std::size_t i = 1; i < loops_.size(); ++i) {
    threads.emplace_back([loop = loops_[i].get()] {
      block_all_signals();
      loop->run();
    });
  }
  EventLoop& home = *loops_[0];
  auto stop_when_done = [](Task<void> task, EventLoop& loop) -> Task<void> {
    co_await task;  // `task` catches its own failures
    loop.stop();
  };
  home.post([&home, task = std::make_shared<Task<void>>(stop_when_done(std::move(main), home))] {
    home.detached().spawn(std::move(*task));
  });
  const auto stop_others = [&] {
    for (std::size_t i = 1; i < loops_.size(); ++i) loops_[i]->stop();
    for (auto& t : threads) t.join();
  };
  try {
    home.run();
  } catch (...) {
    stop_others();
    throw;
  }
  stop_others();
}

Task<void> Runtime::on_each(std::function<Task<void>(std::size_t)> make) {
  std::vector<Task<void>> tasks;
  tasks.reserve(loops_.size());
  for (std::size_t i = 0; i < loops_.size(); ++i) tasks.push_back(run_on(*loops_[i], make(i)));
  co_await when_all(std::move(tasks));
}

}  // namespace wirekit
