#include <algorithm>
#include <cerrno>
#include <optional>

#include <netdb.h>

#include <wirekit/core/log.hpp>
#include <wirekit/net/resolver.hpp>
#include <wirekit/net/server.hpp>

namespace wirekit::net {

namespace {

// The addresses that need no lookup: every interface, localhost, a literal.
std::optional<std::vector<SocketAddress>> without_lookup(std::string_view host,
                                                         std::uint16_t port) {
  if (host.empty() || host == "*") {
    return std::vector<SocketAddress>{SocketAddress{IpAddress{}, port},
                                      SocketAddress{IpAddress::v6({}), port}};
  }
  if (host == "localhost") {
    return std::vector<SocketAddress>{SocketAddress{IpAddress::v4(0x7f000001), port},
                                      SocketAddress{*IpAddress::try_parse("::1"), port}};
  }
  if (const auto ip = IpAddress::try_parse(host)) return std::vector<SocketAddress>{{*ip, port}};
  return std::nullopt;
}

// A blocking lookup, for the constructor that takes a name.
std::vector<SocketAddress> look_up(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
    throw Error(errc::resolve_failed, "resolve " + host + ": " + ::gai_strerror(rc));
  }
  std::vector<SocketAddress> out;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    SocketAddress address = SocketAddress::from_native(a->ai_addr, a->ai_addrlen);
    address.set_port(port);
    if (std::find(out.begin(), out.end(), address) == out.end()) out.push_back(address);
  }
  ::freeaddrinfo(found);
  return out;
}

// Resets and broken pipes are how clients leave; they are not server failures.
bool is_ordinary_disconnect(const Error& e) noexcept {
  const std::error_code c = e.code();
  return c == std::errc::connection_reset || c == std::errc::broken_pipe || c == errc::cancelled ||
         c == errc::unexpected_eof;
}

Task<void> run_connection(const ConnectionHandler& handler, TcpStream stream, Event& capacity) {
  const std::string peer = stream.peer_address().to_string();
  try {
    co_await handler(std::move(stream));
  } catch (const Error& e) {
    if (is_ordinary_disconnect(e)) {
      log().debug("connection from {}: {}", peer, e.what());
    } else {
      log().warn("connection from {}: {}", peer, e.what());
    }
  } catch (const std::exception& e) {
    log().error("connection from {}: handler failed: {}", peer, e.what());
  }
  capacity.set();
}

// Waits for the connections to finish, at most `grace`; then cancels the rest and waits for
// them to unwind. Runs under a token of its own: the server's was what asked for shutdown.
Task<void> drain(TaskGroup& connections, Duration grace) {
  bool late = false;
  try {
    co_await with_timeout(grace, connections.join(), "shutdown");
  } catch (const Error& e) {
    if (e.code() != errc::timed_out) throw;
    late = true;
  }
  if (late) {
    log().warn("shutdown: cancelling {} connections still open after {}", connections.size(),
               format_duration(grace));
    connections.cancel();
    co_await connections.join();
  }
}

}  // namespace

TcpServer::TcpServer(const std::vector<SocketAddress>& addresses, ServeOptions options,
                     std::size_t loops)
    : options_(options) {
  if (addresses.empty()) throw Error(errc::invalid_argument, "server has no address to listen on");
  if (loops == 0) loops = 1;
  ListenOptions listen = options.listen;
  listen.reuse_port = listen.reuse_port || loops > 1;
  listeners_.resize(loops);
  loop_states_.resize(loops);
  std::exception_ptr first_skipped;
  std::uint16_t chosen_port = 0;  // port 0 on several addresses ("localhost:0"): one port for all
  for (SocketAddress address : addresses) {
    if (address.port() == 0) address.set_port(chosen_port);
    try {
      listeners_[0].push_back(TcpListener::bind(address, listen));
    } catch (const Error& e) {
      const bool unavailable = e.code() == std::errc::address_not_available ||
                               e.code() == std::errc::address_family_not_supported;
      if (!unavailable || !options.skip_unavailable_addresses) throw;
      log().debug("skipping {}", e.what());
      if (!first_skipped) first_skipped = std::current_exception();
      continue;
    }
    // Port 0: the kernel chose a port for the first listener; the others share it.
    address.set_port(listeners_[0].back().local_address().port());
    chosen_port = address.port();
    for (std::size_t i = 1; i < loops; ++i)
      listeners_[i].push_back(TcpListener::bind(address, listen));
  }
  if (listeners_[0].empty()) std::rethrow_exception(first_skipped);
}

TcpServer::TcpServer(std::string_view host_port, ServeOptions options, std::size_t loops)
    : TcpServer(
          [&] {
            const HostPort target = parse_host_port(host_port);
            auto literal = without_lookup(target.host, target.port);
            return literal ? std::move(*literal) : look_up(target.host, target.port);
          }(),
          options, loops) {}

std::vector<SocketAddress> TcpServer::local_addresses() const {
  std::vector<SocketAddress> out;
  for (const TcpListener& l : listeners_.front()) out.push_back(l.local_address());
  return out;
}

Task<void> TcpServer::serve(ConnectionHandler handler) {
  loop_states_[0].loop = &EventLoop::current();
  co_await serve_loop(0, handler);
}

Task<void> TcpServer::serve(Runtime& runtime, ConnectionHandler handler) {
  if (runtime.size() != listeners_.size()) {
    throw Error(errc::invalid_argument, "server was bound for a different number of loops");
  }
  // Every slot is filled here, before on_each posts the loops their tasks (which orders these
  // writes before all that the loops do): a loop that starts early and serves a connection
  // reads every slot in draining() while the others are still starting.
  for (std::size_t i = 0; i < loop_states_.size(); ++i) loop_states_[i].loop = &runtime.loop(i);
  co_await runtime.on_each([this, &handler](std::size_t i) { return serve_loop(i, handler); });
}

std::stop_token TcpServer::draining() const noexcept {
  const EventLoop* current = EventLoop::running();
  for (const LoopState& s : loop_states_) {
    if (s.loop == current) return s.draining.get_token();
  }
  return {};
}

Task<void> TcpServer::serve_loop(std::size_t loop, const ConnectionHandler& handler) {
  const std::size_t cap = (options_.max_connections + listeners_.size() - 1) / listeners_.size();
  TaskGroup connections{TaskGroup::OnError::log};
  Event capacity;
  auto accept_loop = [&](TcpListener& listener) -> Task<void> {
    for (;;) {
      while (connections.size() >= cap) {
        capacity.reset();
        co_await capacity.wait();
      }
      TcpStream stream;
      try {
        stream = co_await listener.accept();
      } catch (const Error& e) {
        // Out of descriptors: pause instead of spinning on a listener that stays readable.
        if (e.code() != std::errc::too_many_files_open &&
            e.code() != std::errc::too_many_files_open_in_system) {
          throw;
        }
        log().warn("{}; pausing accepts for 100ms", e.what());
      }
      if (!stream.is_open()) {
        co_await sleep(std::chrono::milliseconds(100));
        continue;
      }
      connections.spawn(run_connection(handler, std::move(stream), capacity));
    }
  };
  std::vector<Task<void>> accept_loops;
  for (TcpListener& listener : listeners_[loop]) accept_loops.push_back(accept_loop(listener));
  std::exception_ptr failure;
  try {
    co_await when_all(std::move(accept_loops));
  } catch (const Error& e) {
    if (e.code() != errc::cancelled) failure = std::current_exception();
  }
  for (TcpListener& listener : listeners_[loop]) listener.close();
  loop_states_[loop].draining.request_stop();
  Task<void> drained = drain(connections, options_.shutdown_grace);
  drained.set_stop_token({});
  co_await drained;
  if (failure) std::rethrow_exception(failure);
}

Task<std::vector<SocketAddress>> listen_addresses(std::string_view host, std::uint16_t port) {
  if (auto addresses = without_lookup(host, port)) co_return std::move(*addresses);
  co_return co_await resolve(host, port);
}

}  // namespace wirekit::net
