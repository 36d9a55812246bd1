// UDP sockets: datagrams to and from any address, multicast.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <wirekit/net/socket.hpp>

namespace wirekit::net {

struct Datagram {
  std::size_t size = 0;  // bytes stored in the buffer
  SocketAddress from;
  bool truncated = false;  // the datagram was longer than the buffer; the rest is lost
};

struct UdpOptions {
  bool reuse_address = true;
  bool reuse_port = false;
  bool broadcast = false;
};

class UdpSocket {
 public:
  UdpSocket() = default;
  UdpSocket(UdpSocket&&) noexcept = default;
  UdpSocket& operator=(UdpSocket&&) noexcept = default;

  // A socket bound to `address` (port 0: any free port).
  static UdpSocket bind(const SocketAddress& address, UdpOptions options = {});
  // An unbound socket of the family of `peer`, for a client; the kernel picks the port.
  static UdpSocket for_peer(const SocketAddress& peer);

  class ReceiveFrom final : public detail::TimedOperation<ReceiveFrom> {
   public:
    ReceiveFrom(UdpSocket& socket, std::span<std::byte> buffer) noexcept;
    Datagram await_resume() const {
      rethrow_failure();
      return datagram_;
    }

   private:
    bool step() noexcept override;
    std::string describe() const override;
    UdpSocket& socket_;
    std::span<std::byte> buffer_;
    Datagram datagram_;
  };

  class SendTo final : public detail::TimedOperation<SendTo> {
   public:
    SendTo(UdpSocket& socket, std::span<const std::byte> data, const SocketAddress& to) noexcept;
    void await_resume() const { rethrow_failure(); }

   private:
    bool step() noexcept override;
    std::string describe() const override;
    UdpSocket& socket_;
    std::span<const std::byte> data_;
    SocketAddress to_;
  };

  [[nodiscard]] ReceiveFrom receive_from(std::span<std::byte> buffer) noexcept {
    return ReceiveFrom(*this, buffer);
  }
  [[nodiscard]] SendTo send_to(std::span<const std::byte> data, const SocketAddress& to) noexcept {
    return SendTo(*this, data, to);
  }
  [[nodiscard]] SendTo send_to(std::string_view text, const SocketAddress& to) noexcept {
    return SendTo(*this, std::as_bytes(std::span(text.data(), text.size())), to);
  }

  // Joins multicast `group` on the interface named `interface_name` (empty: the default).
  void join_multicast(const IpAddress& group, std::string_view interface_name = {});
  void leave_multicast(const IpAddress& group, std::string_view interface_name = {});
  void set_multicast_loop(bool on);
  void set_multicast_ttl(int hops);

  SocketAddress local_address() const;
  int native_handle() const noexcept { return core_ ? core_->fd : -1; }
  void close() noexcept;

 private:
  std::unique_ptr<detail::SocketCore> core_;
};

}  // namespace wirekit::net
