#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include <ares.h>
#include <fmt/format.h>
#include <netdb.h>
#include <sys/epoll.h>

#include <wirekit/net/resolver.hpp>

namespace wirekit::net {
namespace {

// One lookup in flight. Shared by the awaiting operation and the c-ares callback, which may
// outlive each other (a cancelled lookup still completes inside c-ares later).
struct Lookup {
  std::vector<SocketAddress> addresses;
  int status = ARES_SUCCESS;
  bool done = false;
  wirekit::detail::Waiter* waiter = nullptr;
  EventLoop* loop = nullptr;
};

// The c-ares channel of one loop. c-ares tells which sockets it wants watched
// (sock_state_cb); the loop reports readiness back with ares_process_fd, and a timer drives
// c-ares' retransmissions.
class AresChannel final : public LoopService {
 public:
  explicit AresChannel(EventLoop& loop) : loop_(loop) {
    static std::once_flag init;
    std::call_once(init, [] { ares_library_init(ARES_LIB_INIT_ALL); });
    ares_options options{};
    options.sock_state_cb = &AresChannel::on_socket_state;
    options.sock_state_cb_data = this;
    const int status = ares_init_options(&channel_, &options, ARES_OPT_SOCK_STATE_CB);
    if (status != ARES_SUCCESS) {
      throw Error(errc::resolve_failed,
                  fmt::format("start DNS resolver: {}", ares_strerror(status)));
    }
    tick_.channel = this;
  }
  ~AresChannel() override {
    ares_destroy(channel_);  // completes pending lookups with ARES_EDESTRUCTION
    for (auto& [fd, watch] : watches_) {
      if (watch->active) loop_.unwatch(fd);
    }
  }
  AresChannel(const AresChannel&) = delete;
  AresChannel& operator=(const AresChannel&) = delete;

  void start(const std::string& host, int family, const std::shared_ptr<Lookup>& lookup) {
    ares_addrinfo_hints hints{};
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    ares_getaddrinfo(channel_, host.c_str(), nullptr, &hints, &AresChannel::on_answer,
                     new std::shared_ptr<Lookup>(lookup));
    rearm_timer();
  }

 private:
  struct Watch final : wirekit::detail::EpollEntry {
    AresChannel* channel = nullptr;
    int fd = -1;
    bool active = false;
    void on_events(std::uint32_t events, EventLoop&) noexcept override {
      if (!active) return;  // removed earlier in this batch
      const bool failed = (events & (EPOLLERR | EPOLLHUP)) != 0;
      const ares_socket_t r = (events & EPOLLIN) || failed ? fd : ARES_SOCKET_BAD;
      const ares_socket_t w = (events & EPOLLOUT) || failed ? fd : ARES_SOCKET_BAD;
      ares_process_fd(channel->channel_, r, w);
      channel->rearm_timer();
    }
  };
  struct Tick final : wirekit::detail::TimerEntry {
    AresChannel* channel = nullptr;
    void run() noexcept override {
      ares_process_fd(channel->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      channel->rearm_timer();
    }
  };

  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
    auto* self = static_cast<AresChannel*>(data);
    // Watches are kept (inactive) rather than freed: an event for this fd may still be
    // pending in the batch the loop is dispatching.
    auto& watch = self->watches_[fd];
    if (!watch) {
      watch = std::make_unique<Watch>();
      watch->channel = self;
      watch->fd = fd;
    }
    const std::uint32_t events = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u);
    try {
      if (events == 0) {
        if (watch->active) self->loop_.unwatch(fd);
        watch->active = false;
      } else if (watch->active) {
        self->loop_.modify(fd, *watch, events);
      } else {
        self->loop_.watch(fd, *watch, events);
        watch->active = true;
      }
    } catch (const Error&) {
      // epoll refused the descriptor: c-ares' own timeout ends the lookup with an error.
    }
  }

  static void on_answer(void* arg, int status, int, ares_addrinfo* info) {
    std::unique_ptr<std::shared_ptr<Lookup>> holder(static_cast<std::shared_ptr<Lookup>*>(arg));
    Lookup& lookup = **holder;
    lookup.status = status;
    if (status == ARES_SUCCESS && info != nullptr) {
      for (const ares_addrinfo_node* node = info->nodes; node != nullptr; node = node->ai_next) {
        SocketAddress a = SocketAddress::from_native(node->ai_addr, node->ai_addrlen);
        if (std::find(lookup.addresses.begin(), lookup.addresses.end(), a) ==
            lookup.addresses.end()) {
          lookup.addresses.push_back(a);
        }
      }
    }
    if (info != nullptr) ares_freeaddrinfo(info);
    lookup.done = true;
    if (lookup.waiter != nullptr && status != ARES_EDESTRUCTION) {
      lookup.loop->schedule(*std::exchange(lookup.waiter, nullptr));
    }
  }

  void rearm_timer() {
    timeval tv{};
    if (ares_timeout(channel_, nullptr, &tv) == nullptr) {
      loop_.disarm(tick_);
      return;
    }
    loop_.arm(tick_, Clock::now() + std::chrono::seconds(tv.tv_sec) +
                         std::chrono::microseconds(tv.tv_usec));
  }

  EventLoop& loop_;
  ares_channel channel_ = nullptr;
  std::unordered_map<int, std::unique_ptr<Watch>> watches_;
  Tick tick_;
};

// Awaits a Lookup: cancellable, with a deadline.
class AwaitLookup final : public wirekit::detail::Waiter, wirekit::detail::Suspension {
 public:
  AwaitLookup(std::shared_ptr<Lookup> lookup, Duration timeout)
      : lookup_(std::move(lookup)), timeout_(timeout) {
    deadline_.owner = this;
  }
  ~AwaitLookup() override { lookup_->waiter = nullptr; }

  bool await_ready() const noexcept { return lookup_->done; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    if (!enter(h, *this)) {
      outcome_ = errc::cancelled;
      return false;
    }
    EventLoop& loop = EventLoop::current();
    lookup_->waiter = this;
    lookup_->loop = &loop;
    loop.arm(deadline_, loop.now() + timeout_);
    return true;
  }
  std::optional<errc> await_resume() const noexcept { return outcome_; }

  void run() noexcept override {
    EventLoop::current().disarm(deadline_);
    leave(*this);
    handle_.resume();
  }
  void cancel() noexcept override { stop(errc::cancelled); }

 private:
  struct Deadline final : wirekit::detail::TimerEntry {
    AwaitLookup* owner = nullptr;
    void run() noexcept override { owner->stop(errc::timed_out); }
  };
  void stop(errc why) noexcept {
    lookup_->waiter = nullptr;
    outcome_ = why;
    EventLoop::current().schedule(*this);
  }

  std::shared_ptr<Lookup> lookup_;
  Duration timeout_;
  Deadline deadline_;
  std::optional<errc> outcome_;
};

std::vector<SocketAddress> localhost(std::uint16_t port, int family) {
  std::vector<SocketAddress> out;
  if (family != AF_INET6) out.emplace_back(IpAddress::v4(0x7f000001), port);
  if (family != AF_INET) {
    std::array<std::uint8_t, 16> loopback{};
    loopback[15] = 1;
    out.emplace_back(IpAddress::v6(loopback), port);
  }
  return out;
}

}  // namespace

Task<std::vector<SocketAddress>> resolve(std::string_view host, std::uint16_t port,
                                         ResolveOptions options) {
  if (auto ip = IpAddress::try_parse(host)) co_return std::vector{SocketAddress{*ip, port}};
  if (host == "localhost" || host.ends_with(".localhost"))
    co_return localhost(port, options.family);
  const std::string name(host);
  if (name.empty() || name.size() > 253) {
    throw Error(errc::invalid_argument, fmt::format("resolve '{}': not a valid host name", name));
  }
  auto lookup = std::make_shared<Lookup>();
  EventLoop::current().service<AresChannel>().start(name, options.family, lookup);
  if (const auto failure = co_await AwaitLookup(lookup, options.timeout)) {
    throw Error(*failure, *failure == errc::timed_out
                              ? fmt::format("resolve {}: timed out after {}", name,
                                            format_duration(options.timeout))
                              : fmt::format("resolve {}: cancelled", name));
  }
  if (lookup->status != ARES_SUCCESS || lookup->addresses.empty()) {
    throw Error(
        errc::resolve_failed,
        fmt::format("resolve {}: {}", name,
                    lookup->status == ARES_SUCCESS ? "no address" : ares_strerror(lookup->status)));
  }
  std::stable_partition(lookup->addresses.begin(), lookup->addresses.end(),
                        [](const SocketAddress& a) { return a.family() == AF_INET; });
  for (SocketAddress& a : lookup->addresses) a.set_port(port);
  co_return std::move(lookup->addresses);
}

}  // namespace wirekit::net
