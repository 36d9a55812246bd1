// Callbacks instead of coroutines: a Twisted-style Protocol / Factory / Transport on top of the
// coroutine streams, for code ported from Twisted or written in that style.
//
//   struct Echo : wirekit::net::Protocol {
//     void data_received(std::span<const std::byte> data) override { transport().write(data); }
//   };
//   wirekit::net::SimpleFactory<Echo> factory;
//   co_await wirekit::net::listen_tcp(server, factory);
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <wirekit/core.hpp>
#include <wirekit/net/server.hpp>

namespace wirekit::net {

// The protocol's view of its connection. Writes are buffered and flushed as soon as the
// callback returns (before more data is read, so a slow peer slows the protocol down).
class Transport {
 public:
  Transport(Stream& stream, const SocketAddress& peer, const SocketAddress& host)
      : stream_(stream), peer_(peer), host_(host) {}

  void write(std::span<const std::byte> data);
  void write(std::string_view text) { write(std::as_bytes(std::span(text.data(), text.size()))); }
  // Closes once everything written so far has been sent.
  void lose_connection() noexcept { closing_ = true; }
  // Closes at once, discarding unsent data.
  void abort_connection() noexcept;

  const SocketAddress& peer() const noexcept { return peer_; }
  const SocketAddress& host() const noexcept { return host_; }

  // For the adapter: the pending output and the close requests.
  std::string& pending() noexcept { return pending_; }
  bool closing() const noexcept { return closing_; }
  bool aborted() const noexcept { return aborted_; }

 private:
  Stream& stream_;
  SocketAddress peer_;
  SocketAddress host_;
  std::string pending_;
  bool closing_ = false;
  bool aborted_ = false;
};

class Protocol {
 public:
  virtual ~Protocol() = default;
  virtual void connection_made() {}
  virtual void data_received(std::span<const std::byte> data) = 0;
  // `reason` is null for a clean close (either side), else the failure that ended it.
  virtual void connection_lost(const std::exception_ptr& /*reason*/) {}

  Transport& transport() noexcept { return *transport_; }

 private:
  friend Task<void> run_protocol(SocketStream stream, Protocol& protocol);
  Transport* transport_ = nullptr;
};

class Factory {
 public:
  virtual ~Factory() = default;
  virtual std::unique_ptr<Protocol> build_protocol(const SocketAddress& peer) = 0;
};

// A factory that makes a default-constructed P per connection.
template <class P>
class SimpleFactory final : public Factory {
 public:
  std::unique_ptr<Protocol> build_protocol(const SocketAddress&) override {
    return std::make_unique<P>();
  }
};

// Drives `protocol` over `stream` until either side closes.
Task<void> run_protocol(SocketStream stream, Protocol& protocol);
// Serves `factory`'s protocols on `server` (the current loop) until cancelled.
Task<void> listen_tcp(TcpServer& server, Factory& factory);

}  // namespace wirekit::net
