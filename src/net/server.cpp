#include <cerrno>

#include <wirekit/core/log.hpp>
#include <wirekit/net/server.hpp>

namespace wirekit::net {

namespace {

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
  for (SocketAddress address : addresses) {
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
    for (std::size_t i = 1; i < loops; ++i)
      listeners_[i].push_back(TcpListener::bind(address, listen));
  }
  if (listeners_[0].empty()) std::rethrow_exception(first_skipped);
}

std::vector<SocketAddress> TcpServer::local_addresses() const {
  std::vector<SocketAddress> out;
  for (const TcpListener& l : listeners_.front()) out.push_back(l.local_address());
  return out;
}

Task<void> TcpServer::serve(ConnectionHandler handler) {
  co_await serve_loop(0, handler);
}

Task<void> TcpServer::serve(Runtime& runtime, ConnectionHandler handler) {
  if (runtime.size() != listeners_.size()) {
    throw Error(errc::invalid_argument, "server was bound for a different number of loops");
  }
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
  loop_states_[loop].loop = &EventLoop::current();
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

}  // namespace wirekit::net
