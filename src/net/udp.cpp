#include <cstring>
#include <string>

#include <fmt/format.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <wirekit/net/udp.hpp>

namespace wirekit::net {

namespace {

void set_flag(int fd, int level, int name, bool on, const char* what) {
  const int value = on ? 1 : 0;
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) throw_errno(what);
}

}  // namespace

UdpSocket UdpSocket::bind(const SocketAddress& address, UdpOptions options) {
  const std::string context = "bind UDP " + address.to_string();
  UdpSocket s;
  s.core_ = std::make_unique<detail::SocketCore>(
      detail::open_socket(address.family(), SOCK_DGRAM, context));
  const int fd = s.core_->fd;
  if (options.reuse_address) set_flag(fd, SOL_SOCKET, SO_REUSEADDR, true, "SO_REUSEADDR");
  if (options.reuse_port) set_flag(fd, SOL_SOCKET, SO_REUSEPORT, true, "SO_REUSEPORT");
  if (options.broadcast) set_flag(fd, SOL_SOCKET, SO_BROADCAST, true, "SO_BROADCAST");
  if (address.family() == AF_INET6) set_flag(fd, IPPROTO_IPV6, IPV6_V6ONLY, true, "IPV6_V6ONLY");
  if (::bind(fd, address.native(), address.native_size()) != 0) throw_errno(context);
  return s;
}

UdpSocket UdpSocket::for_peer(const SocketAddress& peer) {
  UdpSocket s;
  s.core_ = std::make_unique<detail::SocketCore>(
      detail::open_socket(peer.family(), SOCK_DGRAM, "UDP socket for " + peer.to_string()));
  return s;
}

SocketAddress UdpSocket::local_address() const {
  SocketAddress a;
  socklen_t size = SocketAddress::capacity();
  if (core_ && ::getsockname(core_->fd, a.native(), &size) == 0) a.set_native_size(size);
  return a;
}

void UdpSocket::close() noexcept {
  if (core_) core_->close();
}

namespace {

void multicast_membership(int fd, const IpAddress& group, std::string_view interface_name,
                          bool join) {
  const std::string name(interface_name);
  const unsigned index = name.empty() ? 0 : ::if_nametoindex(name.c_str());
  if (!name.empty() && index == 0) {
    throw Error(errc::invalid_argument, fmt::format("no network interface named '{}'", name));
  }
  const std::string context =
      fmt::format("{} multicast group {}", join ? "join" : "leave", group.to_string());
  int rc = 0;
  if (group.is_v4()) {
    ip_mreqn request{};
    std::memcpy(&request.imr_multiaddr, group.bytes().data(), 4);
    request.imr_ifindex = static_cast<int>(index);
    rc = ::setsockopt(fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &request,
                      sizeof request);
  } else {
    ipv6_mreq request{};
    std::memcpy(&request.ipv6mr_multiaddr, group.bytes().data(), 16);
    request.ipv6mr_interface = index;
    rc = ::setsockopt(fd, IPPROTO_IPV6, join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP, &request,
                      sizeof request);
  }
  if (rc != 0) throw_errno(context);
}

}  // namespace

void UdpSocket::join_multicast(const IpAddress& group, std::string_view interface_name) {
  multicast_membership(native_handle(), group, interface_name, true);
}

void UdpSocket::leave_multicast(const IpAddress& group, std::string_view interface_name) {
  multicast_membership(native_handle(), group, interface_name, false);
}

void UdpSocket::set_multicast_loop(bool on) {
  const SocketAddress local = local_address();
  if (local.family() == AF_INET6) {
    set_flag(native_handle(), IPPROTO_IPV6, IPV6_MULTICAST_LOOP, on, "IPV6_MULTICAST_LOOP");
  } else {
    set_flag(native_handle(), IPPROTO_IP, IP_MULTICAST_LOOP, on, "IP_MULTICAST_LOOP");
  }
}

void UdpSocket::set_multicast_ttl(int hops) {
  const SocketAddress local = local_address();
  const bool v6 = local.family() == AF_INET6;
  if (::setsockopt(native_handle(), v6 ? IPPROTO_IPV6 : IPPROTO_IP,
                   v6 ? IPV6_MULTICAST_HOPS : IP_MULTICAST_TTL, &hops, sizeof hops) != 0) {
    throw_errno("set multicast TTL");
  }
}

// ---- operations ---------------------------------------------------------------------------

using detail::source_of;

namespace {
Attempt closed() noexcept {
  return detail::closed_attempt();
}
}  // namespace

UdpSocket::ReceiveFrom::ReceiveFrom(UdpSocket& socket, std::span<std::byte> buffer) noexcept
    : TimedOperation(source_of(socket.core_), Duration{}), socket_(socket), buffer_(buffer) {}

bool UdpSocket::ReceiveFrom::step() noexcept {
  if (!socket_.core_ || socket_.core_->fd < 0) return record(closed());
  for (;;) {
    iovec chunk{buffer_.data(), buffer_.size()};
    msghdr message{};
    message.msg_name = datagram_.from.native();
    message.msg_namelen = SocketAddress::capacity();
    message.msg_iov = &chunk;
    message.msg_iovlen = 1;
    const ssize_t n = ::recvmsg(socket_.core_->fd, &message, 0);
    if (n >= 0) {
      datagram_.size = static_cast<std::size_t>(n);
      datagram_.from.set_native_size(message.msg_namelen);
      datagram_.truncated = (message.msg_flags & MSG_TRUNC) != 0;
      return true;
    }
    if (errno == EINTR) continue;
    return record(detail::blocked_or_failed(source_, Interest::read, errno));
  }
}

std::string UdpSocket::ReceiveFrom::describe() const {
  return "receive on UDP " + socket_.local_address().to_string();
}

UdpSocket::SendTo::SendTo(UdpSocket& socket, std::span<const std::byte> data,
                          const SocketAddress& to) noexcept
    : TimedOperation(source_of(socket.core_), Duration{}), socket_(socket), data_(data), to_(to) {}

bool UdpSocket::SendTo::step() noexcept {
  if (!socket_.core_ || socket_.core_->fd < 0) return record(closed());
  for (;;) {
    const ssize_t n = ::sendto(socket_.core_->fd, data_.data(), data_.size(), MSG_NOSIGNAL,
                               to_.native(), to_.native_size());
    if (n >= 0) return true;
    if (errno == EINTR) continue;
    return record(detail::blocked_or_failed(source_, Interest::write, errno));
  }
}

std::string UdpSocket::SendTo::describe() const {
  return "send UDP to " + to_.to_string();
}

}  // namespace wirekit::net
